"""``facteur``: the scriptable surface. Each command group lives in its own module.

Errors end as one localized line on stderr and a non-zero exit (2 for bad
usage or configuration, 1 for everything else); never a traceback for bad input.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import IO, TYPE_CHECKING, Any, NoReturn

from locales import N_, Translator, normalize_language, translator

if TYPE_CHECKING:
    from models.core.config import Config

COMMAND_MODULES = (
    "cli.db_cmd",
    "cli.invoice_cmd",
    "cli.payment_cmd",
    "cli.patient_cmd",
    "cli.statement_cmd",
    "cli.staff_cmd",
    "cli.tax_cmd",
    "cli.backup_cmd",
    "cli.locales_cmd",
    "cli.tui_cmd",
    "cli.agent_cmd",
    "cli.outbox_cmd",
    "cli.portal_cmd",
    "cli.scheduled_cmd",
)
EXIT_ERROR = 1
EXIT_USAGE = 2


def cli_language() -> str | None:
    """The reader's language from the usual Unix variables (LC_ALL, LC_MESSAGES, LANG)."""
    for name in ("FACTEUR_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name)
        if value:
            return normalize_language(value.split(":")[0])
    return None


class UsageError(Exception):
    pass


class Parser(argparse.ArgumentParser):
    """argparse, with its mistakes reported as one localized line instead of exiting, and no
    abbreviated options: ``--conf`` is not ``--config`` (the doors judge the words as parsed,
    and a prefix that later meets a new option would change meaning)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def build_parser(tr: Translator) -> Parser:
    import importlib

    _localize_argparse(tr)
    parser = Parser(
        prog="facteur",
        description=tr.gettext(N_("Facteur: private billing communication for small clinics.")),
    )
    parser.add_argument(
        "--config",
        metavar="PATH",
        help=tr.gettext(N_("configuration file (else $FACTEUR_CONFIG, else ./facteur.toml, else defaults)")),
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    commands.required = True
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(commands, tr)
    return parser


def _use_template_budget(config: Config) -> None:
    """Every render of a staff-edited template in this process (the TUI's, the agent's) within
    the configured ``[templates]`` budget."""
    from models.messaging.template_budget import Budget, configure_budget

    limits = config.templates
    configure_budget(Budget(seconds=limits.render_seconds, memory_mb=limits.render_memory_mb))


def main(argv: Sequence[str] | None = None, out: IO[str] | None = None, err: IO[str] | None = None) -> int:  # noqa: PLR0911 (one exit per kind of failure)
    from cli.doors import check_parsed, enter
    from models.core.errors import ConfigError, FacteurError
    from models.people.staff_members import act_as

    out, err = out or sys.stdout, err or sys.stderr
    tr = translator(cli_language())
    try:
        entry = enter(list(sys.argv[1:] if argv is None else argv))
    except FacteurError as exc:
        err.write(tr.format(N_("facteur: {message}"), message=exc.render(tr)) + "\n")
        return EXIT_USAGE
    parser = build_parser(tr)
    try:
        args = parser.parse_args(entry.argv)
    except UsageError as exc:
        err.write(tr.format(N_("facteur: {message} (see 'facteur --help')"), message=str(exc)) + "\n")
        return EXIT_USAGE
    try:
        check_parsed(entry, args)
    except FacteurError as exc:
        err.write(tr.format(N_("facteur: {message}"), message=exc.render(tr)) + "\n")
        return EXIT_USAGE
    ctx = None
    act_as(entry.login)
    try:
        from cli.context import Context
        from models.core.config import load_config

        config = load_config(args.config or entry.config)
        _use_clinic_wording(config)
        _use_template_budget(config)
        ctx = Context(config, tr, out, err, door=entry.door, system=entry.system)
        return int(args.handler(args, ctx) or 0)
    except ConfigError as exc:
        err.write(tr.format(N_("facteur: {message}"), message=exc.render(tr)) + "\n")
        return EXIT_USAGE
    except FacteurError as exc:
        err.write(tr.format(N_("facteur: {message}"), message=exc.render(tr)) + "\n")
        return EXIT_ERROR
    except _database_errors() as exc:
        err.write(tr.format(N_("facteur: database error: {reason}"), reason=str(exc)) + "\n")
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`facteur invoice list | head`): stop quietly, as Unix tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_ERROR
    finally:
        act_as(None)
        if ctx is not None:
            ctx.close()


def _use_clinic_wording(config: Config) -> None:
    """Layer the clinic's override catalogs (``[locales] override_dir``) over the shipped ones."""
    from locales import configure

    override = config.locales.override_dir
    configure(config.resolve(override) if override else None, log_language=config.clinic.language)


def _database_errors() -> tuple[type[BaseException], ...]:
    import peewee

    return (peewee.OperationalError, peewee.IntegrityError)


def _localize_argparse(tr: Translator) -> None:
    """argparse reads its words through ``argparse._``; give it this reader's catalog.

    The CLI is one process with one reader, so this is the one place a module's
    translation hook is set; the msgids are argparse's own, listed for extraction.
    """
    argparse._ = tr.gettext  # type: ignore[attr-defined]
    argparse.ngettext = tr.ngettext  # type: ignore[attr-defined]


ARGPARSE_MSGIDS = (
    N_("usage: "),
    N_("positional arguments"),
    N_("options"),
    N_("show this help message and exit"),
    N_("the following arguments are required: %s"),
    N_("unrecognized arguments: %s"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("argument %(argument_name)s: %(message)s"),
    N_("expected one argument"),
    N_("invalid %(type)s value: %(value)r"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
    N_("not allowed with argument %s"),
    N_("one of the arguments %s is required"),
)

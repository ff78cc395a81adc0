"""``facteur locales check [PATH ...]``: validate wording catalogs, one ``file:line: problem`` per line."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from locales import N_, Translator

if TYPE_CHECKING:
    from cli.context import Context


def register(commands: argparse._SubParsersAction, tr: Translator) -> None:
    """Add ``locales`` and its ``check`` subcommand to the ``facteur`` parser."""
    parser = commands.add_parser(
        "locales",
        help=tr.gettext(N_("check the wording catalogs (.po files)")),
        description=tr.gettext(N_("The wording patients and staff read, in .po files admins can edit.")),
    )
    actions = parser.add_subparsers(dest="locales_command", metavar="ACTION", parser_class=type(parser))
    actions.required = True
    check = actions.add_parser(
        "check",
        help=tr.gettext(
            N_("validate catalogs: syntax, placeholders, plural forms, missing and fuzzy entries")
        ),
        description=tr.gettext(
            N_(
                "Prints one line per problem, as file:line: problem. Exits with 1 when there is an "
                "error; warnings alone exit with 0."
            )
        ),
    )
    check.add_argument(
        "paths",
        nargs="*",
        type=Path,
        metavar="PATH",
        help=tr.gettext(
            N_("a .po file or a folder of them (default: the shipped catalogs and the override folder)")
        ),
    )
    check.set_defaults(handler=run_check)


def run_check(args: argparse.Namespace, ctx: Context) -> int:
    """Check the catalogs named, or the shipped ones and the configured override folder."""
    # Here, not at the top: every command builds the parser, and the checker brings Babel's parser.
    from locales.check import check_paths, default_paths

    paths: list[Path] = list(args.paths or [])
    if paths and ctx.door is not None:
        # Through a door this runs as the data's owner: it must not read (and quote) any file named.
        from cli.doors import DoorRefused

        raise DoorRefused(
            N_("through sudo or SSH, Facteur checks the shipped catalogs and the override folder only")
        )
    if not paths:
        setting = ctx.config.locales.override_dir
        paths = default_paths(ctx.config.resolve(setting) if setting else None)
    report = check_paths(paths)
    for problem in report.problems:
        print(problem.render(ctx.tr), file=ctx.out)
    tr = ctx.tr
    if report.problems:
        summary = tr.format(
            N_("errors: {errors}, warnings: {warnings}"), errors=report.errors, warnings=report.warnings
        )
    else:
        # literal msgids: the extractor reads nformat's first two arguments as one plural entry
        summary = tr.nformat(
            "{n} catalog checked, no problem found",
            "{n} catalogs checked, no problem found",
            len(report.files),
        )
    print(summary, file=ctx.out)
    return 1 if report.errors else 0

"""``facteur portal [--listen HOST:PORT]``: the patient download portal (it needs no clinic
database); ``facteur portal pepper rotate|prune``: its PIN pepper's versions (docs/operations.md)."""

from __future__ import annotations

import argparse

from cli.context import Context
from locales import N_, Translator
from models.core.errors import ConfigError


def register(commands: argparse._SubParsersAction, tr: Translator) -> None:
    portal = commands.add_parser("portal", help=tr.gettext(N_("run the patient download portal")))
    portal.add_argument(
        "--listen",
        metavar="HOST:PORT",
        help=tr.gettext(N_("where to listen (else [portal] listen, 127.0.0.1:8088)")),
    )
    portal.set_defaults(handler=run_portal)
    groups = portal.add_subparsers(dest="portal_group", metavar="pepper", parser_class=type(portal))
    pepper = groups.add_parser(
        "pepper", help=tr.gettext(N_("rotate the PIN pepper (see the operations guide)"))
    )
    actions = pepper.add_subparsers(dest="pepper_action", metavar="ACTION", parser_class=type(portal))
    actions.required = True
    rotate = actions.add_parser("rotate", help=tr.gettext(N_("add a new PIN pepper version for new links")))
    rotate.set_defaults(handler=run_pepper_rotate)
    prune = actions.add_parser("prune", help=tr.gettext(N_("drop the PIN pepper versions no live link uses")))
    prune.set_defaults(handler=run_pepper_prune)


def run_portal(args: argparse.Namespace, ctx: Context) -> int:
    from portal.server import configure_logging, serve, split_listen

    listen = args.listen or ctx.config.portal.listen
    try:
        split_listen(listen)
    except ValueError:
        raise ConfigError(
            N_("--listen must be host:port, like 127.0.0.1:8088, not {value}"), value=repr(listen)
        ) from None
    configure_logging()
    try:
        serve(ctx.config, listen)
    except OSError as exc:
        raise ConfigError(
            N_("the portal cannot use {path} or listen on {address}: {reason}"),
            path=str(ctx.config.resolve(ctx.config.portal.data_dir)),
            address=listen,
            reason=exc.strerror or str(exc),
        ) from exc
    return 0


def run_pepper_rotate(args: argparse.Namespace, ctx: Context) -> int:
    """A new pepper version for new links; the older ones keep serving their links."""
    from portal.pepper_rotation import rotate_pepper
    from portal.services import PortalOptions

    options = PortalOptions.from_config(ctx.config)
    version = rotate_pepper(options)
    ctx.print(
        ctx.tr.format(
            N_(
                "PIN pepper version {version} added to {path}: restart the portal, then back the "
                "file up apart from portal.db"
            ),
            version=version,
            path=str(options.pepper_path),
        )
    )
    return 0


def run_pepper_prune(args: argparse.Namespace, ctx: Context) -> int:
    """Drop the versions no live link uses (never the current one)."""
    import datetime as dt

    from portal.pepper_rotation import prune_peppers, unused_peppers
    from portal.services import PortalOptions

    options = PortalOptions.from_config(ctx.config)
    now = dt.datetime.now(dt.UTC)
    if options.pepper:
        unused = ", ".join(map(str, unused_peppers(options, now))) or "-"
        ctx.print(
            ctx.tr.format(
                N_("no live link uses the PIN pepper versions {versions}: take them out of {variable}"),
                versions=unused,
                variable=options.pepper_env,
            )
        )
        return 0
    dropped = ", ".join(map(str, prune_peppers(options, now))) or "-"
    ctx.print(
        ctx.tr.format(
            N_("PIN pepper versions dropped from {path}: {versions}"),
            path=str(options.pepper_path),
            versions=dropped,
        )
    )
    return 0

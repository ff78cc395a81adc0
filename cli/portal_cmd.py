"""``facteur portal [--listen HOST:PORT]``: the patient download portal (it needs no clinic database)."""

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

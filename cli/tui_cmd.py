"""``facteur tui``: the staff's terminal UI."""

from __future__ import annotations

import argparse

from cli.context import Context
from locales import N_, Translator


def register(commands: argparse._SubParsersAction, tr: Translator) -> None:
    tui = commands.add_parser(
        "tui", help=tr.gettext(N_("open the staff's terminal UI (patients, invoices, history, settings)"))
    )
    tui.add_argument(
        "--staff",
        metavar="LOGIN",
        help=tr.gettext(
            N_("the staff member this session is for: what an SSH key's forced command says (owner only)")
        ),
    )
    tui.set_defaults(handler=run)


def run(args: argparse.Namespace, ctx: Context) -> int:
    from models.database.db import close_database
    from tui.app import build_app

    app = build_app(ctx.config)
    try:
        app.run()
    finally:
        close_database()
    return app.return_code or 0

"""``facteur backup PATH``: an online copy of the SQLite database."""

from __future__ import annotations

import argparse
from pathlib import Path

from cli.context import Context, require_role
from locales import N_, Translator


def register(commands: argparse._SubParsersAction, tr: Translator) -> None:
    backup = commands.add_parser(
        "backup", help=tr.gettext(N_("copy the database while the TUI and the agent keep running"))
    )
    backup.add_argument("path", metavar="PATH", type=Path, help=tr.gettext(N_("the file to write")))
    backup.set_defaults(handler=run_backup)


def run_backup(args: argparse.Namespace, ctx: Context) -> int:
    from models.database.db import backup_sqlite

    require_role(ctx, "admin")  # a copy of every patient's data
    backup_sqlite(ctx.database(), args.path)
    ctx.print(ctx.tr.format(N_("Backed up the database to {path}."), path=str(args.path.resolve())))
    return 0

"""``facteur db``: create, upgrade and fill the database."""

from __future__ import annotations

import argparse
import time

from cli.arguments import command_group, count
from cli.context import Context
from locales import N_, Translator


def register(commands: argparse._SubParsersAction, tr: Translator) -> None:
    actions = command_group(commands, "db", tr.gettext(N_("create, upgrade and fill the database")))

    init = actions.add_parser("init", help=tr.gettext(N_("create or upgrade the database (safe to re-run)")))
    init.add_argument("--demo", action="store_true", help=tr.gettext(N_("add demo data on first run")))
    init.add_argument(
        "--admin",
        metavar="LOGIN",
        help=tr.gettext(N_("the first admin's Unix login (default: who runs it)")),
    )
    init.set_defaults(handler=run_init)

    migrate = actions.add_parser(
        "migrate", help=tr.gettext(N_("upgrade the database to this Facteur's schema"))
    )
    migrate.set_defaults(handler=run_migrate)

    demo = actions.add_parser("demo", help=tr.gettext(N_("add bulk demo data for scale tests")))
    demo.add_argument(
        "--patients", type=count(tr), default=1000, metavar="N", help=tr.gettext(N_("patients to add"))
    )
    demo.add_argument(
        "--invoices", type=count(tr), default=10000, metavar="M", help=tr.gettext(N_("invoices to add"))
    )
    demo.set_defaults(handler=run_demo)

    copy = actions.add_parser(
        "copy",
        help=tr.gettext(N_("copy every row into an empty database (SQLite to PostgreSQL, or back)")),
    )
    copy.add_argument("source", metavar="FROM_URL", help=tr.gettext(N_("the database to read")))
    copy.add_argument("target", metavar="TO_URL", help=tr.gettext(N_("the empty database to fill")))
    copy.set_defaults(handler=run_copy)


def run_init(args: argparse.Namespace, ctx: Context) -> int:
    from models.setup.demo import seed_demo
    from models.setup.initial import init_database

    database = ctx.database(check=False, create=True)
    report = init_database(database, ctx.config.clinic, first_admin=args.admin)
    tr = ctx.tr
    if report.version_before is None:
        ctx.print(
            tr.format(N_("Created the database (schema version {version})."), version=report.version_after)
        )
    elif report.version_before < report.version_after:
        ctx.print(
            tr.format(
                N_("Upgraded the database from schema version {old} to {new}."),
                old=report.version_before,
                new=report.version_after,
            )
        )
    else:
        ctx.print(
            tr.format(
                N_("The database is up to date (schema version {version})."), version=report.version_after
            )
        )
    if report.admin_created:
        ctx.print(tr.format(N_("{login} is the first admin."), login=report.admin_created))
    if args.demo:
        demo = seed_demo()
        if demo.created:
            ctx.print(
                tr.format(
                    N_("Added demo data: {patients} patients and {invoices} invoices."),
                    patients=demo.patients,
                    invoices=demo.invoices,
                )
            )
    return 0


def run_migrate(args: argparse.Namespace, ctx: Context) -> int:
    from models.setup.schema import ensure_schema

    before, after = ensure_schema(ctx.database(check=False, repair=True))  # an older install's modes too
    if before is not None and before < after:
        ctx.print(
            ctx.tr.format(
                N_("Upgraded the database from schema version {old} to {new}."), old=before, new=after
            )
        )
    else:
        ctx.print(ctx.tr.format(N_("The database is up to date (schema version {version})."), version=after))
    return 0


def run_demo(args: argparse.Namespace, ctx: Context) -> int:
    from models.setup.demo import bulk_demo

    ctx.database()
    started = time.monotonic()
    report = bulk_demo(args.patients, args.invoices)
    ctx.print(
        ctx.tr.format(
            N_("Added {patients} patients and {invoices} invoices in {seconds} s."),
            patients=report.patients,
            invoices=report.invoices,
            seconds=f"{time.monotonic() - started:.1f}",
        )
    )
    return 0


def run_copy(args: argparse.Namespace, ctx: Context) -> int:
    """Copy between the two URLs given (relative SQLite paths start in the working directory)."""
    from models.database.db import redacted
    from models.setup.db_copy import TableCopy, copy_database

    def progress(done: TableCopy) -> None:
        ctx.print(ctx.tr.nformat("{table}: {n} row", "{table}: {n} rows", done.rows, table=done.table))

    started = time.monotonic()
    copied = copy_database(args.source, args.target, progress=progress)
    ctx.print(
        ctx.tr.nformat(
            "Copied {n} row to {url} in {seconds} s; the counts match.",
            "Copied {n} rows to {url} in {seconds} s; the counts match.",
            sum(done.rows for done in copied),
            url=redacted(args.target),
            seconds=f"{time.monotonic() - started:.1f}",
        )
    )
    return 0

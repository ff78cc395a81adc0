"""``facteur outbox`` and ``facteur transmissions``: what waits to be sent, and what happened."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import TYPE_CHECKING

from cli.arguments import count, iso_date
from cli.context import Context, require_staff
from locales import N_, Translator
from models.core.enums import OutboxStatus
from tui.transmission_text import detail_text

if TYPE_CHECKING:
    from models.billing.invoice import Invoice

OUTBOX_STATUSES = tuple(status.value for status in OutboxStatus)
TRANSMISSION_STATUSES = ("sent", "deferred", "failed", "unknown")


def _filters(parser: argparse.ArgumentParser, tr: Translator, statuses: tuple[str, ...]) -> None:
    parser.add_argument("--status", choices=statuses, help=tr.gettext(N_("only rows in this status")))
    parser.add_argument("--invoice", metavar="NUMBER", help=tr.gettext(N_("only this invoice's")))
    parser.add_argument(
        "--since", type=iso_date(tr), metavar="YYYY-MM-DD", help=tr.gettext(N_("on or after (UTC day)"))
    )
    parser.add_argument(
        "--until", type=iso_date(tr), metavar="YYYY-MM-DD", help=tr.gettext(N_("on or before (UTC day)"))
    )
    parser.add_argument(
        "--limit", type=count(tr), default=100, metavar="N", help=tr.gettext(N_("at most N rows (0: all)"))
    )
    parser.add_argument("--json", action="store_true", help=tr.gettext(N_("JSON output")))


def register(commands: argparse._SubParsersAction, tr: Translator) -> None:
    box = commands.add_parser("outbox", help=tr.gettext(N_("messages waiting, sent or failed, newest first")))
    _filters(box, tr, OUTBOX_STATUSES)
    box.set_defaults(handler=run_outbox)
    log = commands.add_parser("transmissions", help=tr.gettext(N_("every delivery attempt, newest first")))
    _filters(log, tr, TRANSMISSION_STATUSES)
    log.set_defaults(handler=run_transmissions)


def _invoice(args: argparse.Namespace) -> Invoice | None:
    from models.billing.invoicing import find_invoice

    return find_invoice(args.invoice) if args.invoice else None


def run_outbox(args: argparse.Namespace, ctx: Context) -> int:
    from models.core.enums import OutboxStatus
    from models.views.outbox_queries import OUTBOX_STATUS, outbox_query, outbox_record

    require_staff(ctx)
    ctx.database()
    query = outbox_query(
        status=OutboxStatus(args.status) if args.status else None,
        invoice=_invoice(args),
        since=args.since,
        until=args.until,
        limit=args.limit,
    )
    if args.json:
        ctx.print_json([outbox_record(message) for message in query])
        return 0
    from cli.table import print_table

    tr = ctx.tr
    rows = [
        [
            str(m.id),
            m.invoice.number or "",
            m.recipient_email or "",
            tr.gettext(OUTBOX_STATUS[m.status]),
            str(m.attempts),
            _when(ctx, m.sent_at or m.created_at),
            detail_text(m.last_error, tr) if m.status != "sent" else "",
        ]
        for m in query
    ]
    headers = (
        N_("Id"),
        N_("Invoice"),
        N_("Recipient"),
        N_("Status"),
        N_("Attempts"),
        N_("When"),
        N_("Error"),
    )
    print_table(ctx, [tr.gettext(h) for h in headers], rows, right=frozenset({0, 4}))
    return 0


def run_transmissions(args: argparse.Namespace, ctx: Context) -> int:
    from models.core.enums import TransmissionStatus
    from models.views.outbox_queries import (
        TRANSMISSION_STATUS,
        recipient,
        transmission_query,
        transmission_record,
    )

    require_staff(ctx)
    ctx.database()
    query = transmission_query(
        status=TransmissionStatus(args.status) if args.status else None,
        invoice=_invoice(args),
        since=args.since,
        until=args.until,
        limit=args.limit,
    )
    if args.json:
        ctx.print_json([transmission_record(t) for t in query])
        return 0
    from cli.table import print_table

    tr = ctx.tr
    rows = [
        [
            _when(ctx, t.created_at),
            t.invoice.number or "",
            t.channel,
            recipient(t) or "",
            tr.gettext(TRANSMISSION_STATUS[t.status]),
            " ".join(part for part in (t.reply_code, detail_text(t.detail, tr)) if part)[:60],
        ]
        for t in query
    ]
    headers = (N_("When"), N_("Invoice"), N_("Channel"), N_("Recipient"), N_("Status"), N_("Reply"))
    print_table(ctx, [tr.gettext(h) for h in headers], rows)
    return 0


def _when(ctx: Context, value: datetime) -> str:
    from locales.formatting import format_datetime
    from models.people.clinic import get_clinic

    clinic = get_clinic()
    return format_datetime(value, clinic.timezone, ctx.tr.language, clinic.country, "short")

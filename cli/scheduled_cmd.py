"""``facteur scheduled``: automatic emails and reminders, waiting or done; ``scheduled cancel``."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from cli.arguments import count
from cli.context import Context, require_role, require_staff
from locales import N_, Translator

if TYPE_CHECKING:
    from models.messaging.tables import ScheduledMessage

STATUSES = ("scheduled", "enqueued", "cancelled", "skipped")


def register(commands: argparse._SubParsersAction, tr: Translator) -> None:
    scheduled = commands.add_parser(
        "scheduled",
        help=tr.gettext(N_("automatic invoice emails and reminders: waiting, queued, skipped or cancelled")),
    )
    scheduled.add_argument(
        "--status",
        choices=STATUSES,
        help=tr.gettext(N_("only these (scheduled: the ones waiting, soonest first)")),
    )
    scheduled.add_argument("--invoice", metavar="NUMBER", help=tr.gettext(N_("only this invoice's")))
    scheduled.add_argument(
        "--limit", type=count(tr), default=100, metavar="N", help=tr.gettext(N_("at most N rows (0: all)"))
    )
    scheduled.add_argument("--json", action="store_true", help=tr.gettext(N_("JSON output")))
    scheduled.set_defaults(handler=run_list)
    actions = scheduled.add_subparsers(dest="action", metavar="ACTION", parser_class=type(scheduled))
    cancel = actions.add_parser(
        "cancel", help=tr.gettext(N_("cancel a waiting message, or every waiting one of an invoice"))
    )
    which = cancel.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "id", nargs="?", type=int, metavar="ID", help=tr.gettext(N_("the scheduled message's id"))
    )
    which.add_argument(
        "--invoice",
        dest="cancel_invoice",
        metavar="NUMBER",
        help=tr.gettext(N_("every waiting one of this invoice")),
    )
    cancel.set_defaults(handler=run_cancel)


def run_list(args: argparse.Namespace, ctx: Context) -> int:
    from models.billing.invoicing import find_invoice
    from models.core.enums import ScheduleStatus
    from models.views.scheduled_queries import scheduled_query, scheduled_record

    require_staff(ctx)
    ctx.database()
    status = ScheduleStatus(args.status) if args.status else None
    query = scheduled_query(
        status=status,
        invoice=find_invoice(args.invoice) if args.invoice else None,
        upcoming=True if status is ScheduleStatus.SCHEDULED else None,
        limit=args.limit,
    )
    if args.json:
        ctx.print_json([scheduled_record(row, ctx.tr) for row in query])
        return 0
    from cli.table import print_table

    tr = ctx.tr
    rows = [_row(ctx, row) for row in query]
    headers = (N_("Id"), N_("When"), N_("Invoice"), N_("Template"), N_("Status"), N_("Reason"))
    print_table(ctx, [tr.gettext(h) for h in headers], rows, right=frozenset({0}))
    return 0


def _row(ctx: Context, row: ScheduledMessage) -> list[str]:
    from locales.formatting import format_datetime
    from models.admin.templates import display_name
    from models.messaging.schedule_reasons import reason_text
    from models.people.clinic import get_clinic
    from models.views.scheduled_queries import outbox_of, status_label

    clinic = get_clinic()
    tr = ctx.tr
    return [
        str(row.id),
        format_datetime(row.due_at, clinic.timezone, tr.language, clinic.country, "short"),
        row.invoice.number or "",
        display_name(row.template, tr),
        tr.gettext(status_label(row.status, outbox_of(row))),
        reason_text(row.reason, tr)[:60],
    ]


def run_cancel(args: argparse.Namespace, ctx: Context) -> int:
    from models.billing.invoicing import find_invoice
    from models.workflow.reminders import cancel_invoice_schedule, cancel_scheduled

    staff = require_role(ctx, "billing")
    if args.cancel_invoice:
        invoice = find_invoice(args.cancel_invoice)
        cancelled = cancel_invoice_schedule(invoice, staff=staff)
        ctx.print(
            ctx.tr.nformat(
                "{count} waiting message of invoice {number} cancelled.",
                "{count} waiting messages of invoice {number} cancelled.",
                cancelled,
                count=cancelled,
                number=invoice.number,
            )
        )
        return 0
    cancel_scheduled(args.id, staff=staff)
    ctx.print(ctx.tr.format(N_("Scheduled message {id} cancelled."), id=args.id))
    return 0

"""``facteur scheduled``: automatic emails and reminders, waiting or done; ``scheduled cancel``;
pausing and resuming the reminders of an invoice or a patient (``pause``, ``resume``, ``pauses``)."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import TYPE_CHECKING

from cli.arguments import count
from cli.context import Context, require_role, require_staff
from locales import N_, Translator

if TYPE_CHECKING:
    from models.messaging.tables import ScheduledMessage
    from models.views.scheduled_plan import Plan

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
    pause = actions.add_parser(
        "pause",
        help=tr.gettext(
            N_("pause the reminders of an invoice, or of every invoice of a patient, until a date")
        ),
    )
    target = pause.add_mutually_exclusive_group(required=True)
    target.add_argument(
        "--invoice", dest="pause_invoice", metavar="NUMBER", help=tr.gettext(N_("this invoice's reminders"))
    )
    target.add_argument(
        "--patient",
        type=int,
        metavar="ID",
        help=tr.gettext(N_("the reminders of every invoice of this patient")),
    )
    pause.add_argument(
        "--reason", required=True, metavar="TEXT", help=tr.gettext(N_("why (at most 200 characters)"))
    )
    pause.add_argument(
        "--until",
        required=True,
        metavar="YYYY-MM-DD",
        help=tr.gettext(N_("the clinic's date the reminders resume on: after today, at most a year ahead")),
    )
    pause.set_defaults(handler=run_pause)
    resume = actions.add_parser(
        "resume", help=tr.gettext(N_("end a pause now: the reminders it held go at the next pass"))
    )
    resume.add_argument("pause_id", type=int, metavar="PAUSE_ID", help=tr.gettext(N_("the pause's id")))
    resume.set_defaults(handler=run_resume)
    pauses = actions.add_parser("pauses", help=tr.gettext(N_("the reminder pauses in force")))
    pauses.add_argument("--json", action="store_true", help=tr.gettext(N_("JSON output")))
    pauses.set_defaults(handler=run_pauses)


def run_list(args: argparse.Namespace, ctx: Context) -> int:
    """The listing; the waiting one (``--status scheduled``) also says when each goes, and why not sooner."""
    from models.billing.invoicing import find_invoice
    from models.core.enums import ScheduleStatus
    from models.database.base import utcnow
    from models.views.scheduled_plan import plan_record, plan_rows
    from models.views.scheduled_queries import scheduled_query, scheduled_record

    require_staff(ctx)
    ctx.database()
    status = ScheduleStatus(args.status) if args.status else None
    waiting = status is ScheduleStatus.SCHEDULED
    query = scheduled_query(
        status=status,
        invoice=find_invoice(args.invoice) if args.invoice else None,
        upcoming=True if waiting else None,
        limit=args.limit,
    )
    found = list(query)
    plans = plan_rows(found, utcnow(), ctx.tr.language) if waiting else {}
    if args.json:
        records = [scheduled_record(row, ctx.tr) for row in found]
        if waiting:
            records = [
                {**record, **plan_record(plans[row.id], ctx.tr)}
                for row, record in zip(found, records, strict=True)
            ]
        ctx.print_json(records)
        return 0
    from cli.table import print_table

    tr = ctx.tr
    rows = [_row(ctx, row, plans.get(row.id)) for row in found]
    headers = [N_("Id"), N_("When"), N_("Invoice"), N_("Template"), N_("Status"), N_("Reason")]
    if waiting:  # when it really goes, beside when it is due; why it does not go then
        headers.insert(2, N_("Goes out"))
        headers.append(N_("Warnings"))
    print_table(ctx, [tr.gettext(h) for h in headers], rows, right=frozenset({0}))
    return 0


def _row(ctx: Context, row: ScheduledMessage, plan: Plan | None) -> list[str]:
    from locales.formatting import format_datetime
    from models.admin.templates import display_name
    from models.messaging.schedule_reasons import reason_text
    from models.people.clinic import get_clinic
    from models.views.scheduled_queries import outbox_of, status_label

    clinic = get_clinic()
    tr = ctx.tr

    def when(instant: datetime) -> str:
        return format_datetime(instant, clinic.timezone, tr.language, clinic.country, "short")

    cells = [
        str(row.id),
        when(row.due_at),
        row.invoice.number or "",
        display_name(row.template, tr),
        tr.gettext(status_label(row.status, outbox_of(row))),
        reason_text(row.reason, tr)[:60],
    ]
    if plan is not None:
        cells.insert(2, when(plan.goes_at))
        cells.append(" · ".join(warning.render(tr) for warning in plan.warnings))
    return cells


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


def run_pause(args: argparse.Namespace, ctx: Context) -> int:
    from models.billing.invoicing import find_invoice
    from models.views.pause_texts import paused_text
    from models.workflow.reminder_pauses import pause_reminders

    staff = require_role(ctx, "billing")
    target = (
        {"invoice": find_invoice(args.pause_invoice)} if args.pause_invoice else {"patient": args.patient}
    )
    paused = pause_reminders(**target, reason=args.reason, resume_on=args.until, staff=staff)
    ctx.print(paused_text(paused, ctx.tr))
    ctx.print(ctx.tr.format(N_("To resume them early: facteur scheduled resume {id}"), id=paused.pause.id))
    return 0


def run_resume(args: argparse.Namespace, ctx: Context) -> int:
    from models.views.pause_texts import resumed_text
    from models.workflow.reminder_pauses import resume_pause

    staff = require_role(ctx, "billing")
    ctx.print(resumed_text(resume_pause(args.pause_id, staff=staff), ctx.tr))
    return 0


def run_pauses(args: argparse.Namespace, ctx: Context) -> int:
    from locales.formatting import format_date
    from models.people.clinic import get_clinic
    from models.views.pause_texts import listed_pauses, pause_record

    require_staff(ctx)
    ctx.database()
    pauses = listed_pauses()
    if args.json:
        ctx.print_json([pause_record(pause) for pause in pauses])
        return 0
    from cli.table import print_table

    tr, country = ctx.tr, get_clinic().country
    rows = [
        [
            str(shown.pause.id),
            tr.format(N_("invoice {number}"), number=shown.invoice_number)
            if shown.invoice_number is not None
            else tr.format(N_("every invoice of {name}"), name=shown.patient_name),
            format_date(shown.pause.resume_on, tr.language, country, "medium"),
            shown.pause.reason[:60],
            shown.created_by or "",
        ]
        for shown in pauses
    ]
    headers = (N_("Id"), N_("Reminders of"), N_("Resume on"), N_("Reason"), N_("By"))
    print_table(ctx, [tr.gettext(h) for h in headers], rows, right=frozenset({0}))
    return 0

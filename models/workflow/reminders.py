"""Scheduled messages after billing: the agent's scheduler pass, and cancelling them.

``run_due(now, late_days)`` is what the agent's "scheduler" job runs every ~30 seconds while
online. For each scheduled message due by ``now``, oldest first, in its own transaction:

- more than ``late_days`` late (it fell due while the agent was offline): *skipped*;
- no longer wanted (the invoice is void; a reminder whose invoice is paid or whose patient
  opted out; no email address; its template deactivated): *skipped*, with the reason;
- a statement of account (``statement_schedule``): made and queued as the account stands, whatever
  the delay (it is never stale), or skipped or put off as that module says; each pass first plans
  the next statement of every opted-in account that owes;
- a reminder of an invoice or a patient staff paused (``reminder_pauses``): postponed to the resume
  date, at the same wall-clock time, with the reason; never skipped for it;
- a reminder for an invoice that already had one today (the clinic's calendar day): postponed
  to the next day at the same wall-clock time (at most one reminder per invoice per day);
- otherwise queued in the outbox (*enqueued*), or *skipped* with the reason it cannot go.

A paid or voided invoice cancels what is pending (``models.billing.invoicing`` calls
``cancel_pending_reminders`` / ``cancel_pending``); so does the Stripe sync for online payments.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from locales import N_
from models.billing.invoice import Invoice
from models.core.enums import MessageKind, ScheduleStatus, TemplateKind
from models.core.errors import FacteurError
from models.core.labels import SCHEDULE_STATUS
from models.database.base import fk_id, utcnow
from models.database.db import db, locked
from models.messaging import schedule_reasons as reasons
from models.messaging.schedule_time import day_bounds, local_day, next_day_same_time
from models.messaging.tables import OutboxMessage, ScheduledMessage, Template
from models.people.clinic import Staff, get_clinic
from models.workflow.automation import dispatch, settle
from models.workflow.reminder_pauses import active_pause, paused_reason, resume_time
from models.workflow.statement_schedule import dispatch_statement, plan_statements


class CancelRefused(FacteurError):
    """Only a message still waiting for its time can be cancelled."""


@dataclass
class RunReport:
    enqueued: int = 0
    skipped: int = 0
    postponed: int = 0


# Cancelling -------------------------------------------------------------------------------------


def cancel_pending(
    invoice: Invoice | int,
    reason: str,
    *,
    kinds: Iterable[TemplateKind] | None = None,
    now: datetime | None = None,
    **params: Any,
) -> int:
    """Cancel ``invoice``'s scheduled messages (of ``kinds``, else all) with ``reason`` (a msgid)."""
    now = now or utcnow()
    invoice_id = invoice if isinstance(invoice, int) else invoice.id
    pending = (ScheduledMessage.invoice == invoice_id) & (ScheduledMessage.status == ScheduleStatus.SCHEDULED)
    if kinds is not None:
        templates = Template.select(Template.id).where(Template.kind.in_([kind.value for kind in kinds]))
        pending &= ScheduledMessage.template.in_(templates)
    return (
        ScheduledMessage.update(
            status=ScheduleStatus.CANCELLED.value, reason=reasons.encode(reason, **params), updated_at=now
        )
        .where(pending)
        .execute()
    )


def cancel_pending_reminders(
    invoice: Invoice | int, reason: str, *, now: datetime | None = None, **params: Any
) -> int:
    """Cancel the reminders still waiting for ``invoice``, with ``reason`` (a msgid marked with ``N_``,
    its placeholders in ``params``); returns how many. A paid invoice (at the desk or online) calls it."""
    return cancel_pending(invoice, reason, kinds=(TemplateKind.REMINDER,), now=now, **params)


def cancel_for_template(template: Template | int, reason: str, *, now: datetime | None = None) -> int:
    """Cancel every message still waiting on ``template`` (deactivated or deleted)."""
    template_id = template if isinstance(template, int) else template.id
    return (
        ScheduledMessage.update(
            status=ScheduleStatus.CANCELLED.value, reason=reasons.encode(reason), updated_at=now or utcnow()
        )
        .where(
            (ScheduledMessage.template == template_id) & (ScheduledMessage.status == ScheduleStatus.SCHEDULED)
        )
        .execute()
    )


def cancel_scheduled(scheduled_id: int, *, staff: Staff | None = None, now: datetime | None = None) -> None:
    """Staff cancel one waiting message (the Communications screen, ``facteur scheduled cancel``)."""
    reason = (
        reasons.encode(reasons.CANCELLED_BY, name=staff.display_name)
        if staff is not None
        else reasons.encode(reasons.CANCELLED_BY_HAND)
    )
    with db.atomic():
        row = ScheduledMessage.get_or_none(ScheduledMessage.id == scheduled_id)
        if row is None:
            raise CancelRefused(N_("there is no scheduled message {id}"), id=scheduled_id)
        changed = (
            ScheduledMessage.update(
                status=ScheduleStatus.CANCELLED.value, reason=reason, updated_at=now or utcnow()
            )
            .where(
                (ScheduledMessage.id == scheduled_id) & (ScheduledMessage.status == ScheduleStatus.SCHEDULED)
            )
            .execute()
        )
    if not changed:
        raise CancelRefused(
            N_("scheduled message {id} is {status}: only a message still waiting can be cancelled"),
            id=scheduled_id,
            status=SCHEDULE_STATUS[row.status],
        )


def cancel_invoice_schedule(
    invoice: Invoice | int, *, staff: Staff | None = None, now: datetime | None = None
) -> int:
    """Staff cancel everything still waiting for one invoice; returns how many."""
    if staff is not None:
        return cancel_pending(invoice, reasons.CANCELLED_BY, now=now, name=staff.display_name)
    return cancel_pending(invoice, reasons.CANCELLED_BY_HAND, now=now)


# The scheduler ----------------------------------------------------------------------------------


def run_due(now: datetime | None = None, *, late_days: float = 3, limit: int = 500) -> RunReport:
    """One scheduler pass (see the module's rules); at most ``limit`` messages, oldest first."""
    now = now or utcnow()
    report = RunReport()
    with db.atomic():
        plan_statements(now)
    due = (
        ScheduledMessage.select(ScheduledMessage.id)
        .where((ScheduledMessage.status == ScheduleStatus.SCHEDULED) & (ScheduledMessage.due_at <= now))
        .order_by(ScheduledMessage.due_at, ScheduledMessage.id)
        .limit(limit)
    )
    ids = [row.id for row in due]
    if not ids:
        return report
    clinic = get_clinic()
    for scheduled_id in ids:
        with db.atomic():
            outcome = _process(scheduled_id, clinic.timezone, now, late_days)
        if outcome == ScheduleStatus.ENQUEUED:
            report.enqueued += 1
        elif outcome == ScheduleStatus.SKIPPED:
            report.skipped += 1
        elif outcome == ScheduleStatus.SCHEDULED:
            report.postponed += 1
    with db.atomic():
        plan_statements(now)  # the next turn of every statement that went (or was skipped) above
    return report


def _process(scheduled_id: int, timezone: str, now: datetime, late_days: float) -> ScheduleStatus | None:  # noqa: PLR0911 (one exit per rule)
    row = locked(  # two schedulers never take the same row
        ScheduledMessage.select().where(
            (ScheduledMessage.id == scheduled_id) & (ScheduledMessage.status == ScheduleStatus.SCHEDULED)
        )
    ).first()
    if row is None:
        return None  # cancelled, or taken by another agent, meanwhile
    template = Template.get_or_none(Template.id == fk_id(row, "template"))
    invoice = Invoice.get_by_id(fk_id(row, "invoice"))
    if template is None:
        settle(row, ScheduleStatus.SKIPPED, now, reason=reasons.encode(reasons.TEMPLATE_GONE))
        return ScheduleStatus.SKIPPED
    clinic = invoice.billing_company.clinic
    if template.kind == TemplateKind.STATEMENT:  # made when it goes: never stale, however late
        return dispatch_statement(row, invoice, template, clinic, now)
    if template.kind == TemplateKind.REMINDER:  # staff paused it: it waits, however late (reminder_pauses)
        pause = active_pause(invoice, local_day(now, timezone))
        if pause is not None:
            settle(
                row,
                ScheduleStatus.SCHEDULED,
                now,
                due_at=resume_time(row.due_at, pause, timezone),
                reason=paused_reason(pause),
            )
            return ScheduleStatus.SCHEDULED
    if now - row.due_at > timedelta(days=late_days):
        settle(row, ScheduleStatus.SKIPPED, now, reason=reasons.encode(reasons.TOO_LATE, limit=late_days))
        return ScheduleStatus.SKIPPED
    if template.kind == TemplateKind.REMINDER and _reminded_today(invoice.id, now, timezone):
        settle(
            row,
            ScheduleStatus.SCHEDULED,
            now,
            due_at=next_day_same_time(row.due_at, now, timezone),
            reason=reasons.encode(reasons.POSTPONED),
        )
        return ScheduleStatus.SCHEDULED
    return dispatch(row, invoice, template, clinic, now)


def _reminded_today(invoice_id: int, now: datetime, timezone: str) -> bool:
    start, end = day_bounds(local_day(now, timezone), timezone)
    return (
        OutboxMessage.select(OutboxMessage.id)
        .where(
            (OutboxMessage.invoice == invoice_id)
            & (OutboxMessage.kind == MessageKind.REMINDER)
            & (OutboxMessage.created_at >= start)
            & (OutboxMessage.created_at < end)
        )
        .exists()
    )

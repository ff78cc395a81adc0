"""Pausing a patient's or an invoice's payment reminders, with a reason and a resume date.

- A pause (``reminder_pause``) names one invoice, or one patient and so all their invoices (their
  own and those billed to a third party); it holds the reason, the clinic's date the reminders
  resume on (``resume_on``: after today, at most a year ahead), who paused and when, and
  ``ended_at`` once staff resume early.
- It is *active* until it ends or the clinic's calendar reaches ``resume_on``.
- Pausing a target already paused *replaces* that pause, in one transaction: the old one ends, the
  new one holds at once and what the old one postponed moves to the new date, so lengthening or
  shortening a pause never lets a reminder slip out between the two.
- The scheduler (``reminders._process``) does not send a reminder due while its invoice or patient
  is paused: it postpones it to the resume date at the time of day it was due (the latest resume
  date where both are paused), still waiting, with the reason; it is never skipped for a pause.
  Automatic invoice emails and statements of account are not paused.
- Resuming early makes due at once the reminders the pause postponed: the next scheduler pass sends
  them, in the clinic's sending window.

Callers check the billing role (the TUI, ``facteur scheduled pause``), as for cancelling.
"""

from __future__ import annotations

import contextlib
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime

import peewee
from dateutil.relativedelta import relativedelta

from locales import N_
from models.billing.invoice import Invoice
from models.core.enums import InvoiceStatus, OutboxStatus, ScheduleStatus, TemplateKind
from models.core.errors import FacteurError, NotFoundError, ValidationError, check_fields
from models.core.labels import INVOICE_STATUS
from models.core.validation import REQUIRED, check_plain_text
from models.database.base import BaseModel, UTCDateTimeField, fk_id, utcnow
from models.database.db import db, locked
from models.messaging import schedule_reasons as reasons
from models.messaging.schedule_time import from_wall, local_day, to_wall
from models.messaging.tables import OutboxMessage, ScheduledMessage, Template
from models.people.clinic import Staff, get_clinic
from models.people.patient import Patient

REASON_MAX = 200

REASON_TOO_LONG = N_("the reason is {length} characters long; the maximum is {max}")
REASON_NOT_ONE_LINE = N_("remove the control characters (tabs, line breaks) from the reason")
BAD_DATE = N_("{value} is not a date: write it as YYYY-MM-DD, e.g. {example}")
NOT_AFTER_TODAY = N_("the reminders must resume after today ({today}): choose a later date")
TOO_FAR = N_("a pause lasts at most a year: choose a date up to {last}")
NOTHING_TO_PAUSE = N_("invoice {number} is {status}: it has no reminders to pause")
NO_PATIENT = N_("no patient #{id}")
NO_PAUSE = N_("there is no reminder pause {id}")
ALREADY_ENDED = N_("reminder pause {id} already ended on {date}")
ALREADY_OVER = N_("reminder pause {id} is over: the reminders resumed on {date}")


class ResumeRefused(FacteurError):
    """Only an active pause can be resumed."""


class ReminderPause(BaseModel):
    """Staff paused the reminders of one invoice, or of one patient's invoices, until ``resume_on``."""

    patient = peewee.ForeignKeyField(Patient, null=True, backref="+", on_delete="CASCADE")
    invoice = peewee.ForeignKeyField(Invoice, null=True, backref="+", on_delete="CASCADE")
    reason = peewee.CharField(max_length=REASON_MAX)
    resume_on = peewee.DateField()  # the clinic's date reminders go again
    created_by = peewee.ForeignKeyField(Staff, null=True, backref="+", on_delete="SET NULL")
    created_at = UTCDateTimeField(default=utcnow)
    ended_at = UTCDateTimeField(null=True)  # resumed early, or replaced by a newer pause
    ended_by = peewee.ForeignKeyField(Staff, null=True, backref="+", on_delete="SET NULL")

    class Meta:
        table_name = "reminder_pause"
        constraints = (  # exactly one target
            peewee.Check(
                "(patient_id IS NULL AND invoice_id IS NOT NULL) "
                "OR (patient_id IS NOT NULL AND invoice_id IS NULL)"
            ),
        )


@dataclass(frozen=True)
class Paused:
    """A new pause, and the one it replaced (same target, still active), if any."""

    pause: ReminderPause
    replaced: ReminderPause | None


@dataclass(frozen=True)
class Resumed:
    """A pause ended early, and how many reminders it had postponed are due again now."""

    pause: ReminderPause
    released: int


# Checking what staff typed ----------------------------------------------------------------------


def validate_reason(text: str) -> str:
    """The reason, stripped: required, one line, nothing hidden, at most ``REASON_MAX`` characters."""
    reason = text.strip()
    if not reason:
        raise ValidationError("reason", REQUIRED)
    if any(unicodedata.category(char) in ("Cc", "Zl", "Zp") for char in reason):
        raise ValidationError("reason", REASON_NOT_ONE_LINE)
    check_plain_text(reason, "reason")  # the bidi overrides
    if len(reason) > REASON_MAX:
        raise ValidationError("reason", REASON_TOO_LONG, length=len(reason), max=REASON_MAX)
    return reason


def latest_resume(today: date) -> date:
    """The last date a pause made ``today`` may run to: a year ahead (February 29 gives the 28th)."""
    return today + relativedelta(years=1)


def validate_resume_on(value: str | date, today: date) -> date:
    """The resume date (typed ``YYYY-MM-DD``): after ``today`` (the clinic's), at most a year ahead."""
    day = value if isinstance(value, date) else _parse_date(value, today)
    if day <= today:
        raise ValidationError("resume_on", NOT_AFTER_TODAY, today=today.isoformat())
    last = latest_resume(today)
    if day > last:
        raise ValidationError("resume_on", TOO_FAR, last=last.isoformat())
    return day


def _parse_date(value: str, today: date) -> date:
    text = value.strip()
    if not text:
        raise ValidationError("resume_on", REQUIRED)
    if len(text) == len("YYYY-MM-DD"):  # not 20260413, which fromisoformat takes too
        with contextlib.suppress(ValueError):
            return date.fromisoformat(text)
    raise ValidationError("resume_on", BAD_DATE, value=text, example=today.isoformat())


# Pausing and resuming ---------------------------------------------------------------------------


def pause_reminders(
    *,
    invoice: Invoice | int | None = None,
    patient: Patient | int | None = None,
    reason: str,
    resume_on: str | date,
    staff: Staff | None,
    now: datetime | None = None,
) -> Paused:
    """Pause the reminders of ``invoice``, or of every invoice of ``patient`` (exactly one), until
    ``resume_on``; replaces an active pause of the same target (see the module). ``FieldErrors``
    names the refused fields (``reason``, ``resume_on``); ``NotFoundError`` or ``ValidationError``
    (``target``) refuse the target."""
    if (invoice is None) == (patient is None):
        raise ValueError("pause the reminders of an invoice or of a patient: exactly one")
    now = now or utcnow()
    timezone = get_clinic().timezone
    today = local_day(now, timezone)
    values = check_fields(
        {
            "reason": lambda: validate_reason(reason),
            "resume_on": lambda: validate_resume_on(resume_on, today),
        }
    )
    with db.atomic():
        if invoice is not None:
            target = ReminderPause.invoice == _lock_invoice(invoice)
            fields: dict[str, object] = {"invoice": _id(invoice)}
        else:
            target = ReminderPause.patient == _lock_patient(patient)
            fields = {"patient": _id(patient)}
        replaced = _active(ReminderPause.select().where(target), today).first()
        if replaced is not None:
            _end(replaced, staff, now)
        pause = ReminderPause.create(
            **fields,
            reason=values["reason"],
            resume_on=values["resume_on"],
            created_by=staff,
            created_at=now,
        )
        if replaced is not None:
            _hand_over(replaced, pause, timezone, now)
        _hold_queued(pause, timezone, now)
    return Paused(pause, replaced)


def resume_pause(pause_id: int, *, staff: Staff | None, now: datetime | None = None) -> Resumed:
    """End an active pause now (``ResumeRefused`` otherwise): what it postponed is due at once."""
    now = now or utcnow()
    timezone = get_clinic().timezone
    today = local_day(now, timezone)
    with db.atomic():
        pause = locked(ReminderPause.select().where(ReminderPause.id == pause_id)).first()
        if pause is None:
            raise ResumeRefused(NO_PAUSE, id=pause_id)
        if pause.ended_at is not None:
            ended = local_day(pause.ended_at, timezone)
            raise ResumeRefused(ALREADY_ENDED, id=pause_id, date=ended.isoformat())
        if pause.resume_on <= today:
            raise ResumeRefused(ALREADY_OVER, id=pause_id, date=pause.resume_on.isoformat())
        _end(pause, staff, now)
        released = (
            ScheduledMessage.update(due_at=now, reason=None, updated_at=now)
            .where(_postponed_by(pause) & (ScheduledMessage.due_at > now))
            .execute()
        )
    return Resumed(pause, released)


def _end(pause: ReminderPause, staff: Staff | None, now: datetime) -> None:
    ReminderPause.update(ended_at=now, ended_by=staff).where(ReminderPause.id == pause.id).execute()
    pause.ended_at, pause.ended_by = now, staff


def _postponed_by(pause: ReminderPause) -> peewee.Expression:
    """The reminders ``pause`` postponed, still waiting."""
    return (
        (ScheduledMessage.status == ScheduleStatus.SCHEDULED)
        & ScheduledMessage.invoice.in_(_invoices_of(pause))
        & (ScheduledMessage.reason == paused_reason(pause))
    )


def _hold_queued(pause: ReminderPause, timezone: str, now: datetime) -> int:
    """Reminders the scheduler already queued that have not gone yet (waiting for the sending window
    over a weekend, or for the agent) are taken back: each outbox message is cancelled, never having
    been tried, and its scheduled row waits again, for the resume date at its time of day. One being
    sent right now cannot be called back."""
    queued = list(
        ScheduledMessage.select(ScheduledMessage.id, ScheduledMessage.due_at, ScheduledMessage.outbox_message)
        .join(OutboxMessage, on=ScheduledMessage.outbox_message == OutboxMessage.id)
        .join(Template, on=ScheduledMessage.template == Template.id)
        .where(
            (ScheduledMessage.status == ScheduleStatus.ENQUEUED)
            & ScheduledMessage.invoice.in_(_invoices_of(pause))
            & (Template.kind == TemplateKind.REMINDER.value)
            & (OutboxMessage.status == OutboxStatus.PENDING)
            & (OutboxMessage.attempts == 0)
        )
    )
    for row in queued:
        message_id = fk_id(row, "outbox_message")
        taken = (
            OutboxMessage.update(status=OutboxStatus.CANCELLED.value, lease_owner=None)
            .where((OutboxMessage.id == message_id) & (OutboxMessage.status == OutboxStatus.PENDING))
            .execute()
        )
        if taken:
            ScheduledMessage.update(
                status=ScheduleStatus.SCHEDULED.value,
                outbox_message=None,
                due_at=resume_time(row.due_at, pause, timezone),
                reason=paused_reason(pause),
                updated_at=now,
            ).where(ScheduledMessage.id == row.id).execute()
    return len(queued)


def _hand_over(old: ReminderPause, new: ReminderPause, timezone: str, now: datetime) -> None:
    """Move what ``old`` postponed to ``new``'s resume date, at the time of day each was due (they
    were due before today, so before either date)."""
    for row in ScheduledMessage.select(ScheduledMessage.id, ScheduledMessage.due_at).where(
        _postponed_by(old)
    ):
        wall = to_wall(row.due_at, timezone).time()
        ScheduledMessage.update(
            due_at=from_wall(datetime.combine(new.resume_on, wall), timezone),
            reason=paused_reason(new),
            updated_at=now,
        ).where(ScheduledMessage.id == row.id).execute()


def _invoices_of(pause: ReminderPause) -> list[int] | peewee.ModelSelect[Invoice]:
    invoice_id = fk_id(pause, "invoice")
    if invoice_id is not None:
        return [invoice_id]
    return Invoice.select(Invoice.id).where(Invoice.patient == fk_id(pause, "patient"))


def _lock_invoice(invoice: Invoice | int) -> int:
    row = locked(Invoice.select().where(Invoice.id == _id(invoice))).first()
    if row is None:
        raise NotFoundError(N_("no invoice {invoice}"), invoice=f"#{_id(invoice)}")
    if row.status in (InvoiceStatus.DRAFT, InvoiceStatus.VOID):
        raise ValidationError(
            "target",
            NOTHING_TO_PAUSE,
            number=row.number or f"#{row.id}",
            status=INVOICE_STATUS[row.status],
        )
    return int(row.id)


def _lock_patient(patient: Patient | int | None) -> int:
    patient_id = _id(patient)
    if locked(Patient.select().where(Patient.id == patient_id)).first() is None:
        raise NotFoundError(NO_PATIENT, id=patient_id)
    return patient_id


def _id(row: peewee.Model | int | None) -> int:
    if row is None:
        raise ValueError("a target is needed")
    return row if isinstance(row, int) else int(row.get_id())


# Reading the pauses -----------------------------------------------------------------------------


def _active(query: peewee.ModelSelect[ReminderPause], today: date) -> peewee.ModelSelect[ReminderPause]:
    return query.where(ReminderPause.ended_at.is_null() & (ReminderPause.resume_on > today)).order_by(
        ReminderPause.resume_on.desc(), ReminderPause.id.desc()
    )


def active_pauses(
    today: date,
    *,
    invoices: Collection[int] | None = None,
    patients: Collection[int] | None = None,
) -> list[ReminderPause]:
    """The pauses active on the clinic's date ``today``, latest resume date first; only those of
    ``invoices`` or of ``patients`` when either is given (a page of rows: one query)."""
    query = ReminderPause.select()
    if invoices is not None or patients is not None:
        query = query.where(
            ReminderPause.invoice.in_(list(invoices or ())) | ReminderPause.patient.in_(list(patients or ()))
        )
    return list(_active(query, today))


def covering(pauses: Collection[ReminderPause], invoice_id: int, patient_id: int) -> ReminderPause | None:
    """Of ``pauses`` (active ones, latest resume date first), the one holding the reminders of this
    invoice of this patient: its own or its patient's, whichever resumes last."""
    for pause in pauses:
        if fk_id(pause, "invoice") == invoice_id or fk_id(pause, "patient") == patient_id:
            return pause
    return None


def active_pause(invoice: Invoice, today: date) -> ReminderPause | None:
    """The pause holding ``invoice``'s reminders on the clinic's date ``today`` (its own or its
    patient's), if any."""
    patient_id = fk_id(invoice, "patient")
    return covering(
        active_pauses(today, invoices=[invoice.id], patients=[patient_id]), invoice.id, patient_id
    )


def resume_time(due_at: datetime, pause: ReminderPause, timezone: str) -> datetime:
    """When a reminder due at ``due_at`` may go under ``pause``: the resume date, at the time of day
    it was due; ``due_at`` itself when it falls on or after that date."""
    wall = to_wall(due_at, timezone)
    if wall.date() >= pause.resume_on:
        return due_at
    return from_wall(datetime.combine(pause.resume_on, wall.time()), timezone)


def paused_reason(pause: ReminderPause) -> str:
    """The reason a reminder postponed by ``pause`` carries (resuming finds the reminders by it)."""
    return reasons.encode(
        reasons.PAUSED, date=pause.resume_on.isoformat(), reason=pause.reason, pause=pause.id
    )

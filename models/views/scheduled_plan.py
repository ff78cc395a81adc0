"""When each waiting scheduled message really goes, and what staff should know before it does.

``plan_rows`` takes a page of waiting rows (``scheduled_query(upcoming=True)``: template, invoice
and patient joined) and gives each a ``Plan``:

- ``goes_at``: its due time, moved to the resume date where staff paused its reminders
  (``models.workflow.reminder_pauses``), then into the clinic's sending window (``sending_window``);
  one already due goes at the scheduler's next pass, so never before ``now``;
- ``warnings``, most important first: paused (until when, why); its time falls on a public holiday,
  a day the clinic does not send or outside the sending hours (and when it goes instead); a reminder
  going less than a day after a message staff sent of the same invoice (the patient just heard from
  the clinic); no email address (nothing can go); for an invoice email or a statement, no cell
  phone where the clinic sends the PIN by text message (or no insurance number for its PIN).

Each warning has a machine code, a short label for a table's column and a full text, its dates
written in each reader's language. A page costs three queries whatever its size: the clinic, the
active pauses of its invoices and patients, and the sends staff made of its reminders' invoices.
``holiday_note`` lists the public holidays of the next 30 days that close a sending day.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any, cast

from babel.dates import format_skeleton

from locales import L_, N_, LazyText, Translator
from locales.formatting import babel_locale, format_date, format_datetime
from models.core.enums import OutboxStatus, TemplateChannel, TemplateKind
from models.database.base import fk_id
from models.messaging import schedule_reasons as reasons
from models.messaging.schedule_time import local_day
from models.messaging.sending_window import (
    NOT_A_SENDING_DAY,
    PUBLIC_HOLIDAY,
    closed_because,
    next_opening,
    upcoming_holidays,
    window_of,
)
from models.messaging.tables import OutboxMessage, ScheduledMessage
from models.people.clinic import Clinic, Staff, get_clinic
from models.workflow.automation import Skip, default_pin
from models.workflow.reminder_pauses import ReminderPause, active_pauses, covering, resume_time
from models.workflow.texting import text_refusal

UPCOMING_DAYS = 30  # the Communications screen's default scope, and the holidays it names
RECENT = timedelta(hours=24)  # a reminder this soon after a staff send: the patient just heard

PAUSED_UNTIL = N_("paused until {date}: {reason}")
GOES_INSTEAD = N_("{reason}; it will go on {when}")
RECENT_SEND = N_("{name} sent this invoice on {when}, less than a day before this reminder")
HOLIDAYS = N_("Public holidays: {days}")


class WarningCode(StrEnum):
    PAUSED = "paused"
    HOLIDAY = "holiday"
    DAY_OFF = "day_off"
    OUTSIDE_HOURS = "outside_hours"
    RECENT_SEND = "recent_send"
    NO_EMAIL = "no_email"
    NO_PHONE = "no_phone"
    NO_INSURANCE_PIN = "no_insurance_pin"
    NO_TEXT = "no_text"  # a text reminder the patient cannot get: no consent, no mobile number…


SHORT: dict[WarningCode, LazyText] = {
    WarningCode.PAUSED: L_("paused"),
    WarningCode.HOLIDAY: L_("holiday"),
    WarningCode.DAY_OFF: L_("day off"),
    WarningCode.OUTSIDE_HOURS: L_("after hours"),
    WarningCode.RECENT_SEND: L_("just sent"),
    WarningCode.NO_EMAIL: L_("no email"),
    WarningCode.NO_PHONE: L_("no cell phone"),
    WarningCode.NO_INSURANCE_PIN: L_("no insurance number"),
    WarningCode.NO_TEXT: L_("no text"),
}


@dataclass(frozen=True)
class LocalDate:
    """A date as a message's parameter, written in each reader's language (medium: "Apr 13, 2026")."""

    day: date
    country: str

    def render(self, tr: Translator) -> str:
        return format_date(self.day, tr.language, self.country, "medium")


@dataclass(frozen=True)
class LocalTime:
    """An instant as a message's parameter: the clinic's clock, in each reader's language."""

    at: datetime
    timezone: str
    country: str

    def render(self, tr: Translator) -> str:
        return format_datetime(self.at, self.timezone, tr.language, self.country, "short")


@dataclass(frozen=True)
class RowWarning:
    """Something staff should know about a waiting message: ``code`` for programs, ``short`` for a
    column, ``render(tr)`` in full."""

    code: WarningCode
    msgid: str
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def short(self) -> LazyText:
        return SHORT[self.code]

    def render(self, tr: Translator) -> str:
        return tr.format(self.msgid, **self.params)


@dataclass(frozen=True)
class Plan:
    """When a waiting message goes, what to warn about (most important first), the pause holding it."""

    goes_at: datetime
    warnings: tuple[RowWarning, ...]
    pause: ReminderPause | None = None


def plan_rows(
    rows: Sequence[ScheduledMessage], now: datetime, language: str | None, clinic: Clinic | None = None
) -> dict[int, Plan]:
    """Each waiting row's ``Plan`` by id (see the module); holiday names in ``language``."""
    if not rows:
        return {}
    clinic = clinic or get_clinic()
    window = window_of(clinic)
    timezone, country = str(clinic.timezone), str(clinic.country)
    reminders = [row for row in rows if row.template.kind == TemplateKind.REMINDER]
    pauses = (
        active_pauses(
            local_day(now, timezone),
            invoices={fk_id(row, "invoice") for row in reminders},
            patients={fk_id(row.invoice, "patient") for row in reminders},
        )
        if reminders
        else []
    )
    timing: dict[int, tuple[ReminderPause | None, datetime, datetime]] = {}
    for row in rows:
        pause = None
        if row.template.kind == TemplateKind.REMINDER:
            pause = covering(pauses, fk_id(row, "invoice"), fk_id(row.invoice, "patient"))
            if pause is not None and local_day(max(row.due_at, now), timezone) >= pause.resume_on:
                pause = None  # due once the pause is over
        due = max(resume_time(row.due_at, pause, timezone) if pause else row.due_at, now)
        timing[row.id] = (pause, due, next_opening(window, due))
    sends = _staff_sends(reminders, {row.id: timing[row.id][2] for row in reminders})
    plans = {}
    for row in rows:
        pause, due, goes = timing[row.id]
        warnings: list[RowWarning] = []
        if pause is not None:
            warnings.append(
                RowWarning(
                    WarningCode.PAUSED,
                    PAUSED_UNTIL,
                    {"date": LocalDate(pause.resume_on, country), "reason": pause.reason},
                )
            )
        closed = closed_because(window, due, language)
        if closed is not None:
            code = {NOT_A_SENDING_DAY: WarningCode.DAY_OFF, PUBLIC_HOLIDAY: WarningCode.HOLIDAY}.get(
                closed.msgid, WarningCode.OUTSIDE_HOURS
            )
            warnings.append(
                RowWarning(code, GOES_INSTEAD, {"reason": closed, "when": LocalTime(goes, timezone, country)})
            )
        sent = sends.get(row.id)
        if sent is not None:
            at, name = sent
            warnings.append(
                RowWarning(
                    WarningCode.RECENT_SEND,
                    RECENT_SEND,
                    {"name": name, "when": LocalTime(at, timezone, country)},
                )
            )
        warnings.extend(_unreachable(row, clinic))
        plans[row.id] = Plan(goes, tuple(warnings), pause)
    return plans


def _staff_sends(
    reminders: Sequence[ScheduledMessage], goes: Mapping[int, datetime]
) -> dict[int, tuple[datetime, str]]:
    """For each reminder going (``goes``, by row id) less than ``RECENT`` after a message staff sent
    of its invoice (not cancelled; a link task sends nothing), the latest such send: when, and who.
    One query."""
    if not reminders:
        return {}
    times = list(goes.values())
    query = (
        OutboxMessage.select(OutboxMessage.invoice, OutboxMessage.created_at, Staff.display_name)
        .join(Staff, on=OutboxMessage.created_by == Staff.id)
        .where(
            OutboxMessage.invoice.in_({fk_id(row, "invoice") for row in reminders})
            & (OutboxMessage.status != OutboxStatus.CANCELLED)
            & OutboxMessage.link_action.is_null()
            & (OutboxMessage.created_at >= min(times) - RECENT)
            & (OutboxMessage.created_at <= max(times))
        )
        .order_by(OutboxMessage.created_at.desc())
        .tuples()
    )
    by_invoice: dict[int, list[tuple[datetime, str]]] = defaultdict(list)
    for invoice_id, created_at, name in cast(
        "list[tuple[int, datetime, str]]", list(query)
    ):  # the stubs type tuples() rows as models
        by_invoice[invoice_id].append((created_at, name))
    found = {}
    for row in reminders:
        when = goes[row.id]
        for at, name in by_invoice.get(fk_id(row, "invoice"), ()):
            if when - RECENT <= at <= when:
                found[row.id] = (at, name)
                break
    return found


def _unreachable(row: ScheduledMessage, clinic: Clinic) -> list[RowWarning]:
    """What the message lacks to go at all: an email address; for an invoice email or a statement,
    what the clinic's PIN mode needs (reminders carry no PIN)."""
    invoice, kind = row.invoice, row.template.kind
    if row.template.channel == TemplateChannel.SMS:  # a text: the patient's consent and mobile number
        refusal = text_refusal(invoice)
        return [] if refusal is None else [RowWarning(WarningCode.NO_TEXT, refusal.message, refusal.params)]
    found = []
    if kind == TemplateKind.STATEMENT:
        email, missing = invoice.patient.email, reasons.NO_PATIENT_EMAIL
    else:
        email, missing = invoice.billed_to_email, reasons.NO_EMAIL
    if not (email or "").strip():
        found.append(RowWarning(WarningCode.NO_EMAIL, missing))
    if kind != TemplateKind.REMINDER:
        try:
            default_pin(invoice, clinic)
        except Skip as exc:
            code = WarningCode.NO_PHONE if exc.message == reasons.NO_PHONE else WarningCode.NO_INSURANCE_PIN
            found.append(RowWarning(code, exc.message, exc.params))
    return found


def plan_record(plan: Plan, tr: Translator) -> dict[str, Any]:
    """A plan's part of a waiting message's ``--json`` record: ``goes_at`` and ``warnings`` (each
    a ``code`` and its ``text`` in the reader's language)."""
    return {
        "goes_at": plan.goes_at.isoformat(),
        "warnings": [{"code": str(warning.code), "text": warning.render(tr)} for warning in plan.warnings],
    }


def holiday_note(now: datetime, tr: Translator, clinic: Clinic | None = None) -> str:
    """ "Public holidays: Apr 3 Good Friday, …" for the ``UPCOMING_DAYS`` days from the clinic's today,
    those closing a sending day; ``""`` when there are none."""
    clinic = clinic or get_clinic()
    found = upcoming_holidays(
        window_of(clinic), local_day(now, str(clinic.timezone)), UPCOMING_DAYS, tr.language
    )
    if not found:
        return ""
    locale = babel_locale(tr.language, str(clinic.country))
    days = ", ".join(f"{format_skeleton('MMMd', day, locale=locale)} {name}" for day, name in found)
    return tr.format(HOLIDAYS, days=days)

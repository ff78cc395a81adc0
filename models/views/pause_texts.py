"""What staff read about reminder pauses: what pausing and resuming did, and the active pauses
listed (``facteur scheduled pauses``), as text or as stable JSON records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from locales import N_, Translator
from models.billing.invoice import Invoice, describe
from models.database.base import fk_id, utcnow
from models.messaging.schedule_time import local_day
from models.people.clinic import Staff, get_clinic
from models.people.patient import Patient
from models.views.scheduled_plan import LocalDate
from models.workflow.reminder_pauses import Paused, ReminderPause, Resumed, active_pauses

PAUSED_INVOICE = N_("Reminders of invoice {number} paused until {date}.")
PAUSED_PATIENT = N_("Reminders of {name}'s invoices paused until {date}.")
REPLACES = N_("It replaces the pause until {date}.")
RESUMED_INVOICE = N_("Reminders of invoice {number} resumed.")
RESUMED_PATIENT = N_("Reminders of {name}'s invoices resumed.")


@dataclass(frozen=True)
class PauseShown:
    """A pause with what it holds: an invoice (its number), or a patient's invoices."""

    pause: ReminderPause
    patient_id: int
    patient_name: str
    invoice_number: str | None  # None: every invoice of the patient
    created_by: str | None  # the login of who paused

    @property
    def on_invoice(self) -> bool:
        return fk_id(self.pause, "invoice") is not None


def shown(pauses: list[ReminderPause]) -> list[PauseShown]:
    """``pauses`` with their invoices, patients and authors, read in three queries whatever their number."""
    invoice_ids = {fk_id(pause, "invoice") for pause in pauses} - {None}
    invoices = (
        {row.id: row for row in Invoice.select().where(Invoice.id.in_(invoice_ids))} if invoice_ids else {}
    )
    patient_ids = {fk_id(pause, "patient") for pause in pauses} - {None}
    patient_ids |= {fk_id(invoice, "patient") for invoice in invoices.values()}
    patients = (
        {row.id: row for row in Patient.select().where(Patient.id.in_(patient_ids))} if patient_ids else {}
    )
    staff_ids = {fk_id(pause, "created_by") for pause in pauses} - {None}
    authors = Staff.select(Staff.id, Staff.login).where(Staff.id.in_(staff_ids)) if staff_ids else []
    logins: dict[int, str] = {row.id: row.login for row in authors}
    result = []
    for pause in pauses:
        invoice = invoices.get(fk_id(pause, "invoice"))
        patient_id = fk_id(invoice, "patient") if invoice is not None else fk_id(pause, "patient")
        number = describe(invoice) if invoice is not None else None
        author = logins.get(fk_id(pause, "created_by"))
        result.append(PauseShown(pause, patient_id, patients[patient_id].full_name, number, author))
    return result


def listed_pauses(now: datetime | None = None) -> list[PauseShown]:
    """Every pause active now, the latest resume date first."""
    return shown(active_pauses(local_day(now or utcnow(), get_clinic().timezone)))


def paused_text(paused: Paused, tr: Translator) -> str:
    """ "Reminders of invoice CDP-2026-00012 paused until Apr 13, 2026." (and what it replaced)."""
    country = str(get_clinic().country)
    (pause,) = shown([paused.pause])
    until = LocalDate(paused.pause.resume_on, country)
    if pause.invoice_number is not None:
        text = tr.format(PAUSED_INVOICE, number=pause.invoice_number, date=until)
    else:
        text = tr.format(PAUSED_PATIENT, name=pause.patient_name, date=until)
    if paused.replaced is not None:
        text += " " + tr.format(REPLACES, date=LocalDate(paused.replaced.resume_on, country))
    return text


def resumed_text(resumed: Resumed, tr: Translator) -> str:
    """ "Reminders of invoice CDP-2026-00012 resumed. 2 postponed reminders go at the next pass…"."""
    (pause,) = shown([resumed.pause])
    if pause.invoice_number is not None:
        text = tr.format(RESUMED_INVOICE, number=pause.invoice_number)
    else:
        text = tr.format(RESUMED_PATIENT, name=pause.patient_name)
    if resumed.released:
        text += " " + tr.nformat(
            "{count} postponed reminder is due again: it goes at the next pass, in the sending hours.",
            "{count} postponed reminders are due again: they go at the next pass, in the sending hours.",
            resumed.released,
            count=resumed.released,
        )
    return text


def pause_record(shown_pause: PauseShown) -> dict[str, Any]:
    """One pause for ``--json``: what it holds, why, until when, who made it."""
    pause = shown_pause.pause
    return {
        "id": pause.id,
        "target": "invoice" if shown_pause.on_invoice else "patient",
        "invoice_id": fk_id(pause, "invoice"),
        "invoice_number": shown_pause.invoice_number,
        "patient_id": shown_pause.patient_id,
        "patient_name": shown_pause.patient_name,
        "reason": pause.reason,
        "resume_on": pause.resume_on.isoformat(),
        "created_by": shown_pause.created_by,
        "created_at": pause.created_at.isoformat(),
    }

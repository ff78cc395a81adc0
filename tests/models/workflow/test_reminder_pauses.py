"""Staff pause an invoice's or a patient's reminders: the scheduler postpones them to the resume date,
resuming early makes them due, invoice emails and statements go on; what is refused. Then the plan
the Communications screen shows: when each waiting message goes, and its warnings."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from locales import translator
from models.billing.invoice import Invoice
from models.billing.invoicing import LineInput, create_draft
from models.core.enums import DelayUnit, MessageKind, OutboxStatus, PinMode, ScheduleStatus, TemplateKind
from models.core.errors import FieldErrors, NotFoundError, ValidationError
from models.messaging.schedule_reasons import reason_text
from models.messaging.schedule_time import from_wall, to_wall
from models.messaging.tables import OutboxMessage, ScheduledMessage, Template
from models.people.patient import Patient
from models.views.scheduled_plan import holiday_note, plan_record, plan_rows
from models.views.scheduled_queries import scheduled_query
from models.workflow.lifecycle import bill, void
from models.workflow.reminder_pauses import ReminderPause, ResumeRefused, pause_reminders, resume_pause
from models.workflow.reminders import run_due
from tests.conftest import Setup

EN = translator("en")
TORONTO = "America/Toronto"
BILLED_AT = from_wall(datetime(2026, 3, 2, 10, 0), TORONTO)  # a Monday; the first reminder: March 17
MARCH_10 = from_wall(datetime(2026, 3, 10, 9, 0), TORONTO)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return from_wall(datetime(day.year, day.month, day.day, hour, minute), TORONTO)


@pytest.fixture
def templates(setup: Setup) -> Setup:
    """Every shipped invoice and reminder template on; the invoice email waits two days."""
    setup.clinic.default_pin_mode = PinMode.NONE.value
    setup.clinic.save()
    Template.update(active=True).where(Template.kind != TemplateKind.STATEMENT.value).execute()
    Template.update(delay_value=2, delay_unit=DelayUnit.DAYS.value).where(
        Template.system_key == "invoice_email"
    ).execute()
    return setup


def invoice_of(setup: Setup, patient: Patient | None = None, **fields: object) -> Invoice:
    patient = patient or Patient.create(
        **{
            "last_name": "Tremblay",
            "first_name": "Marie",
            "email": "marie@example.org",
            "consent_email_attachments": True,
            **fields,
        }
    )
    draft = create_draft(
        patient=patient, billing_company=setup.company, lines=[LineInput("Consultation", Decimal(1), 8500)]
    )
    return bill(draft, now=BILLED_AT)


def row(invoice: Invoice, key: str) -> ScheduledMessage:
    template = Template.get(Template.system_key == key)
    return ScheduledMessage.get(
        (ScheduledMessage.invoice == invoice.id) & (ScheduledMessage.template == template)
    )


def wall(instant: datetime) -> datetime:
    return to_wall(instant, TORONTO)


# Pausing -----------------------------------------------------------------------------------------


def test_a_paused_invoices_reminder_waits_for_the_resume_date_and_its_email_goes(
    setup: Setup, templates: Setup
) -> None:
    invoice = invoice_of(setup)
    other = invoice_of(setup, first_name="Paul")
    paused = pause_reminders(
        invoice=invoice, reason="en voyage", resume_on="2026-03-25", staff=setup.provider, now=BILLED_AT
    )
    assert paused.replaced is None and paused.pause.created_by_id == setup.provider.id

    report = run_due(BILLED_AT + timedelta(days=2, minutes=1))  # the invoice emails are not paused
    assert (report.enqueued, report.postponed) == (2, 0)
    report = run_due(at(date(2026, 3, 17), 10, 5))  # both first reminders fall due
    assert (report.enqueued, report.postponed) == (1, 1)
    first = row(invoice, "reminder_first")
    assert first.status == ScheduleStatus.SCHEDULED
    assert wall(first.due_at) == datetime(2026, 3, 25, 10, 0)  # the resume date, at the time it was due
    assert reason_text(first.reason, EN) == "paused by staff until 2026-03-25: en voyage"
    assert row(other, "reminder_first").status == ScheduleStatus.ENQUEUED
    # not before the resume date; then it goes, however long it waited
    assert run_due(at(date(2026, 3, 24), 23, 59)).enqueued == 0
    assert run_due(first.due_at).enqueued == 1
    assert row(invoice, "reminder_first").status == ScheduleStatus.ENQUEUED


def test_a_paused_patient_holds_every_invoice_until_resumed_early(setup: Setup, templates: Setup) -> None:
    first = invoice_of(setup)
    second = invoice_of(setup, patient=Patient.get_by_id(first.patient_id))
    pause = pause_reminders(
        patient=first.patient_id, reason="deuil", resume_on=date(2026, 4, 20), staff=None, now=MARCH_10
    ).pause
    march_17 = at(date(2026, 3, 17), 10, 5)
    assert run_due(march_17).postponed == 2
    assert {wall(row(each, "reminder_first").due_at) for each in (first, second)} == {
        datetime(2026, 4, 20, 10, 0)
    }

    resumed = resume_pause(pause.id, staff=setup.provider, now=march_17 + timedelta(hours=1))
    assert resumed.released == 2
    again = ReminderPause.get_by_id(pause.id)
    assert again.ended_at == march_17 + timedelta(hours=1) and again.ended_by_id == setup.provider.id
    assert row(first, "reminder_first").due_at == march_17 + timedelta(hours=1)  # due at once
    assert run_due(march_17 + timedelta(hours=1)).enqueued == 2
    kinds = OutboxMessage.select(OutboxMessage.kind).where(OutboxMessage.kind == MessageKind.REMINDER)
    assert kinds.count() == 2
    with pytest.raises(ResumeRefused, match="already ended"):
        resume_pause(pause.id, staff=None, now=march_17 + timedelta(hours=2))


def test_a_paused_patients_statement_still_goes(setup: Setup) -> None:
    setup.clinic.default_pin_mode = PinMode.NONE.value
    setup.clinic.save()
    Template.update(active=True).where(Template.kind == TemplateKind.STATEMENT.value).execute()
    invoice = invoice_of(setup, receive_statements=True)
    pause_reminders(
        patient=invoice.patient_id, reason="vacances", resume_on="2026-06-01", staff=None, now=MARCH_10
    )
    run_due(MARCH_10)  # plans the patient's statement
    statement = row(invoice, "statement_monthly")
    run_due(statement.due_at)
    assert OutboxMessage.get(OutboxMessage.kind == MessageKind.STATEMENT).invoice_id == invoice.id


def test_a_new_pause_of_the_same_target_replaces_the_old_one(setup: Setup, templates: Setup) -> None:
    invoice = invoice_of(setup)
    old = pause_reminders(
        invoice=invoice, reason="un", resume_on="2026-04-30", staff=None, now=MARCH_10
    ).pause
    run_due(at(date(2026, 3, 17), 10, 5))
    assert wall(row(invoice, "reminder_first").due_at) == datetime(2026, 4, 30, 10, 0)
    shorter = pause_reminders(
        invoice=invoice, reason="deux", resume_on="2026-03-20", staff=None, now=at(date(2026, 3, 18), 9)
    )
    assert shorter.replaced is not None and shorter.replaced.id == old.id
    assert ReminderPause.get_by_id(old.id).ended_at == at(date(2026, 3, 18), 9)
    # what the old pause postponed moves to the new date, at the time of day it was due
    assert wall(row(invoice, "reminder_first").due_at) == datetime(2026, 3, 20, 10, 0)
    assert "deux" in reason_text(row(invoice, "reminder_first").reason, EN)


def test_what_a_pause_refuses(setup: Setup, templates: Setup) -> None:
    invoice = invoice_of(setup)

    def refused(**kwargs: object) -> dict[str, str]:
        arguments: dict[str, object] = {"invoice": invoice, "reason": "ok", "resume_on": "2026-04-01"}
        with pytest.raises(ValidationError) as caught:
            pause_reminders(**{**arguments, **kwargs}, staff=None, now=MARCH_10)  # type: ignore[arg-type]
        errors = caught.value.errors if isinstance(caught.value, FieldErrors) else [caught.value]
        return {error.field: error.render(EN) for error in errors}

    assert refused(reason=" ", resume_on="") == {
        "reason": "this field is required",
        "resume_on": "this field is required",
    }
    assert refused(reason="x" * 201) == {"reason": "the reason is 201 characters long; the maximum is 200"}
    assert refused(reason="deux\nlignes")["reason"].startswith("remove the control characters")
    assert refused(resume_on="01/04/2026") == {
        "resume_on": "01/04/2026 is not a date: write it as YYYY-MM-DD, e.g. 2026-03-10"
    }
    assert "after today (2026-03-10)" in refused(resume_on="2026-03-10")["resume_on"]
    assert refused(resume_on="2027-03-11") == {
        "resume_on": "a pause lasts at most a year: choose a date up to 2027-03-10"
    }
    pause_reminders(invoice=invoice, reason="x" * 200, resume_on="2027-03-10", staff=None, now=MARCH_10)
    draft = create_draft(
        patient=Patient.get_by_id(invoice.patient_id),
        billing_company=setup.company,
        lines=[LineInput("Consultation", Decimal(1), 100)],
    )
    assert refused(invoice=draft) == {"target": f"invoice #{draft.id} is draft: it has no reminders to pause"}
    voided = void(invoice_of(setup, first_name="Paul"), "erreur")
    assert "is void" in refused(invoice=voided)["target"]
    with pytest.raises(NotFoundError, match="no patient #999"):
        pause_reminders(patient=999, reason="x", resume_on="2026-04-01", staff=None, now=MARCH_10)
    with pytest.raises(ResumeRefused, match="there is no reminder pause 999"):
        resume_pause(999, staff=None)
    over = pause_reminders(
        patient=invoice.patient_id, reason="x", resume_on="2026-03-11", staff=None, now=MARCH_10
    )
    with pytest.raises(ResumeRefused, match="is over: the reminders resumed on 2026-03-11"):
        resume_pause(over.pause.id, staff=None, now=at(date(2026, 3, 11), 8))


# The plan: when it goes, and warnings ------------------------------------------------------------


def test_the_plan_moves_each_message_into_the_window_and_says_why(setup: Setup, templates: Setup) -> None:
    clinic = setup.clinic
    clinic.send_opens, clinic.send_closes, clinic.send_days = "08:00", "18:00", "1-5"
    clinic.holiday_calendar, clinic.default_pin_mode = "CA-QC", PinMode.SMS.value
    clinic.save()
    now = at(date(2026, 3, 14), 12)  # a Saturday
    holiday, evening, saturday, recent, paused = (invoice_of(setup, first_name=str(n)) for n in range(5))
    no_email = invoice_of(setup, first_name="Sans", email=None)
    moves = {
        holiday: at(date(2026, 4, 3), 10),  # Good Friday
        evening: at(date(2026, 3, 17), 20),
        saturday: at(date(2026, 3, 21), 10),
    }
    for invoice, due in moves.items():
        ScheduledMessage.update(due_at=due).where(
            ScheduledMessage.id == row(invoice, "reminder_first").id
        ).execute()
    OutboxMessage.create(  # staff sent it the day before its reminder; a cancelled send after does not count
        kind=MessageKind.INVOICE,
        invoice=recent,
        language="fr",
        created_by=setup.provider,
        created_at=at(date(2026, 3, 16), 15),
    )
    OutboxMessage.create(
        kind=MessageKind.INVOICE,
        invoice=recent,
        language="fr",
        created_by=setup.provider,
        created_at=at(date(2026, 3, 16), 16),
        status=OutboxStatus.CANCELLED.value,
    )
    OutboxMessage.create(
        kind=MessageKind.INVOICE, invoice=evening, language="fr", created_at=at(date(2026, 3, 17), 9)
    )
    pause_reminders(invoice=paused, reason="en voyage", resume_on="2026-03-28", staff=None, now=now)

    rows = list(scheduled_query(upcoming=True, limit=None))
    plans = plan_rows(rows, now, "en")
    by_invoice = {(r.invoice_id, r.template.system_key): (plans[r.id], r) for r in rows}

    def warned(invoice: Invoice, key: str = "reminder_first") -> list[tuple[str, str]]:
        plan, _row = by_invoice[(invoice.id, key)]
        return [(warning.code, warning.render(EN)) for warning in plan.warnings]

    def goes(invoice: Invoice, key: str = "reminder_first") -> datetime:
        return wall(by_invoice[(invoice.id, key)][0].goes_at)

    assert goes(holiday) == datetime(2026, 4, 6, 8, 0)
    assert warned(holiday) == [
        ("holiday", "a public holiday: Good Friday; it will go on 2026-04-06, 8:00\u202fa.m.")
    ]
    assert goes(evening) == datetime(2026, 3, 18, 8, 0)  # a send without staff (automatic) is no warning
    assert warned(evening) == [
        (
            "outside_hours",
            "outside the clinic's sending hours, 08:00 to 18:00; it will go on 2026-03-18, 8:00\u202fa.m.",
        )
    ]
    assert [code for code, _ in warned(saturday)] == ["day_off"]
    assert goes(recent) == datetime(2026, 3, 17, 10, 0)
    assert warned(recent) == [
        (
            "recent_send",
            "Dre Julie Roy sent this invoice on 2026-03-16, 3:00\u202fp.m., "
            "less than a day before this reminder",
        )
    ]
    assert goes(paused) == datetime(2026, 3, 30, 8, 0)  # Saturday the 28th at 10:00, then Monday's opening
    assert warned(paused) == [
        ("paused", "paused until Mar 28, 2026: en voyage"),
        (
            "day_off",
            "Saturday is not one of the clinic's sending days; it will go on 2026-03-30, 8:00\u202fa.m.",
        ),
    ]
    assert warned(no_email) == [("no_email", "the invoice has no email address to send it to")]
    # its invoice email fell due on the 4th (the agent was away): it goes at Monday's opening, and
    # it carries the clinic's PIN, by SMS here
    assert warned(no_email, "invoice_email") == [
        (
            "day_off",
            "Saturday is not one of the clinic's sending days; it will go on 2026-03-16, 8:00\u202fa.m.",
        ),
        ("no_email", "the invoice has no email address to send it to"),
        ("no_phone", "the PIN goes by text message and the invoice has no cell phone number"),
    ]
    (french,) = [
        plan for plan in plan_rows(rows, now, "fr").values() if plan.goes_at == at(date(2026, 4, 6), 8)
    ]
    record = plan_record(french, translator("fr"))
    assert record["goes_at"] == "2026-04-06T12:00:00+00:00"
    (warning,) = record["warnings"]
    assert warning["code"] == "holiday" and "Vendredi saint" in warning["text"]  # in the reader's language
    assert holiday_note(now, EN) == "Public holidays: Apr 3 Good Friday"
    clinic.holiday_calendar = ""
    clinic.save()
    assert holiday_note(now, EN) == ""


def test_a_pause_takes_back_a_reminder_queued_for_the_sending_window(setup: Setup) -> None:
    """Queued on Friday evening for Monday 08:00, then paused on Saturday: it does not go on Monday,
    it waits again for the resume date, never tried."""
    from datetime import UTC, datetime, timedelta

    from models.core.enums import OutboxStatus, ScheduleStatus
    from models.messaging.outbox import claim
    from models.messaging.tables import OutboxMessage, ScheduledMessage, Template
    from models.workflow.reminder_pauses import pause_reminders
    from models.workflow.reminders import run_due
    from testbed.invoices import billed_invoice

    clinic = setup.clinic
    clinic.send_opens, clinic.send_closes, clinic.send_days = "08:00", "18:00", "1-5"
    clinic.save()
    Template.update(active=True).where(Template.system_key == "reminder_first").execute()
    invoice = billed_invoice(setup.company)
    friday_19 = datetime(2026, 6, 19, 23, 0, tzinfo=UTC)
    ScheduledMessage.update(due_at=friday_19).where(ScheduledMessage.invoice == invoice.id).execute()
    run_due(friday_19 + timedelta(minutes=1), late_days=3)
    row = ScheduledMessage.get(ScheduledMessage.invoice == invoice.id)
    queued = OutboxMessage.get_by_id(row.outbox_message_id)
    assert queued.next_attempt_at == datetime(2026, 6, 22, 12, 0, tzinfo=UTC)  # Monday 08:00

    saturday = datetime(2026, 6, 20, 15, 0, tzinfo=UTC)
    pause_reminders(
        invoice=invoice,
        reason="entente de paiement",
        resume_on="2026-07-31",
        staff=setup.provider,
        now=saturday,
    )
    assert claim("host:1", 10, 60, datetime(2026, 6, 22, 12, 1, tzinfo=UTC)) == []
    assert OutboxMessage.get_by_id(queued.id).status == OutboxStatus.CANCELLED
    held = ScheduledMessage.get_by_id(row.id)
    assert (held.status, held.outbox_message_id) == (ScheduleStatus.SCHEDULED, None)
    assert held.due_at == datetime(2026, 7, 31, 23, 0, tzinfo=UTC)  # the resume date, at 19:00 as due

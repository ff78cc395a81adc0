"""Scheduling on billing, the automatic invoice email, and the scheduler's rules, on an injected clock:
due times, paid/void/opted-out invoices, one reminder per invoice per day, the offline late policy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from locales import translator
from models.billing.invoice import Invoice
from models.billing.invoicing import LineInput, create_draft
from models.core.enums import DelayUnit, MessageKind, PinMode, ScheduleStatus
from models.messaging.schedule_reasons import PAID, reason_text
from models.messaging.schedule_time import from_wall, to_wall
from models.messaging.secure_link import pin_matches
from models.messaging.tables import OutboxMessage, ScheduledMessage, Template
from models.people.patient import Patient
from models.workflow.lifecycle import bill, record_payment, void
from models.workflow.reminders import (
    CancelRefused,
    cancel_invoice_schedule,
    cancel_pending_reminders,
    cancel_scheduled,
    run_due,
)
from tests.conftest import Setup

EN = translator("en")
TORONTO = "America/Toronto"
BILLED_AT = from_wall(datetime(2026, 3, 2, 10, 0), TORONTO)  # a Monday morning, EST


@dataclass
class Templates:
    invoice: Template
    first: Template
    second: Template


@pytest.fixture
def templates(setup: Setup) -> Templates:
    """The shipped templates, turned on; the clinic sends its PINs by SMS."""
    setup.clinic.default_pin_mode = PinMode.SMS.value
    setup.clinic.save()
    Template.update(active=True).where(
        Template.channel == "email"
    ).execute()  # the emails; texts have their tests
    return Templates(
        Template.get(Template.system_key == "invoice_email"),
        Template.get(Template.system_key == "reminder_first"),
        Template.get(Template.system_key == "reminder_second"),
    )


def make_invoice(setup: Setup, *, bill_it: bool = True, **patient: object) -> Invoice:
    """A patient (with ``patient``'s fields changed) and their invoice of 85 $, billed at ``BILLED_AT``."""
    fields: dict[str, object] = {
        "last_name": "Tremblay",
        "first_name": "Marie",
        "email": "marie@example.org",
        "cell_phone": "+15145551234",
        "language": "fr",
        **patient,
    }
    draft = create_draft(
        patient=Patient.create(**fields),
        billing_company=setup.company,
        lines=[LineInput("Consultation", Decimal(1), 8500)],
    )
    return bill(draft, now=BILLED_AT) if bill_it else draft


def rows(invoice: Invoice) -> dict[str, ScheduledMessage]:
    query = ScheduledMessage.select().where(ScheduledMessage.invoice == invoice.id)
    return {Template.get_by_id(row.template_id).system_key or row.template_id: row for row in query}


def reload(row: ScheduledMessage) -> ScheduledMessage:
    return ScheduledMessage.get_by_id(row.id)


def reminders_of(invoice: Invoice) -> list[OutboxMessage]:
    return list(
        OutboxMessage.select()
        .where((OutboxMessage.invoice == invoice.id) & (OutboxMessage.kind == MessageKind.REMINDER))
        .order_by(OutboxMessage.id)
    )


def wall(instant: datetime) -> datetime:
    return to_wall(instant, TORONTO)


# On billing -------------------------------------------------------------------------------------


def test_billing_schedules_every_active_template_and_sends_the_invoice_at_once(
    setup: Setup, templates: Templates
) -> None:
    invoice = make_invoice(setup)
    scheduled = rows(invoice)
    assert set(scheduled) == {"invoice_email", "reminder_first", "reminder_second"}
    email = scheduled["invoice_email"]
    assert (email.status, email.due_at) == (ScheduleStatus.ENQUEUED, BILLED_AT)
    message = OutboxMessage.get_by_id(email.outbox_message_id)
    assert (message.kind, message.template_id, message.pin_mode, message.recipient_phone) == (
        "invoice",
        templates.invoice.id,
        "sms",
        "+15145551234",
    )
    assert (message.recipient_email, message.language, message.personal_message) == (
        "marie@example.org",
        "fr",
        None,
    )
    # a secure link, never the attachment, whatever the template says; no Stripe account here
    assert message.attach_pdf is False and message.link_token and message.payment_link is False
    assert wall(scheduled["reminder_first"].due_at) == datetime(2026, 3, 17, 10, 0)  # 15 days, across DST
    assert wall(scheduled["reminder_second"].due_at) == datetime(2026, 4, 1, 10, 0)
    assert scheduled["reminder_first"].status == ScheduleStatus.SCHEDULED


def test_inactive_templates_schedule_nothing(setup: Setup) -> None:
    invoice = make_invoice(setup)
    assert rows(invoice) == {}
    assert not OutboxMessage.select().exists()


def test_a_payment_link_is_asked_only_where_the_company_takes_stripe(
    setup: Setup, templates: Templates
) -> None:
    setup.company.stripe_account_id = "acct_1AbCdEfGh2"
    setup.company.save()
    message = OutboxMessage.get_by_id(rows(make_invoice(setup))["invoice_email"].outbox_message_id)
    assert message.payment_link is True


def test_an_sms_pin_without_a_cell_phone_is_recorded_as_skipped(setup: Setup, templates: Templates) -> None:
    email = rows(make_invoice(setup, cell_phone=None))["invoice_email"]
    assert email.status == ScheduleStatus.SKIPPED and email.outbox_message_id is None
    assert reason_text(email.reason, EN) == (
        "the PIN goes by text message and the invoice has no cell phone number"
    )
    assert not OutboxMessage.select().exists()


def test_the_institution_pin_is_the_insurance_numbers_end_or_skipped(
    setup: Setup, templates: Templates
) -> None:
    setup.clinic.default_pin_mode = PinMode.INSTITUTION.value
    setup.clinic.save()
    email = rows(make_invoice(setup, health_insurance_number="TREM 8001 0112"))["invoice_email"]
    message = OutboxMessage.get_by_id(email.outbox_message_id)
    assert message.pin_mode == "institution" and message.link_token
    assert pin_matches(message.link_token, "010112", message.pin_hash)
    skipped = rows(make_invoice(setup, first_name="Paul"))["invoice_email"]
    assert skipped.status == ScheduleStatus.SKIPPED
    assert "health insurance number" in reason_text(skipped.reason, EN)


def test_no_email_address_is_recorded_as_skipped(setup: Setup, templates: Templates) -> None:
    email = rows(make_invoice(setup, email=None))["invoice_email"]
    assert email.status == ScheduleStatus.SKIPPED
    assert reason_text(email.reason, translator("fr")) == "la facture n’a pas d’adresse courriel où l’envoyer"


def test_an_invoice_template_with_a_delay_waits_for_the_scheduler(setup: Setup, templates: Templates) -> None:
    Template.update(delay_value=2, delay_unit=DelayUnit.HOURS.value).where(
        Template.id == templates.invoice.id
    ).execute()
    email = rows(make_invoice(setup))["invoice_email"]
    assert email.status == ScheduleStatus.SCHEDULED and email.due_at == BILLED_AT + timedelta(hours=2)
    assert run_due(BILLED_AT + timedelta(hours=1, minutes=59)).enqueued == 0
    assert run_due(BILLED_AT + timedelta(hours=2)).enqueued == 1
    assert reload(email).status == ScheduleStatus.ENQUEUED


# The scheduler ----------------------------------------------------------------------------------


def test_a_due_reminder_is_queued_with_its_template_email_only(setup: Setup, templates: Templates) -> None:
    invoice = make_invoice(setup)
    first = rows(invoice)["reminder_first"]
    assert run_due(first.due_at - timedelta(seconds=1)).enqueued == 0
    report = run_due(first.due_at + timedelta(minutes=1))
    assert (report.enqueued, report.skipped) == (1, 0)
    (message,) = reminders_of(invoice)
    assert (message.template_id, message.pin_mode, message.attach_pdf, message.recipient_phone) == (
        templates.first.id,
        "none",
        False,
        None,
    )
    assert message.created_at == first.due_at + timedelta(minutes=1)
    assert reload(first).outbox_message_id == message.id


def test_a_paid_invoice_cancels_its_reminders_not_before(setup: Setup, templates: Templates) -> None:
    invoice = make_invoice(setup)
    record_payment(invoice, 4000, "cash")
    assert rows(invoice)["reminder_first"].status == ScheduleStatus.SCHEDULED  # a balance remains
    record_payment(invoice, 4500, "card")
    scheduled = rows(invoice)
    for key in ("reminder_first", "reminder_second"):
        assert scheduled[key].status == ScheduleStatus.CANCELLED
        assert reason_text(scheduled[key].reason, EN) == "the invoice is paid"
    assert scheduled["invoice_email"].status == ScheduleStatus.ENQUEUED  # history stays as it was
    assert run_due(BILLED_AT + timedelta(days=40)).enqueued == 0


def test_a_voided_invoice_cancels_everything_waiting(setup: Setup, templates: Templates) -> None:
    invoice = make_invoice(setup)
    void(invoice, "Erreur")
    scheduled = rows(invoice)
    assert scheduled["reminder_first"].status == ScheduleStatus.CANCELLED
    assert reason_text(scheduled["reminder_second"].reason, EN) == "the invoice was voided"


def test_a_balance_gone_or_a_void_at_send_time_skips(setup: Setup, templates: Templates) -> None:
    """Should a row escape the cancellation (written by another path), the scheduler still checks."""
    paid, voided = make_invoice(setup), make_invoice(setup, first_name="Paul")
    Invoice.update(paid_cents=Invoice.total_cents, status="paid").where(Invoice.id == paid.id).execute()
    Invoice.update(status="void").where(Invoice.id == voided.id).execute()
    report = run_due(BILLED_AT + timedelta(days=15, minutes=1))
    assert (report.enqueued, report.skipped) == (0, 2)
    assert reason_text(rows(paid)["reminder_first"].reason, EN) == "nothing is owed on the invoice any more"
    assert reason_text(rows(voided)["reminder_first"].reason, EN) == "the invoice was voided"


def test_a_patient_who_opted_out_gets_no_reminder(setup: Setup, templates: Templates) -> None:
    invoice = make_invoice(setup, receive_reminders=False)
    assert rows(invoice)["invoice_email"].status == ScheduleStatus.ENQUEUED  # the invoice itself still goes
    run_due(BILLED_AT + timedelta(days=15, minutes=1))
    first = rows(invoice)["reminder_first"]
    assert first.status == ScheduleStatus.SKIPPED
    assert reason_text(first.reason, EN) == "the patient does not accept payment reminders"
    assert reminders_of(invoice) == []


def test_at_most_one_reminder_per_invoice_per_clinic_day(setup: Setup, templates: Templates) -> None:
    Template.update(delay_value=15).where(Template.id == templates.second.id).execute()
    invoice = make_invoice(setup)
    now = BILLED_AT + timedelta(days=15, hours=1)
    report = run_due(now)
    assert (report.enqueued, report.postponed) == (1, 1)
    second = rows(invoice)["reminder_second"]
    assert second.status == ScheduleStatus.SCHEDULED
    assert wall(second.due_at) == datetime(2026, 3, 18, 10, 0)  # tomorrow, same wall-clock time
    assert reason_text(second.reason, EN) == "postponed: this invoice already had a reminder today"
    assert run_due(now + timedelta(hours=12)).enqueued == 0  # 23:00 the same day: still today
    assert run_due(second.due_at).enqueued == 1
    assert len(reminders_of(invoice)) == 2


def test_the_day_is_the_clinics_not_utcs(setup: Setup, templates: Templates) -> None:
    """A reminder at 19:30 (23:30 UTC) and one at 23:00 (03:00 UTC the next day) fall on the same
    clinic day; one at 00:05 the next day (04:05 UTC, the same UTC day as 23:00) does not."""
    invoice = make_invoice(setup)
    evening = from_wall(datetime(2026, 3, 20, 19, 30), TORONTO)
    late = from_wall(datetime(2026, 3, 20, 23, 0), TORONTO)
    ScheduledMessage.update(due_at=evening).where(ScheduledMessage.template == templates.first.id).execute()
    ScheduledMessage.update(due_at=late).where(ScheduledMessage.template == templates.second.id).execute()
    assert evening.date() != late.date()  # different UTC days
    assert run_due(evening).enqueued == 1
    assert run_due(late).postponed == 1
    just_after_midnight = from_wall(datetime(2026, 3, 21, 0, 5), TORONTO)
    ScheduledMessage.update(due_at=just_after_midnight).where(
        ScheduledMessage.template == templates.second.id
    ).execute()
    assert run_due(just_after_midnight).enqueued == 1  # a new clinic day
    assert len(reminders_of(invoice)) == 2


@pytest.mark.parametrize(
    ("late", "late_days", "outcome"),
    [
        (timedelta(days=2, hours=23), 3, ScheduleStatus.ENQUEUED),
        (timedelta(days=3), 3, ScheduleStatus.ENQUEUED),
        (timedelta(days=3, minutes=1), 3, ScheduleStatus.SKIPPED),
        (timedelta(days=10), 3, ScheduleStatus.SKIPPED),
        (timedelta(hours=1), 0, ScheduleStatus.SKIPPED),
        (timedelta(0), 0, ScheduleStatus.ENQUEUED),
    ],
)
def test_the_offline_catch_up_policy(
    setup: Setup, templates: Templates, late: timedelta, late_days: int, outcome: ScheduleStatus
) -> None:
    """The agent was offline when the reminder fell due: on reconnect it goes if at most N days late."""
    invoice = make_invoice(setup)
    first = rows(invoice)["reminder_first"]
    run_due(first.due_at + late, late_days=late_days)
    first = reload(first)
    assert first.status == outcome
    if outcome == ScheduleStatus.SKIPPED:
        assert reason_text(first.reason, EN) == (
            f"it fell due while the agent was offline, more than {late_days} days ago"
        )
        assert reminders_of(invoice) == []


def test_cancel_pending_reminders_is_one_call_for_every_payment_path(
    setup: Setup, templates: Templates
) -> None:
    invoice = make_invoice(setup)
    assert cancel_pending_reminders(invoice, PAID) == 2
    assert cancel_pending_reminders(invoice.id, PAID) == 0  # nothing left; by id works too
    assert rows(invoice)["invoice_email"].status == ScheduleStatus.ENQUEUED


def test_staff_cancel_one_or_all_of_an_invoice(setup: Setup, templates: Templates) -> None:
    invoice = make_invoice(setup)
    scheduled = rows(invoice)
    cancel_scheduled(scheduled["reminder_first"].id, staff=setup.provider)
    assert reason_text(reload(scheduled["reminder_first"]).reason, EN) == "cancelled by Dre Julie Roy"
    with pytest.raises(CancelRefused) as caught:
        cancel_scheduled(scheduled["reminder_first"].id)
    assert caught.value.render(EN) == (
        f"scheduled message {scheduled['reminder_first'].id} is cancelled: "
        "only a message still waiting can be cancelled"
    )
    with pytest.raises(CancelRefused):
        cancel_scheduled(9999)
    assert cancel_invoice_schedule(invoice) == 1
    assert reason_text(reload(scheduled["reminder_second"]).reason, EN) == "cancelled from the command line"


def test_a_failed_billing_schedules_nothing(setup: Setup, templates: Templates) -> None:
    draft = create_draft(patient=Patient.create(last_name="A", first_name="B"), billing_company=setup.company)
    with pytest.raises(Exception, match="no lines"):
        bill(draft, now=BILLED_AT)
    assert not ScheduledMessage.select().exists()


def test_the_late_days_setting() -> None:
    from models.core.config import Config, parse_config
    from models.core.errors import ConfigError

    assert Config().reminders.late_days == 3
    assert parse_config({"reminders": {"late_days": 7}}).reminders.late_days == 7
    with pytest.raises(ConfigError, match=r"reminders\.late_days must be between 0 and 365"):
        parse_config({"reminders": {"late_days": 400}})
    with pytest.raises(ConfigError, match="unknown key"):
        parse_config({"reminders": {"late": 1}})

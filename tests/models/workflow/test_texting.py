"""Texts to patients: refused with the reason without the patient's consent, to a landline, for a
third party's invoice or one with nothing to pay; a reminder by text is scheduled like the others,
queued (medium ``sms``, waiting for the sending window) for a consenting patient, and skipped with the
reason for one who did not consent."""

from __future__ import annotations

from datetime import timedelta

import pytest

from models.core.enums import ConsentChannel, ConsentMethod, ScheduleStatus
from models.core.errors import FacteurError
from models.messaging.tables import OutboxMessage, ScheduledMessage, Template
from models.people.consent import record_consent
from models.people.patient import Patient
from models.workflow.lifecycle import bill
from models.workflow.reminders import run_due
from models.workflow.texting import send_payment_text
from testbed.invoices import billed_invoice
from tests.conftest import Setup


def texting_patient(setup: Setup, phone: str = "+15145551234", *, consent: bool = True) -> Patient:
    invoice = billed_invoice(setup.company, draft=True)
    patient = invoice.patient
    patient.cell_phone = phone
    patient.save()
    if consent:
        record_consent(patient.id, ConsentChannel.SMS, True, ConsentMethod.IN_PERSON, staff=setup.provider)
    return Patient.get_by_id(patient.id)


def test_a_payment_text_is_refused_with_the_reason(setup: Setup) -> None:
    setup.company.stripe_account_id = "acct_1ClinicParc01"
    setup.company.save()
    with pytest.raises(FacteurError, match="no payment-link text template is on"):
        send_payment_text(billed_invoice(setup.company), staff=setup.provider, key_configured=True)
    Template.update(active=True).where(Template.system_key == "payment_sms").execute()

    def refusal(invoice: object) -> str:
        with pytest.raises(FacteurError) as refused:
            send_payment_text(invoice, staff=setup.provider, key_configured=True)  # type: ignore[arg-type]
        return refused.value.message

    assert "has not consented to text messages" in refusal(billed_invoice(setup.company))
    landline = texting_patient(setup, "+41223334455")  # a Geneva landline
    assert "is a landline" in refusal(bill(landline.invoices.get()))
    owing = bill(texting_patient(setup).invoices.get())
    queued = send_payment_text(owing, staff=setup.provider, key_configured=True)
    assert (queued.medium, queued.recipient_phone, queued.payment_link, queued.sends_email) == (
        "sms",
        "+15145551234",
        True,
        False,
    )


def test_a_reminder_by_text_is_queued_for_a_consenting_patient_and_skipped_otherwise(setup: Setup) -> None:
    setup.company.stripe_account_id = "acct_1ClinicParc01"
    setup.company.save()
    Template.update(active=True).where(Template.system_key == "reminder_sms").execute()
    consenting = bill(texting_patient(setup).invoices.get())
    silent = bill(texting_patient(setup, consent=False).invoices.get())
    later = consenting.billed_at + timedelta(days=20, minutes=1)
    run_due(later, late_days=3)
    sent = ScheduledMessage.get(ScheduledMessage.invoice == consenting.id)
    text = OutboxMessage.get_by_id(sent.outbox_message_id)
    assert (sent.status, text.medium, text.kind, text.in_window) == (
        ScheduleStatus.ENQUEUED,
        "sms",
        "reminder",
        True,
    )
    skipped = ScheduledMessage.get(ScheduledMessage.invoice == silent.id)
    assert skipped.status == ScheduleStatus.SKIPPED and "consented to text messages" in str(skipped.reason)


def test_a_text_sent_again_is_a_text_and_needs_the_consent_still(setup: Setup) -> None:
    from models.workflow.sending import SendRefused, resend

    setup.company.stripe_account_id = "acct_1ClinicParc01"
    setup.company.save()
    Template.update(active=True).where(Template.system_key == "payment_sms").execute()
    patient = texting_patient(setup)
    text = send_payment_text(bill(patient.invoices.get()), staff=setup.provider, key_configured=True)
    again = resend(text, staff=setup.provider)
    assert (again.medium, again.sends_email, again.recipient_phone) == ("sms", False, "+15145551234")
    record_consent(patient.id, ConsentChannel.SMS, False, ConsentMethod.PHONE, staff=setup.provider)
    with pytest.raises(SendRefused, match="not consented to text messages"):
        resend(text, staff=setup.provider)


def test_the_plan_warns_of_a_text_reminder_that_cannot_reach_its_patient(setup: Setup) -> None:
    from datetime import UTC, datetime

    from models.views.scheduled_plan import WarningCode, plan_rows
    from models.views.scheduled_queries import scheduled_query

    setup.company.stripe_account_id = "acct_1ClinicParc01"
    setup.company.save()
    Template.update(active=True).where(Template.system_key == "reminder_sms").execute()
    reachable = bill(texting_patient(setup).invoices.get())
    Patient.update(email=None).where(Patient.id == reachable.patient_id).execute()  # a text needs none
    silent = bill(texting_patient(setup, consent=False).invoices.get())
    rows = list(scheduled_query(upcoming=True, limit=100))
    plans = plan_rows(rows, datetime.now(UTC), "en")
    codes = {row.invoice_id: [warning.code for warning in plans[row.id].warnings] for row in rows}
    assert codes == {reachable.id: [], silent.id: [WarningCode.NO_TEXT]}


async def test_a_text_for_an_invoice_paid_meanwhile_ends_quietly(setup: Setup) -> None:
    from agent.delivery.text import SmsTextStep
    from agent.errors import SkippedError
    from agent.steps import Delivery
    from models.core.enums import PaymentMethod
    from models.workflow.lifecycle import record_payment

    setup.company.stripe_account_id = "acct_1ClinicParc01"
    setup.company.save()
    Template.update(active=True).where(Template.system_key == "payment_sms").execute()
    invoice = bill(texting_patient(setup).invoices.get())
    text = send_payment_text(invoice, staff=setup.provider, key_configured=True)
    record_payment(invoice, invoice.balance_cents, PaymentMethod.CASH)  # at the desk, over the weekend

    async def db(function, *args, **kwargs):  # type: ignore[no-untyped-def]
        return function(*args, **kwargs)

    class NoGateway:
        async def send(self, *args: object, **kwargs: object) -> object:
            raise AssertionError("nothing is owed: no text")

    step = SmsTextStep(NoGateway())  # type: ignore[arg-type]
    with pytest.raises(SkippedError, match="nothing is owed"):
        await step.run(Delivery(text, "host:1"), db)

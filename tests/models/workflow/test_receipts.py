"""The patient's receipt: queued with the payment, for the payments the clinic chose, in the
patient's language, through the clinic's PIN mode; never at the payment's expense."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from models.billing.invoice import Invoice
from models.billing.invoicing import LineInput, create_draft
from models.core.enums import MessageKind, PaymentMethod, PinMode, ReceiptPolicy
from models.messaging.tables import OutboxMessage
from models.people.clinic import Clinic
from models.people.patient import Patient
from models.workflow.lifecycle import bill, record_payment
from tests.conftest import Setup

PAID_AT = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)  # 10:00 in Toronto


def billed(
    setup: Setup, *, email: str | None = "marie.tremblay@example.org", language: str = "fr"
) -> Invoice:
    patient = Patient.create(
        last_name="Tremblay", first_name="Marie", email=email, cell_phone="+15145551234", language=language
    )
    lines = [LineInput("Physiothérapie — entorse lombaire", Decimal(1), 8500, Decimal(0), "PHY-12")]
    return bill(
        create_draft(patient=patient, billing_company=setup.company, provider=setup.provider, lines=lines)
    )


def receipts() -> list[OutboxMessage]:
    return list(OutboxMessage.select().where(OutboxMessage.kind == MessageKind.RECEIPT.value))


def test_an_online_payment_gets_a_receipt_in_the_patient_s_language_a_desk_one_does_not(setup: Setup) -> None:
    invoice = billed(setup)
    record_payment(invoice, 3000, PaymentMethod.CASH, received_at=PAID_AT)
    assert receipts() == []  # by default, only payments through the Pay button
    record_payment(invoice, 5500, PaymentMethod.STRIPE, reference="pi_1", received_at=PAID_AT)
    (receipt,) = receipts()
    assert receipt.recipient_email == "marie.tremblay@example.org" and receipt.language == "fr"
    assert receipt.personal_message == "Nous avons reçu votre paiement de 55,00\xa0$ le 4 décembre 2026."
    assert receipt.pin_mode == PinMode.SMS and receipt.recipient_phone == "+15145551234"  # the clinic's mode
    assert not receipt.payment_link
    assert "Physio" not in receipt.personal_message and "PHY" not in receipt.personal_message


@pytest.mark.parametrize(
    ("policy", "expected"), [(ReceiptPolicy.ALL, 2), (ReceiptPolicy.NONE, 0), (ReceiptPolicy.ONLINE, 1)]
)
def test_the_clinic_chooses_which_payments_get_one(
    setup: Setup, policy: ReceiptPolicy, expected: int
) -> None:
    Clinic.update(receipts=policy.value).execute()
    invoice = billed(setup, language="en")
    record_payment(invoice, 3000, PaymentMethod.CARD, received_at=PAID_AT)
    record_payment(invoice, 5500, PaymentMethod.STRIPE, reference="pi_2", received_at=PAID_AT)
    assert len(receipts()) == expected
    if expected:
        assert receipts()[-1].personal_message.startswith(
            "We received your payment of $55.00 on December 4, 2026"
        )


def test_no_address_or_no_way_to_the_pin_costs_the_payment_nothing(setup: Setup) -> None:
    invoice = billed(setup, email=None)
    payment = record_payment(invoice, 8500, PaymentMethod.STRIPE, reference="pi_3", received_at=PAID_AT)
    assert payment.id is not None and Invoice.get_by_id(invoice.id).balance_cents == 0
    assert receipts() == []
    other = billed(setup)
    Patient.update(cell_phone=None).where(Patient.id == other.patient.id).execute()
    Invoice.update(billed_to_phone=None).where(Invoice.id == other.id).execute()
    record_payment(
        Invoice.get_by_id(other.id), 8500, PaymentMethod.STRIPE, reference="pi_4", received_at=PAID_AT
    )
    (plain,) = receipts()  # no phone for the SMS PIN: a plain email that tells of the payment, no document
    assert plain.pin_mode == PinMode.NONE and not plain.attach_pdf

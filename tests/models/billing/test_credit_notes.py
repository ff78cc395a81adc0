"""Credit notes: the whole invoice or chosen lines, their own gapless numbers, the balance they
lower, the credit to refund when money was received, and every refusal with its reason."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from locales import translator
from models.billing.credit_notes import (
    CreditNote,
    LineCredit,
    credit_prefix,
    lines_left,
    note_lines,
    notes_of,
)
from models.billing.invoice import Invoice
from models.billing.invoicing import LineInput, create_draft, settled_status
from models.billing.reversals import refund_by_hand, request_refund
from models.core.enums import InvoiceStatus, PaymentMethod
from models.core.errors import TransitionError, ValidationError
from models.messaging.tables import ScheduledMessage
from models.people.patient import Patient
from models.workflow.lifecycle import bill, credit, record_payment, void
from tests.conftest import Setup

CONSULT = LineInput("Consultation", Decimal(1), 8500, Decimal(0), "CONS")
ORTHOSIS = LineInput("Orthèse plantaire", Decimal(2), 1999, Decimal("14.975"), "ORT")
NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


@pytest.fixture
def patient(setup: Setup) -> Patient:
    return Patient.create(last_name="Bélanger", first_name="Élise", email="elise@example.org", language="fr")


def billed(setup: Setup, patient: Patient, *lines: LineInput) -> Invoice:
    draft = create_draft(patient=patient, billing_company=setup.company, lines=lines or (CONSULT, ORTHOSIS))
    return bill(draft, now=NOW)


def reload(invoice: Invoice) -> Invoice:
    return Invoice.get_by_id(invoice.id)


def test_the_whole_invoice_credited_leaves_nothing_owed(setup: Setup, patient: Patient) -> None:
    invoice = billed(setup, patient)  # 85,00 + 39,98 + 5,99 tax = 130,97
    note = credit(invoice, "  Erreur de facturation  ", now=NOW)
    assert (note.subtotal_cents, note.tax_cents, note.total_cents) == (12498, 599, 13097)
    assert note.reason == "Erreur de facturation"
    assert note.number == f"{setup.company.number_prefix}-NC-2026-00001"
    assert (note.invoice.id, note.currency, str(note.issue_date)) == (invoice.id, "CAD", "2026-11-20")
    assert [
        (line.invoice_line.position, line.subtotal_cents, line.tax_cents) for line in note_lines(note)
    ] == [
        (1, 8500, 0),
        (2, 3998, 599),
    ]
    after = reload(invoice)
    assert (after.status, after.credited_cents, after.balance_cents) == ("credited", 13097, 0)
    assert [n.number for n in notes_of(after)] == [note.number]
    with pytest.raises(TransitionError, match="credited"):
        credit(after, "encore")


def test_chosen_lines_take_their_tax_along_and_never_more_than_is_left(
    setup: Setup, patient: Patient
) -> None:
    invoice = billed(setup, patient)
    note = credit(invoice, "Une orthèse retournée", [LineCredit(2, 1999)], now=NOW)
    # half of the line's 39,98 $ gives back half of its 5,99 $ tax, rounded once: 3,00 $
    assert (note.subtotal_cents, note.tax_cents) == (1999, 300)
    after = reload(invoice)
    assert (after.status, after.balance_cents) == ("billed", 13097 - 2299)
    left = {item.line.position: (item.subtotal_cents, item.tax_cents) for item in lines_left(after)}
    assert left == {1: (8500, 0), 2: (1999, 299)}
    with pytest.raises(ValidationError) as refused:
        credit(after, "trop", [LineCredit(2, 2000)])
    said = refused.value.render(translator("fr")).replace("\u00a0", " ").replace("\u202f", " ")
    assert said == "ligne 2 : il reste au plus 19,99 $ avant taxes à créditer"
    second = credit(after, "L’autre aussi", [LineCredit(2)], now=NOW)  # what is left, tax exactly
    assert (second.subtotal_cents, second.tax_cents, second.number[-5:]) == (1999, 299, "00002")
    assert reload(invoice).balance_cents == 8500


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([LineCredit(9)], "no line 9"),
        ([LineCredit(1), LineCredit(1, 100)], "more than once"),
        ([LineCredit(1, 0)], "above zero"),
        ([LineCredit(1, 8501)], "at most"),
    ],
)
def test_bad_lines_are_refused_and_nothing_is_written(
    setup: Setup, patient: Patient, lines: list[LineCredit], message: str
) -> None:
    invoice = billed(setup, patient)
    with pytest.raises(ValidationError, match=message):
        credit(invoice, "raison", lines)
    assert CreditNote.select().count() == 0 and reload(invoice).credited_cents == 0


def test_drafts_void_invoices_and_missing_reasons_are_refused(setup: Setup, patient: Patient) -> None:
    draft = create_draft(patient=patient, billing_company=setup.company, lines=(CONSULT,))
    with pytest.raises(TransitionError, match="draft"):
        credit(draft, "raison")
    invoice = billed(setup, patient)
    with pytest.raises(ValidationError, match="needs a reason"):
        credit(invoice, "   ")
    voided = void(invoice, "doublon")
    with pytest.raises(TransitionError, match="void"):
        credit(voided, "raison")
    assert CreditNote.select().count() == 0
    partly = billed(setup, patient)
    credit(partly, "rabais", [LineCredit(1, 1000)])
    with pytest.raises(TransitionError, match="credit notes"):
        void(reload(partly), "doublon")  # its credit note stands: the rest is credited instead


def test_a_paid_invoice_credited_owes_the_payer_a_refund(setup: Setup, patient: Patient) -> None:
    invoice = billed(setup, patient, CONSULT)
    record_payment(invoice, 8500, PaymentMethod.CASH)
    credit(reload(invoice), "Séance annulée")
    after = reload(invoice)
    assert (after.status, after.balance_cents) == ("paid", -8500)  # a credit of 85,00 $ to refund
    payment = after.payments.get()
    with pytest.raises(ValidationError, match="through Stripe"):
        request_refund(payment.id, 8500, "x", staff=None)
    refund_by_hand(payment.id, 8500, "Remis en argent", staff=setup.provider)
    refunded = reload(invoice)
    assert (refunded.status, refunded.paid_cents, refunded.balance_cents) == ("credited", 0, 0)


def test_numbers_are_gapless_per_company_with_its_own_prefix(setup: Setup, patient: Patient) -> None:
    setup.company.credit_prefix = "AV"
    setup.company.save()
    assert credit_prefix(setup.company) == "AV"
    numbers = [credit(billed(setup, patient), "r", now=NOW).number for _ in range(3)]
    assert numbers == ["AV-2026-00001", "AV-2026-00002", "AV-2026-00003"]


def test_a_credit_that_settles_cancels_the_reminders(setup: Setup, patient: Patient) -> None:
    from models.core.enums import DelayUnit, TemplateKind
    from models.messaging.tables import Template

    Template.create(
        name="Rappel",
        kind=TemplateKind.REMINDER.value,
        delay_value=7,
        delay_unit=DelayUnit.DAYS.value,
        subject_fr="Rappel",
        subject_en="Reminder",
        body_fr="Bonjour",
        body_en="Hello",
        active=True,
    )
    invoice = billed(setup, patient, CONSULT)
    pending = ScheduledMessage.select().where(
        (ScheduledMessage.invoice == invoice.id) & (ScheduledMessage.status == "scheduled")
    )
    assert pending.count() == 1
    credit(invoice, "Séance offerte", [LineCredit(1, 5000)])
    assert pending.count() == 1  # 35,00 $ still owed
    credit(invoice, "Le reste aussi")
    assert pending.count() == 0


@pytest.mark.parametrize(
    ("total", "credited", "paid", "status"),
    [
        (100, 0, 0, "billed"),
        (100, 40, 60, "paid"),
        (100, 100, 0, "credited"),
        (100, 100, 100, "paid"),
        (100, 30, 0, "billed"),
    ],
)
def test_settled_status(total: int, credited: int, paid: int, status: str) -> None:
    assert settled_status(total, credited, paid) == InvoiceStatus(status)

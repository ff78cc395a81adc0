"""Invoice rules: totals and taxes, billing and numbering, payments, voiding, refused moves."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.billing.invoice import Invoice, InvoiceLine
from models.billing.invoicing import (
    BilledTo,
    LineInput,
    clinic_today,
    create_draft,
    delete_draft,
    find_invoice,
    line_amounts,
    replace_lines,
)
from models.core.enums import InvoiceStatus
from models.core.errors import NotFoundError, TransitionError, ValidationError
from models.people.patient import Patient
from models.workflow.lifecycle import bill, record_payment, void
from tests.conftest import Setup

CONSULT = LineInput("Consultation", Decimal(1), 8500, Decimal(0), "CONS")
ORTHOSIS = LineInput("Orthèse plantaire", Decimal(2), 1999, Decimal("14.975"), "ORT")


@pytest.fixture
def patient(setup: Setup) -> Patient:
    return Patient.create(last_name="Bélanger", first_name="Élise", email="elise@example.org", language="fr")


def draft(setup: Setup, patient: Patient, *lines: LineInput) -> Invoice:
    return create_draft(
        patient=patient, billing_company=setup.company, provider=setup.provider, lines=lines or (CONSULT,)
    )


def test_totals_are_sums_of_rounded_lines(setup: Setup, patient: Patient) -> None:
    invoice = Invoice.get_by_id(draft(setup, patient, CONSULT, ORTHOSIS).id)
    # 2 x 19.99 = 39.98; tax 14.975 % of 39.98 = 5.987... -> 5.99
    assert (invoice.subtotal_cents, invoice.tax_cents, invoice.total_cents) == (12498, 599, 13097)
    assert invoice.balance_cents == 13097
    assert invoice.currency == "CAD"
    assert [line.position for line in InvoiceLine.select().where(InvoiceLine.invoice == invoice)] == [1, 2]


@given(
    quantity=st.decimals(min_value=Decimal("0.001"), max_value=Decimal(1000), places=3),
    price=st.integers(min_value=0, max_value=10_000_000),
    rate=st.decimals(min_value=Decimal(0), max_value=Decimal(100), places=3),
)
def test_line_amounts_round_half_up_and_never_lose_a_cent(
    quantity: Decimal, price: int, rate: Decimal
) -> None:
    subtotal, tax = line_amounts(quantity, price, rate)
    assert abs(Decimal(subtotal) - quantity * price) <= Decimal("0.5")
    assert abs(Decimal(tax) - Decimal(subtotal) * rate / 100) <= Decimal("0.5")
    assert subtotal >= 0 and tax >= 0


def test_billed_to_defaults_to_the_patient_or_a_third_party(setup: Setup, patient: Patient) -> None:
    own = draft(setup, patient)
    assert (own.billed_to_name, own.billed_to_email, own.third_party) == (
        "Élise Bélanger",
        "elise@example.org",
        False,
    )
    insurer = create_draft(
        patient=patient,
        billing_company=setup.company,
        billed_to=BilledTo("Assurances Beaulieu", "factures@beaulieu.example", None, "en"),
        lines=[CONSULT],
    )
    assert (insurer.billed_to_name, insurer.billed_to_language, insurer.third_party) == (
        "Assurances Beaulieu",
        "en",
        True,
    )


def test_billing_assigns_number_issue_and_due_dates(setup: Setup, patient: Patient) -> None:
    # 23:30 in Montréal on March 2 is already March 3 in UTC: the invoice is dated March 2.
    now = datetime(2026, 3, 3, 4, 30, tzinfo=UTC)
    invoice = bill(draft(setup, patient), now=now)
    assert invoice.number == "CDP-2026-00001"
    assert invoice.status == InvoiceStatus.BILLED
    assert invoice.issue_date == date(2026, 3, 2)
    assert invoice.due_date == date(2026, 4, 1)
    assert invoice.billed_at == now


def test_numbers_are_per_company_and_per_year_without_gaps(setup: Setup, patient: Patient) -> None:
    numbers = [bill(draft(setup, patient)).number for _ in range(3)]
    other = bill(create_draft(patient=patient, billing_company=setup.other_company, lines=[CONSULT])).number
    next_year = bill(draft(setup, patient), now=datetime(2027, 1, 15, 15, tzinfo=UTC)).number
    year = clinic_today(setup.clinic).year
    assert numbers == [f"CDP-{year}-00001", f"CDP-{year}-00002", f"CDP-{year}-00003"]
    assert other == f"PPL-{year}-00001"
    assert next_year == "CDP-2027-00001"


def test_a_failed_billing_uses_no_number(setup: Setup, patient: Patient) -> None:
    empty = create_draft(patient=patient, billing_company=setup.company)
    with pytest.raises(ValidationError) as error:
        bill(empty)
    assert error.value.field == "lines"
    assert Invoice.get_by_id(empty.id).number is None
    year = clinic_today(setup.clinic).year
    assert bill(draft(setup, patient)).number == f"CDP-{year}-00001"


def test_billed_lines_cannot_change(setup: Setup, patient: Patient) -> None:
    invoice = bill(draft(setup, patient))
    with pytest.raises(TransitionError, match="cannot change"):
        replace_lines(invoice, [ORTHOSIS])
    assert InvoiceLine.select().where(InvoiceLine.invoice == invoice).count() == 1
    assert Invoice.get_by_id(invoice.id).total_cents == 8500


def test_draft_lines_can_change_and_bump_the_version(setup: Setup, patient: Patient) -> None:
    invoice = draft(setup, patient)
    before = Invoice.get_by_id(invoice.id).version
    changed = replace_lines(invoice, [ORTHOSIS])
    assert changed.total_cents == 3998 + 599
    assert changed.version == before + 1


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        (LineInput("  ", Decimal(1), 100), "description"),
        (LineInput("x", Decimal(0), 100), "quantity"),
        (LineInput("x", Decimal(-1), 100), "quantity"),
        (LineInput("x", Decimal(1), -5), "price"),
        (LineInput("x", Decimal(1), 100, Decimal(101)), "tax"),
    ],
)
def test_bad_lines_are_refused(setup: Setup, patient: Patient, line: LineInput, problem: str) -> None:
    with pytest.raises(ValidationError, match=problem) as error:
        draft(setup, patient, line)
    assert error.value.field == "lines[1]"
    assert Invoice.select().count() == 0  # the draft is not half-created


def test_payments_reduce_the_balance_and_the_last_one_pays(setup: Setup, patient: Patient) -> None:
    invoice = bill(draft(setup, patient))
    record_payment(invoice, 3000, "cash")
    assert Invoice.get_by_id(invoice.id).status == InvoiceStatus.BILLED
    assert Invoice.get_by_id(invoice.id).balance_cents == 5500
    record_payment(invoice, 5500, "card", reference="TX-1")
    paid = Invoice.get_by_id(invoice.id)
    assert (paid.status, paid.paid_cents, paid.balance_cents) == (InvoiceStatus.PAID, 8500, 0)
    assert sorted(p.amount_cents for p in paid.payments) == [3000, 5500]


@pytest.mark.parametrize("amount", [0, -100, 8501])
def test_bad_payment_amounts_are_refused(setup: Setup, patient: Patient, amount: int) -> None:
    invoice = bill(draft(setup, patient))
    with pytest.raises(ValidationError):
        record_payment(invoice, amount, "cash")
    assert Invoice.get_by_id(invoice.id).paid_cents == 0


def test_unknown_payment_method_is_refused(setup: Setup, patient: Patient) -> None:
    invoice = bill(draft(setup, patient))
    with pytest.raises(ValidationError, match="bitcoin") as error:
        record_payment(invoice, 100, "bitcoin")
    assert error.value.field == "method"


def test_only_billed_invoices_take_payments(setup: Setup, patient: Patient) -> None:
    with pytest.raises(TransitionError, match="only a billed invoice"):
        record_payment(draft(setup, patient), 100, "cash")


def test_void_keeps_the_number_and_is_final(setup: Setup, patient: Patient) -> None:
    invoice = void(bill(draft(setup, patient)), "  Erreur de saisie ")
    assert invoice.status == InvoiceStatus.VOID
    assert invoice.void_reason == "Erreur de saisie"
    assert invoice.number is not None
    with pytest.raises(TransitionError):
        bill(invoice)
    with pytest.raises(TransitionError):
        void(invoice)


def test_an_invoice_with_payments_cannot_be_voided(setup: Setup, patient: Patient) -> None:
    invoice = bill(draft(setup, patient))
    record_payment(invoice, 100, "cash")
    with pytest.raises(TransitionError, match="payments"):
        void(invoice)


@pytest.mark.parametrize(
    ("path", "target"),
    [
        ("draft", "void"),
        ("draft", "paid"),
        ("billed", "billed"),
        ("paid", "void"),
        ("paid", "billed"),
        ("void", "billed"),
    ],
)
def test_every_other_move_is_refused_with_a_clear_error(
    setup: Setup, patient: Patient, path: str, target: str
) -> None:
    invoice = draft(setup, patient)
    if path != "draft":
        invoice = bill(invoice)
    if path == "paid":
        record_payment(invoice, invoice.total_cents, "cash")
    if path == "void":
        invoice = void(invoice)
    moves = {"billed": bill, "void": void, "paid": lambda i: record_payment(i, 1, "cash")}
    with pytest.raises(TransitionError) as error:
        moves[target](invoice)
    assert path in str(error.value)
    assert Invoice.get_by_id(invoice.id).status == path


def test_drafts_can_be_deleted_billed_invoices_cannot(setup: Setup, patient: Patient) -> None:
    gone = draft(setup, patient)
    delete_draft(gone)
    assert Invoice.get_or_none(Invoice.id == gone.id) is None
    assert InvoiceLine.select().count() == 0
    with pytest.raises(TransitionError):
        delete_draft(bill(draft(setup, patient)))


def test_find_invoice_by_number_or_draft_id(setup: Setup, patient: Patient) -> None:
    billed = bill(draft(setup, patient))
    pending = draft(setup, patient)
    assert find_invoice(billed.number).id == billed.id
    assert find_invoice(f"#{pending.id}").id == pending.id
    with pytest.raises(NotFoundError):
        find_invoice("CDP-1999-00001")

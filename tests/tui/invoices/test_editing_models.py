"""The invoice screens' model layer: parsing what is typed, saving drafts by id, the detail snapshot."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from models.billing.invoice import Invoice
from models.billing.invoicing import BilledTo, LineInput
from models.billing.tax_computation import TaxRule
from models.core.enums import InvoiceStatus, PaymentMethod
from models.core.errors import TransitionError, ValidationError
from models.views.invoice_editing import (
    DraftInput,
    LineFields,
    TaxChoice,
    check_billed_to,
    load_draft,
    parse_line,
    parse_quantity,
    parse_tax_rate,
    parse_taxes,
    parse_unit_price,
    patient_page,
    pay,
    received_at,
    save_and_bill,
    save_draft,
)
from models.views.invoice_view import invoice_view

from ..conftest import FROZEN_NOW, Clinic_
from .conftest import Billing


@pytest.mark.parametrize(
    ("text", "expected"), [("1", Decimal(1)), ("1,5", Decimal("1.5")), (" 0.25 ", Decimal("0.25"))]
)
def test_quantities_read_both_decimal_marks(text: str, expected: Decimal) -> None:
    assert parse_quantity(text) == expected


@pytest.mark.parametrize("text", ["", "0", "-1", "abc", "1,2345", "100001"])
def test_bad_quantities_are_refused(text: str) -> None:
    with pytest.raises(ValidationError) as info:
        parse_quantity(text)
    assert info.value.field == "quantity"


def test_a_line_may_be_free_but_not_negative() -> None:
    assert parse_unit_price("0,00", "CAD") == 0
    assert parse_unit_price("1 234,50", "CAD") == 123450
    with pytest.raises(ValidationError):
        parse_unit_price("-5", "CAD")


def test_tax_rates_are_percentages() -> None:
    assert parse_tax_rate("") == 0
    assert parse_tax_rate("14,975 %") == Decimal("14.975")
    for bad in ("101", "5,12345", "x"):
        with pytest.raises(ValidationError):
            parse_tax_rate(bad)


def test_parse_line_reports_every_bad_field() -> None:
    line, errors = parse_line(LineFields("C1", "", "0", "abc", "200"), "CAD")
    assert line is None
    assert [e.field for e in errors] == ["description", "quantity", "unit_price", "taxes"]
    line, errors = parse_line(LineFields(" C1 ", " Suivi ", "2", "40", "5"), "CAD")
    assert errors == [] and line == LineInput("Suivi", Decimal(2), 4000, Decimal(5), "C1")


QUEBEC = TaxChoice(
    date(2026, 5, 1),
    {"GST": TaxRule("GST", "TPS", "GST", Decimal(5)), "QST": TaxRule("QST", "TVQ", "QST", Decimal("9.975"))},
    ("GST", "QST"),
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ((), Decimal(0))),  # exempt
        ("GST+QST", (("GST", "QST"), Decimal(0))),
        (" gst, qst ", (("GST", "QST"), Decimal(0))),
        ("qst gst qst", (("QST", "GST"), Decimal(0))),
        ("14,975 %", ((), Decimal("14.975"))),  # a bare rate, as drafts written before named taxes
    ],
)
def test_a_line_names_its_taxes_by_code(text: str, expected: tuple[tuple[str, ...], Decimal]) -> None:
    assert parse_taxes(text, QUEBEC) == expected


def test_a_code_the_company_does_not_have_is_refused_with_those_it_has() -> None:
    line, errors = parse_line(LineFields("", "Suivi", "1", "40", "GST+HST"), "CAD", QUEBEC)
    assert line is None
    assert [(e.field, str(e)) for e in errors] == [
        ("taxes", "no tax HST applies on 2026-05-01; the company's taxes: GST, QST")
    ]
    line, errors = parse_line(LineFields("", "Suivi", "1", "40", "gst"), "CAD", QUEBEC)
    assert line == LineInput("Suivi", Decimal(1), 4000, Decimal(0), "", ("GST",))
    assert LineFields(taxes="GST+QST").is_blank  # a new line's default taxes are not typing


def test_a_third_party_is_checked_field_by_field() -> None:
    billed_to, errors = check_billed_to("", "a@@b", "12", "klingon", "CA")
    assert billed_to is None
    assert [e.field for e in errors] == [
        "billed_to_name",
        "billed_to_email",
        "billed_to_phone",
        "billed_to_language",
    ]
    billed_to, errors = check_billed_to("Sun Life", "", "514 555 0199", "English", "CA")
    assert errors == [] and billed_to == BilledTo("Sun Life", None, "+15145550199", "en")


def test_patient_pages(billing: Billing) -> None:
    first, more = patient_page("bouchard", 0, 4)
    second, _ = patient_page("bouchard", 1, 4)
    last, no_more = patient_page("bouchard", 2, 4)
    assert more and not no_more
    names = [p.full_name for p in first + second + last]
    assert names == [f"Client{i} Bouchard" for i in range(9)]


def test_a_draft_is_rewritten_whole_and_a_billed_one_refused(billing: Billing, clinic: Clinic_) -> None:
    data = DraftInput(
        patient_id=billing.patients[2].id,
        billing_company_id=clinic.company.id,
        provider_id=None,
        billed_to=BilledTo("Sun Life", "claims@sunlife.example"),
        lines=(LineInput("Massage", Decimal(1), 12000),),
    )
    saved = save_draft(data, created_by=clinic.clerk, invoice_id=billing.draft.id)
    assert (saved.id, saved.total_cents, saved.third_party) == (billing.draft.id, 12000, True)
    loaded = load_draft(billing.draft.id)
    assert loaded.patient.id == billing.patients[2].id and loaded.provider_id is None
    assert loaded.billed_to == BilledTo("Sun Life", "claims@sunlife.example", None, None)
    with pytest.raises(TransitionError):
        save_draft(data, created_by=None, invoice_id=billing.billed.id)
    with pytest.raises(TransitionError):
        load_draft(billing.billed.id)
    assert Invoice.get(Invoice.id == billing.billed.id).third_party  # untouched: still its insurer


def test_save_and_bill_leaves_nothing_when_billing_is_refused(billing: Billing, clinic: Clinic_) -> None:
    before = Invoice.select().count()
    data = DraftInput(billing.patients[0].id, clinic.company.id, None, None, ())
    with pytest.raises(ValidationError):
        save_and_bill(data, created_by=None, now=FROZEN_NOW)
    assert Invoice.select().count() == before


def test_a_payment_dated_another_day_reads_that_day_in_the_clinic(billing: Billing, clinic: Clinic_) -> None:
    late_evening = datetime(2026, 3, 15, 2, 0, tzinfo=UTC)  # 22:00 on the 14th in Toronto
    assert received_at(date(2026, 3, 14), clinic.clinic, late_evening) == late_evening
    yesterday = received_at(date(2026, 3, 13), clinic.clinic, late_evening)
    assert yesterday == datetime(2026, 3, 13, 16, 0, tzinfo=UTC)  # noon in Toronto
    with pytest.raises(ValidationError):
        received_at(date(2026, 3, 15), clinic.clinic, late_evening)
    invoice = pay(billing.billed.id, 18698, PaymentMethod.CARD, reference=" ", now=FROZEN_NOW)
    assert invoice.status == InvoiceStatus.PAID
    view = invoice_view(billing.billed.id)
    assert view.balance_cents == 0 and view.payments[0].reference is None
    assert view.transmissions[0].recipient == "reclamations@beaulieu.example"

"""Taxes an admin defines: refusals, presets, the dates a rate applies, and invoices that keep
what they were billed with."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from models.admin.settings import SettingsRefused
from models.admin.tax_settings import add_tax as admin_add_tax
from models.billing.invoice import Invoice
from models.billing.invoice_taxes import invoice_taxes
from models.billing.invoicing import LineInput, bill, create_draft, line_input, lines_of, replace_lines
from models.billing.tax_definitions import TaxInput, add_tax, edit_tax, end_tax, load_preset
from models.billing.tax_presets import PRESETS
from models.billing.taxes import Tax, default_codes, split_codes, taxes_in_force
from models.core.errors import FieldErrors, ValidationError
from models.people.clinic import Staff
from models.people.patient import Patient
from tests.conftest import Setup


def gst(**changes: object) -> TaxInput:
    fields: dict[str, object] = {
        "code": "GST",
        "name_fr": "TPS",
        "name_en": "GST",
        "rate": "5",
        "registration": "123456789 RT0001",
    }
    return TaxInput(**{**fields, **changes})  # type: ignore[arg-type]


def noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 17, tzinfo=UTC)  # noon in Toronto


@pytest.mark.sqlite_only  # the checks refuse before anything is written: the engine adds nothing
@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"code": ""}, "code"),
        ({"code": "G S T"}, "code"),
        ({"code": "TOO-LONG-CODE"}, "code"),
        ({"name_fr": " "}, "name_fr"),
        ({"name_en": "x" * 61}, "name_en"),
        ({"rate": "-1"}, "rate"),
        ({"rate": "100.5"}, "rate"),
        ({"rate": "5.12345"}, "rate"),
        ({"rate": "cinq"}, "rate"),
        ({"registration": "x" * 41}, "registration"),
        ({"valid_from": date(2024, 1, 2), "valid_until": date(2024, 1, 1)}, "valid_until"),
    ],
)
def test_bad_taxes_are_refused_on_their_field(setup: Setup, changes: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        add_tax(setup.company.id, gst(**changes))
    assert refused.value.field == field
    assert not Tax.select().exists()


def test_every_refused_field_is_named_at_once(setup: Setup) -> None:
    with pytest.raises(FieldErrors) as refused:
        add_tax(setup.company.id, gst(code="", rate="200"))
    assert [error.field for error in refused.value.errors] == ["code", "rate"]


def test_a_code_is_unique_per_company_at_any_date(setup: Setup) -> None:
    add_tax(setup.company.id, gst(code="gst"))
    with pytest.raises(ValidationError, match="GST already applies from … to …") as refused:
        add_tax(setup.company.id, gst(rate="6"))
    assert refused.value.field == "valid_from"
    add_tax(setup.other_company.id, gst())  # another company's GST is its own
    assert Tax.get(Tax.billing_company == setup.company).code == "GST"  # typed in lower case


def test_overlapping_ranges_of_a_code_are_refused_and_adjacent_ones_taken(setup: Setup) -> None:
    old = add_tax(setup.company.id, gst(code="VAT", rate="7.7", valid_until=date(2023, 12, 31)))
    with pytest.raises(ValidationError, match="VAT already applies from … to 2023-12-31"):
        add_tax(setup.company.id, gst(code="VAT", rate="8.1", valid_from=date(2023, 12, 31)))
    new = add_tax(setup.company.id, gst(code="VAT", rate="8.1", valid_from=date(2024, 1, 1)))
    with pytest.raises(ValidationError, match="already applies"):
        edit_tax(old.id, gst(code="VAT", rate="7.7", valid_until=date(2024, 6, 30)))
    with pytest.raises(ValidationError, match="cannot end before it starts"):
        end_tax(new.id, date(2023, 6, 30))
    assert taxes_in_force(setup.company.id, date(2023, 12, 31))["VAT"].rate == Decimal("7.7")
    assert taxes_in_force(setup.company.id, date(2024, 1, 1))["VAT"].rate == Decimal("8.1")


def test_only_admins_change_taxes(setup: Setup) -> None:
    clerk = Staff.create(login="clerk", display_name="Rita", roles="billing")
    with pytest.raises(SettingsRefused, match="not an admin"):
        admin_add_tax(setup.company.id, gst(), acting=clerk)


def test_the_quebec_preset_gives_gst_and_qst_for_new_lines(setup: Setup) -> None:
    added = load_preset(setup.company.id, "qc")
    assert [(t.code, t.name_fr, t.name_en, t.rate) for t in added] == [
        ("GST", "TPS", "GST", Decimal(5)),
        ("QST", "TVQ", "QST", Decimal("9.975")),
    ]
    assert default_codes(setup.company.id, date(2026, 1, 1)) == ("GST", "QST")
    assert load_preset(setup.company.id, "qc") == []  # loaded again: nothing twice


def test_a_preset_keeps_the_registration_number_of_a_code_already_there(setup: Setup) -> None:
    add_tax(setup.company.id, gst(code="HST", rate="15", valid_until=date(2025, 3, 31), registration="R-1"))
    (added,) = load_preset(setup.company.id, "ns")  # the 15 % rate is there already
    assert (added.rate, added.valid_from, added.registration) == (Decimal(14), date(2025, 4, 1), "R-1")


def test_a_preset_that_overlaps_a_rate_adds_nothing(setup: Setup) -> None:
    add_tax(setup.company.id, gst(valid_until=date(2019, 12, 31)))
    with pytest.raises(ValidationError, match="GST already applies from … to 2019-12-31"):
        load_preset(setup.company.id, "qc")
    assert Tax.select().count() == 1


@pytest.mark.sqlite_only  # a plain date-range read; billing on a rate change runs on both engines
@pytest.mark.parametrize(
    ("key", "day", "rates"),
    [
        ("on", date(2026, 1, 1), {"HST": Decimal(13)}),
        ("ns", date(2025, 3, 31), {"HST": Decimal(15)}),
        ("ns", date(2025, 4, 1), {"HST": Decimal(14)}),
        ("nb", date(2026, 1, 1), {"HST": Decimal(15)}),
        ("nl", date(2026, 1, 1), {"HST": Decimal(15)}),
        ("pe", date(2026, 1, 1), {"HST": Decimal(15)}),
        ("gst", date(2026, 1, 1), {"GST": Decimal(5)}),
        (
            "ch",
            date(2023, 12, 31),
            {"VAT": Decimal("7.7"), "VAT-RED": Decimal("2.5"), "VAT-ACC": Decimal("3.7")},
        ),
        (
            "ch",
            date(2024, 1, 1),
            {"VAT": Decimal("8.1"), "VAT-RED": Decimal("2.6"), "VAT-ACC": Decimal("3.8")},
        ),
    ],
)
def test_presets_give_the_rates_in_force_on_a_date(
    setup: Setup, key: str, day: date, rates: dict[str, Decimal]
) -> None:
    load_preset(setup.company.id, key)
    assert {code: rule.rate for code, rule in taxes_in_force(setup.company.id, day).items()} == rates


def test_every_preset_loads_and_an_unknown_one_is_refused(setup: Setup) -> None:
    for preset in PRESETS:
        Tax.delete().execute()
        assert load_preset(setup.company.id, preset.key)
    with pytest.raises(ValidationError, match="not a tax preset"):
        load_preset(setup.company.id, "qcc")


def swiss_draft(setup: Setup) -> Invoice:
    load_preset(setup.company.id, "ch")
    patient = Patient.create(last_name="Favre", first_name="Léon")
    lines = [
        LineInput("Séance", Decimal(1), 10000, tax_codes=("VAT",)),
        LineInput("Livre", Decimal(1), 4000, tax_codes=("VAT-RED",)),
        LineInput("Physiothérapie", Decimal(1), 12000),
    ]
    return create_draft(patient=patient, billing_company=setup.company, lines=lines)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2023, 12, 31), [("VAT", Decimal("7.7"), 10000, 770), ("VAT-RED", Decimal("2.5"), 4000, 100)]),
        (date(2024, 1, 1), [("VAT", Decimal("8.1"), 10000, 810), ("VAT-RED", Decimal("2.6"), 4000, 104)]),
    ],
)
def test_billing_uses_the_rates_in_force_on_the_issue_date(
    setup: Setup, day: date, expected: list[tuple[str, Decimal, int, int]]
) -> None:
    invoice = bill(swiss_draft(setup), now=noon(day))
    assert invoice.issue_date == day
    taxes = invoice_taxes(invoice.id)
    assert [(t.code, t.rate, t.base_cents, t.tax_cents) for t in taxes] == expected
    assert (
        invoice.tax_cents
        == sum(t.tax_cents for t in taxes)
        == sum(line.tax_cents for line in lines_of(invoice))
    )
    assert invoice.total_cents == 26000 + invoice.tax_cents


def test_a_billed_invoice_keeps_its_taxes_when_a_rate_or_number_changes(setup: Setup) -> None:
    load_preset(setup.company.id, "qc")
    patient = Patient.create(last_name="Roy", first_name="Anne")
    line = LineInput("Massothérapie", Decimal(1), 10000, tax_codes=("GST", "QST"))
    invoice = bill(create_draft(patient=patient, billing_company=setup.company, lines=[line]))
    before = (invoice_taxes(invoice.id), Invoice.get_by_id(invoice.id).total_cents)
    qst = Tax.get(Tax.code == "QST")
    edit_tax(qst.id, TaxInput("QST", "TVQ", "QST", "10", "999 TQ0001"))
    assert (invoice_taxes(invoice.id), Invoice.get_by_id(invoice.id).total_cents) == before
    assert [(t.name_fr, t.tax_cents, t.registration) for t in before[0]] == [
        ("TPS", 500, None),
        ("TVQ", 998, None),
    ]


def test_a_line_naming_a_tax_not_in_force_is_refused(setup: Setup) -> None:
    load_preset(setup.company.id, "qc")
    patient = Patient.create(last_name="Roy", first_name="Anne")
    line = LineInput("Séance", Decimal(1), 10000, tax_codes=("HST",))
    with pytest.raises(ValidationError, match=r"line 1: no tax HST applies on .*: GST, QST"):
        create_draft(patient=patient, billing_company=setup.company, lines=[line])
    draft = create_draft(
        patient=patient,
        billing_company=setup.company,
        lines=[LineInput("Séance", Decimal(1), 100, tax_codes=("GST",))],
    )
    Tax.update(valid_until=date(2000, 1, 1)).where(Tax.code == "GST").execute()
    with pytest.raises(ValidationError, match="no tax GST applies"):
        bill(draft)
    assert Invoice.get_by_id(draft.id).status == "draft"


def test_a_line_before_named_taxes_keeps_its_amounts_and_prints_by_rate(setup: Setup) -> None:
    patient = Patient.create(last_name="Roy", first_name="Anne")
    draft = create_draft(
        patient=patient,
        billing_company=setup.company,
        lines=[LineInput("Orthèse", Decimal(1), 35000, Decimal("14.975"))],
    )
    invoice = bill(draft)
    (line,) = lines_of(invoice)
    assert (line.tax_codes, line.tax_cents) == ("", 5241)
    assert line_input(line).tax_rate == Decimal("14.975") and line_input(line).tax_codes == ()
    (tax,) = invoice_taxes(invoice.id)
    assert (tax.code, tax.rate, tax.base_cents, tax.tax_cents) == ("", Decimal("14.975"), 35000, 5241)


def test_a_named_line_stores_its_codes_and_the_sum_of_their_rates(setup: Setup) -> None:
    load_preset(setup.company.id, "qc")
    patient = Patient.create(last_name="Roy", first_name="Anne")
    draft = create_draft(patient=patient, billing_company=setup.company)
    invoice = replace_lines(
        draft, [LineInput("Séance", Decimal(2), 5000, tax_codes=split_codes("gst + qst"))]
    )
    (line,) = lines_of(invoice)
    assert (line.tax_codes, Decimal(line.tax_rate), line.tax_cents) == ("GST+QST", Decimal("14.975"), 1498)
    assert line_input(line).tax_codes == ("GST", "QST")

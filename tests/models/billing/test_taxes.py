"""Taxes as a tax authority reads an invoice: each tax computed once on the sum of the lines it
applies to and rounded once (half up); the lines share it so they add up to the invoice. Named
taxes (GST, QST…) by code; lines written before them by their bare rate."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from models.billing.invoice import Invoice
from models.billing.invoicing import LineInput, create_draft, lines_amounts, taxed_lines
from models.billing.tax_computation import Taxable, TaxRule, compute_taxes, share, tax_on
from models.people.patient import Patient
from tests.conftest import Setup

RATES = [Decimal(0), Decimal(5), Decimal("9.975"), Decimal(13), Decimal("14.975"), Decimal("8.1")]

line = st.builds(
    LineInput,
    description=st.just("Séance"),
    quantity=st.decimals(min_value=Decimal("0.25"), max_value=Decimal(40), places=2),
    unit_price_cents=st.integers(min_value=0, max_value=500_000),
    tax_rate=st.sampled_from(RATES),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(line, min_size=1, max_size=80))
def test_each_rate_s_lines_carry_exactly_the_tax_on_their_sum(lines: list[LineInput]) -> None:
    amounts = lines_amounts(lines)
    for rate in {line.tax_rate for line in lines}:
        mine = [amount for line, amount in zip(lines, amounts, strict=True) if line.tax_rate == rate]
        base = sum(subtotal for subtotal, _ in mine)
        assert sum(tax for _, tax in mine) == tax_on(base, rate)  # one rounding per rate
    assert all(tax >= 0 for _, tax in amounts)


def test_sixty_lines_at_5_percent_owe_the_tax_on_their_sum(setup: Setup) -> None:
    lines = [LineInput(f"Séance {n}", Decimal(1), 5750, Decimal(5)) for n in range(50)]
    lines += [LineInput(f"Suivi {n}", Decimal(1), 6000, Decimal(5)) for n in range(10)]
    patient = Patient.create(last_name="Tremblay", first_name="Marie")
    draft = Invoice.get_by_id(create_draft(patient=patient, billing_company=setup.company, lines=lines).id)
    assert (draft.subtotal_cents, draft.tax_cents, draft.total_cents) == (347_500, 17_375, 364_875)
    assert (
        sum(line.tax_cents for line in draft.lines) == 17_375
    )  # per line, 2,88 $ × 50 + 3,00 $ × 10 = 174,00 $


RULES = {
    "GST": TaxRule("GST", "TPS", "GST", Decimal(5), "123456789 RT0001", 1),
    "QST": TaxRule("QST", "TVQ", "QST", Decimal("9.975"), "1234567890 TQ0001", 2),
    "HST": TaxRule("HST", "TVH", "HST", Decimal(13), None, 3),
    "VAT": TaxRule("VAT", "TVA", "VAT", Decimal("8.1"), None, 4),
    "NIL": TaxRule("NIL", "Zéro", "Zero", Decimal(0), None, 5),
}
taxable = st.builds(
    Taxable,
    subtotal_cents=st.integers(min_value=0, max_value=2_000_000),
    tax_codes=st.lists(st.sampled_from(sorted(RULES)), max_size=3).map(tuple),
    tax_rate=st.sampled_from(RATES),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(taxable, min_size=1, max_size=80))
def test_for_any_lines_and_taxes_the_totals_equal_the_per_tax_computation(lines: list[Taxable]) -> None:
    line_taxes, results = compute_taxes(lines, RULES)
    named = {result.code: result for result in results if result.code}
    for code, rule in RULES.items():
        mine = [line for line in lines if code in line.tax_codes]
        if not mine:
            assert code not in named
            continue
        base = sum(line.subtotal_cents for line in mine)
        assert (named[code].base_cents, named[code].tax_cents) == (base, tax_on(base, rule.rate))
    for result in results:
        if not result.code:  # a bare rate: the lines without codes at that rate
            mine = [line for line in lines if not line.tax_codes and line.tax_rate == result.rate]
            base = sum(line.subtotal_cents for line in mine)
            assert (result.base_cents, result.tax_cents) == (base, tax_on(base, result.rate))
    assert sum(line_taxes) == sum(result.tax_cents for result in results)
    for line, tax in zip(lines, line_taxes, strict=True):
        exact = sum(Decimal(line.subtotal_cents) * RULES[code].rate / 100 for code in set(line.tax_codes))
        if not line.tax_codes:
            exact = Decimal(line.subtotal_cents) * line.tax_rate / 100
        assert tax >= 0 and abs(tax - exact) < len(set(line.tax_codes)) + 1  # within a cent per tax


@given(st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=50))
def test_a_tax_s_shares_add_up_never_negative_within_a_cent(subtotals: list[int]) -> None:
    rate = Decimal(5)
    due = tax_on(sum(subtotals), rate)
    parts = share(due, subtotals, rate)
    assert sum(parts) == due
    assert all(
        part >= 0 and abs(part - Decimal(s) * rate / 100) < 1
        for part, s in zip(parts, subtotals, strict=True)
    )


def test_eighty_ten_cent_lines_share_the_tax_without_a_negative_line() -> None:
    """At 5 %, each 0,10 $ line owes half a cent: rounded alone, 80 lines would owe 0,80 $."""
    taxes, (result,) = compute_taxes([Taxable(10, ("GST",))] * 80, RULES)
    assert (result.base_cents, result.tax_cents, sum(taxes)) == (800, 40, 40)
    assert set(taxes) == {0, 1}


def test_quebec_lines_carry_gst_and_qst_each_on_its_own_base() -> None:
    lines = [
        LineInput("Massothérapie", Decimal(1), 8500, tax_codes=("GST", "QST")),
        LineInput("Orthèse", Decimal(1), 35000, tax_codes=("GST", "QST")),
        LineInput("Physiothérapie", Decimal(1), 7500),  # exempt
    ]
    amounts, results = taxed_lines(lines, RULES)
    assert [(r.code, r.base_cents, r.tax_cents) for r in results] == [
        ("GST", 43500, 2175),
        ("QST", 43500, 4339),  # 9,975 % of 435,00 $ = 43,39125 $
    ]
    assert amounts[2] == (7500, 0)
    assert sum(tax for _, tax in amounts) == 2175 + 4339


def test_sixty_named_lines_at_5_percent_owe_173_75() -> None:
    lines = [LineInput(f"Séance {n}", Decimal(1), 5750, tax_codes=("GST",)) for n in range(50)]
    lines += [LineInput(f"Suivi {n}", Decimal(1), 6000, tax_codes=("GST",)) for n in range(10)]
    amounts, (gst,) = taxed_lines(lines, RULES)
    assert (gst.base_cents, gst.tax_cents) == (347_500, 17_375)
    assert sum(tax for _, tax in amounts) == 17_375


def test_half_a_cent_rounds_up_and_the_base_is_never_rounded_per_line() -> None:
    """Half up, to the cent, once: 5 % of 10,10 $ is 0,505 $ → 0,51 $ (banker's rounding gives 0,50 $);
    two lines of 5,05 $ owe the same 0,51 $, where rounding each line's 0,2525 $ would give 0,50 $."""
    assert tax_on(1010, Decimal(5)) == 51
    assert tax_on(1030, Decimal(5)) == 52  # 0,515 $: half up, not to the even cent
    assert tax_on(1010, Decimal("9.975")) == 101  # 1,007 $
    lines = [LineInput("Séance", Decimal(1), 505, Decimal(5))] * 2
    assert sum(tax for _, tax in lines_amounts(lines)) == 51

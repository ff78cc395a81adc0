"""Taxes as a tax authority reads an invoice: each rate's tax computed once on the sum of its lines
and rounded once (half up); the lines share it so they add up to the invoice."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from models.billing.invoice import Invoice
from models.billing.invoicing import LineInput, create_draft, lines_amounts, tax_on
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

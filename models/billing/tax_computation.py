"""Taxes as a tax authority reads an invoice: each tax on the sum of the lines it applies to,
rounded once (half up, to the currency's minor unit), then shared back among those lines.

Pure arithmetic on integer minor units: no database. A line names its taxes by code (``GST``,
``QST``); a line written before named taxes carries only a bare rate, and those lines are taxed
per rate the same way (one unnamed tax per rate). Each line's share of a tax is its exact share
rounded down, the cents left over going to the largest remainders (ties: the larger line, then
the earlier one), so every share is within a cent of exact, never negative, and the lines add up
to the tax.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from models.core.money import round_cents


@dataclass(frozen=True)
class TaxRule:
    """One tax as it applies on a given date: what a line's code resolves to."""

    code: str
    name_fr: str
    name_en: str
    rate: Decimal  # percent, e.g. Decimal("9.975")
    registration: str | None = None
    position: int = 0


@dataclass(frozen=True)
class TaxResult:
    """One tax of one invoice: its base (the lines it applies to) and its amount, in minor units.
    ``code`` is empty for a bare rate of a line written before named taxes."""

    code: str
    name_fr: str
    name_en: str
    rate: Decimal
    registration: str | None
    base_cents: int
    tax_cents: int

    def name(self, language: str) -> str:
        """The printed name in ``language`` (French unless English); empty for a bare rate."""
        return self.name_en if language == "en" else self.name_fr


@dataclass(frozen=True)
class Taxable:
    """What taxes a line: its subtotal, and its tax codes (or, before named taxes, a bare rate)."""

    subtotal_cents: int
    tax_codes: tuple[str, ...] = ()
    tax_rate: Decimal = Decimal(0)  # percent; read only when there are no codes


def tax_on(base_cents: int, rate: Decimal) -> int:
    """A tax at ``rate`` percent on ``base_cents``, rounded once, half up."""
    return round_cents(Decimal(base_cents) * rate / 100)


def share(due: int, subtotals: Sequence[int], rate: Decimal) -> list[int]:
    """``due`` shared among lines of ``subtotals`` at ``rate``: exact shares rounded down, the rest
    by largest remainder, so the shares add up to ``due``."""
    exact = [Decimal(subtotal) * rate / 100 for subtotal in subtotals]
    floors = [int(value.to_integral_value(rounding=ROUND_FLOOR)) for value in exact]
    left = due - sum(floors)
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), -subtotals[i], i))
    for index in order[: max(left, 0)]:
        floors[index] += 1
    return floors


def compute_taxes(
    lines: Sequence[Taxable], rules: Mapping[str, TaxRule]
) -> tuple[list[int], list[TaxResult]]:
    """Each line's tax, and each tax's result (named taxes in their order, then bare rates).

    Every code a line names must be in ``rules`` (``KeyError`` otherwise: callers check codes
    first, with a message for the person who typed them)."""
    line_taxes = [0] * len(lines)
    results: list[TaxResult] = []
    named: dict[str, list[int]] = {}
    bare: dict[Decimal, list[int]] = {}
    for index, line in enumerate(lines):
        if line.tax_codes:
            for code in dict.fromkeys(line.tax_codes):
                named.setdefault(code, []).append(index)
        elif line.tax_rate:
            bare.setdefault(line.tax_rate, []).append(index)
    ordered = sorted(named, key=lambda code: (rules[code].position, code))
    groups = [(rules[code], named[code]) for code in ordered]
    groups += [(TaxRule("", "", "", rate), bare[rate]) for rate in sorted(bare)]
    for rule, indexes in groups:
        subtotals = [lines[i].subtotal_cents for i in indexes]
        base = sum(subtotals)
        due = tax_on(base, rule.rate)
        for index, part in zip(indexes, share(due, subtotals, rule.rate), strict=True):
            line_taxes[index] += part
        results.append(
            TaxResult(rule.code, rule.name_fr, rule.name_en, rule.rate, rule.registration, base, due)
        )
    return line_taxes, results

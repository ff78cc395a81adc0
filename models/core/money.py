"""Money as integer minor units (cents), with Decimal arithmetic and half-up rounding."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel.numbers import get_currency_precision

from locales import N_
from models.core.errors import ValidationError


def minor_digits(currency: str) -> int:
    """2 for CAD and EUR, 0 for JPY: the currency's minor unit, from Babel's data."""
    return get_currency_precision(currency)


def round_cents(value: Decimal) -> int:
    """Round a Decimal amount of minor units half up (0.5 cent -> 1 cent)."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def to_minor(amount: Decimal, currency: str) -> int:
    return round_cents(amount.scaleb(minor_digits(currency)))


def from_minor(cents: int, currency: str) -> Decimal:
    return Decimal(cents).scaleb(-minor_digits(currency))


_SPACES = re.compile(r"[\s\u00a0\u202f']")
# Digits with thousands groups and one decimal part: 85 | 85.5 | 85,50 | 1,234.50 | 1.234,50
_AMOUNT = re.compile(r"\d{1,3}(?:([.,])\d{3})*(?:(?!\1)[.,]\d+)?|\d+(?:[.,]\d+)?")


def parse_amount(text: str, currency: str, field: str = "amount") -> int:
    """Parse an amount as staff type it ("12.50", "12,50", "1 234,50", "1,234.50") into cents.

    A comma is the decimal separator unless a dot is also present; more decimals
    than the currency has, zero, negative or non-numeric amounts are refused.
    """
    cleaned = _SPACES.sub("", text.strip()).removesuffix("$").removeprefix("$").strip()
    if not _AMOUNT.fullmatch(cleaned):
        raise ValidationError(field, N_("{value} is not an amount"), value=text)
    if "," in cleaned and "." in cleaned:
        # "1,234.50" or "1.234,50": the last separator is the decimal one.
        thousands = "," if cleaned.rfind(".") > cleaned.rfind(",") else "."
        cleaned = cleaned.replace(thousands, "")
    cleaned = cleaned.replace(",", ".")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        raise ValidationError(field, N_("{value} is not an amount"), value=text) from None
    digits = minor_digits(currency)
    if -amount.as_tuple().exponent > digits:  # type: ignore[operator]
        raise ValidationError(
            field,
            N_("{value} has more than {digits} decimals for {currency}"),
            value=text,
            digits=digits,
            currency=currency,
        )
    if amount <= 0:
        raise ValidationError(field, N_("the amount must be greater than zero"))
    return to_minor(amount, currency)

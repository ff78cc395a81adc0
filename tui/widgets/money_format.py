"""Money as the reader reads it: ``MoneyFormat(currency, language, country)(1250)`` -> ``12,50 $``."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from babel import numbers as babel_numbers

from locales.formatting import babel_locale, format_money
from models.core.money import minor_digits


@dataclass(frozen=True)
class MoneyFormat:
    """Formats integer minor units for one currency, in the reader's language and the clinic's country."""

    currency: str
    language: str
    country: str

    def __call__(self, cents: int) -> str:
        return format_money(cents, self.currency, self.language, self.country)

    def plain(self, cents: int) -> str:
        """The amount as a person would type it back (``85,00`` in French): no symbol, no grouping."""
        amount = Decimal(cents).scaleb(-minor_digits(self.currency))
        digits = minor_digits(self.currency)
        pattern = "0." + "0" * digits if digits else "0"
        locale = babel_locale(self.language, self.country)
        return babel_numbers.format_decimal(amount, pattern, locale=locale, group_separator=False)

    def decimal(self, value: Decimal) -> str:
        """A quantity or tax rate in the reader's notation (``14,975``), trailing zeros dropped."""
        text = format(value.normalize(), "f")
        separator = babel_numbers.get_decimal_symbol(babel_locale(self.language, self.country))
        return text.replace(".", separator)

    def percent(self, rate: Decimal) -> str:
        """A rate stored in percent (``14.975``) as the reader writes it: ``14,975 %`` / ``14.975%``."""
        locale = babel_locale(self.language, self.country)
        return babel_numbers.format_percent(rate / 100, locale=locale, decimal_quantization=False)

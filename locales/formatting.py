"""Money, dates and times for a reader: Babel with an explicit locale, never ``locale.setlocale``.

The locale is the reader's language with the clinic's country (``fr`` + ``CA`` ->
``fr_CA``), or the bare language where Babel has no data for the pair.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale, localedata
from babel import dates as babel_dates
from babel import numbers as babel_numbers

from locales.catalogs import DEFAULT_LANGUAGE, normalize_language


@lru_cache(maxsize=64)
def babel_locale(language: str | None, country: str | None) -> Locale:
    """``fr``/``CA`` -> ``fr_CA``; ``fr``/``US`` -> ``fr``; a language Facteur lacks -> French."""
    lang = normalize_language(language) or DEFAULT_LANGUAGE
    if country:
        identifier = f"{lang}_{country.strip().upper()}"
        if localedata.exists(identifier):
            return Locale.parse(identifier)
    return Locale.parse(lang)


def format_money(cents: int, currency: str, language: str | None, country: str | None) -> str:
    """``1250, "CAD", "fr", "CA"`` -> ``"12,50 $"``: integer minor units, the currency's precision."""
    if isinstance(cents, bool) or not isinstance(cents, int):
        raise TypeError(f"format_money takes integer minor units, not {type(cents).__name__}")
    amount = Decimal(cents).scaleb(-babel_numbers.get_currency_precision(currency))
    return babel_numbers.format_currency(amount, currency, locale=babel_locale(language, country))


@dataclass(frozen=True)
class Money:
    """An amount as a message's parameter, written in each reader's language (``Translator.format``
    renders a parameter that has ``render``)."""

    cents: int
    currency: str
    country: str | None = None  # the clinic's: "0,30 $" in Québec, not "0,30 $CA"

    def render(self, tr: Any) -> str:
        return format_money(self.cents, self.currency, tr.language, self.country)


def format_date(value: dt.date, language: str | None, country: str | None, format: str = "medium") -> str:
    """A calendar date (``short``, ``medium``, ``long``, ``full`` or a CLDR pattern)."""
    return babel_dates.format_date(value, format, locale=babel_locale(language, country))


def local_datetime(value_utc: dt.datetime, tz_name: str) -> dt.datetime:
    """A stored UTC time (naive means UTC) in the clinic's timezone."""
    aware = value_utc if value_utc.tzinfo else value_utc.replace(tzinfo=dt.UTC)
    return aware.astimezone(ZoneInfo(tz_name))


def format_datetime(
    value_utc: dt.datetime, tz_name: str, language: str | None, country: str | None, format: str = "medium"
) -> str:
    """A stored UTC time as the clinic's wall clock shows it, to the minute for the named widths.

    ``short``/``medium``/``long``/``full`` size the date; the time is always short
    (``14 janv. 2026, 22 h 30``); any other value is a CLDR pattern used as is.
    """
    local = local_datetime(value_utc, tz_name)
    locale = babel_locale(language, country)
    if format not in ("short", "medium", "long", "full"):
        return babel_dates.format_datetime(local, format, tzinfo=local.tzinfo, locale=locale)
    date_part = babel_dates.format_date(local, format, locale=locale)
    time_part = babel_dates.format_time(local, "short", tzinfo=local.tzinfo, locale=locale)
    pattern = str(babel_dates.get_datetime_format(format, locale=locale))  # type: ignore[arg-type]
    # CLDR quotes literal words ("{1} 'à' {0}"); Babel drops the quotes the same way
    return pattern.replace("'", "").replace("{0}", time_part).replace("{1}", date_part)


def format_duration(seconds: float, language: str | None, country: str | None) -> str:
    """About how long, short: ``"14 min"``, ``"2 h"`` (CLDR's units, rounded to the largest, a
    minute at least)."""
    return babel_dates.format_timedelta(
        dt.timedelta(seconds=max(seconds, 60)),
        threshold=1,
        format="short",
        locale=babel_locale(language, country),
    )

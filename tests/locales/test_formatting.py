"""Money, dates and times with an explicit Babel locale from language + clinic country."""

from __future__ import annotations

import datetime as dt
import locale

import pytest

from locales.formatting import babel_locale, format_date, format_datetime, format_money

NBSP = "\u00a0"


def test_the_locale_is_language_and_country_else_the_language() -> None:
    assert str(babel_locale("fr", "CA")) == "fr_CA"
    assert str(babel_locale("en", "ch")) == "en_CH"
    assert str(babel_locale("fr", "US")) == "fr"  # Babel has no fr_US
    assert str(babel_locale("en-CA", None)) == "en"
    assert str(babel_locale(None, "CA")) == "fr_CA"  # no language: French, the default


def test_money_in_minor_units_with_the_currency_precision() -> None:
    assert format_money(123456, "CAD", "fr", "CA") == f"1{NBSP}234,56{NBSP}$"
    assert format_money(123456, "CAD", "en", "CA") == "$1,234.56"
    assert format_money(1250, "CHF", "fr", "CH") == f"12,50{NBSP}CHF"
    assert format_money(500, "JPY", "en", "CA") == "JP¥500"  # no minor unit: 500 yen, not 5
    assert format_money(-1250, "EUR", "fr", "FR").startswith("-12,50")


def test_money_refuses_floats() -> None:
    with pytest.raises(TypeError):
        format_money(12.5, "CAD", "fr", "CA")  # type: ignore[arg-type]


def test_dates() -> None:
    day = dt.date(2026, 3, 5)
    assert format_date(day, "fr", "CA") == "5 mars 2026"
    assert format_date(day, "en", "CA") == "Mar 5, 2026"
    assert format_date(day, "fr", "CA", "short") == "2026-03-05"
    assert format_date(day, "en", "CA", "long") == "March 5, 2026"


def test_times_are_shown_in_the_clinic_timezone() -> None:
    stored = dt.datetime(2026, 1, 15, 3, 30)  # naive: UTC, as stored
    assert format_datetime(stored, "America/Toronto", "fr", "CA") == "14 janv. 2026, 22 h 30"
    assert (
        format_datetime(stored.replace(tzinfo=dt.UTC), "Europe/Zurich", "fr", "CH") == "15 janv. 2026, 04:30"
    )
    summer = dt.datetime(2026, 7, 1, 16, 0, tzinfo=dt.UTC)
    assert format_datetime(summer, "America/Toronto", "en", "CA", "short") == "2026-07-01, 12:00\u202fp.m."


def test_the_process_locale_is_left_alone() -> None:
    before = locale.setlocale(locale.LC_ALL)
    format_money(100, "CAD", "fr", "CA")
    format_datetime(dt.datetime(2026, 1, 1), "America/Toronto", "en", "CA")
    assert locale.setlocale(locale.LC_ALL) == before

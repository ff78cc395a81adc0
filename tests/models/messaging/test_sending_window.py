"""The sending window: what an admin types is read or refused field by field; the window opens
on the clinic's clock, skips closed days and public holidays (Quebec's, a Swiss canton's), and
keeps its hours across DST changes in America/Toronto and Europe/Zurich."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest

from locales import LazyText, translator
from models.core.errors import ValidationError
from models.core.validation import REQUIRED
from models.messaging import sending_window
from models.messaging.sending_window import (
    ALWAYS,
    BACKWARD_DAYS,
    BAD_DAY,
    BAD_TIME,
    CLOSES_FIRST,
    END_OF_DAY,
    NO_DAY,
    NO_SUBDIVISIONS,
    NOT_A_SENDING_DAY,
    OPENS_AT_END,
    OUTSIDE_HOURS,
    PUBLIC_HOLIDAY,
    UNKNOWN_COUNTRY,
    UNKNOWN_SUBDIVISION,
    UNKNOWN_SUBDIVISION_OF_MANY,
    ClosedReason,
    SendingWindow,
    closed_because,
    format_days,
    format_time,
    holiday_name,
    is_open,
    next_opening,
    parse_days,
    parse_window,
    upcoming_holidays,
)

TORONTO = "America/Toronto"
ZURICH = "Europe/Zurich"
WEEKDAYS = frozenset(range(1, 6))
EVERY_DAY = frozenset(range(1, 8))


def at(zone: str, *parts: int) -> datetime:
    """The UTC instant ``zone``'s clock shows ``parts`` (the first, if it shows it twice)."""
    wall = datetime(*parts)  # type: ignore[arg-type]
    return wall.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)


def utc(*parts: int) -> datetime:
    return datetime(*parts).replace(tzinfo=UTC)  # type: ignore[arg-type]


def window(
    opens: time = time(8),
    closes: time = time(17),
    days: frozenset[int] = WEEKDAYS,
    calendar: str = "",
    timezone: str = TORONTO,
) -> SendingWindow:
    return SendingWindow(opens, closes, days, calendar, timezone)


QUEBEC = window(calendar="CA-QC")


# Reading the settings


def refusal(**typed: str) -> ValidationError:
    fields = {"opens": "08:00", "closes": "17:00", "days": "1-5", "calendar": "CA-QC", "timezone": TORONTO}
    with pytest.raises(ValidationError) as caught:
        parse_window(**{**fields, **typed})
    return caught.value


def test_a_window_is_read_as_typed_and_normalized() -> None:
    read = parse_window(" 8:00", "17:30 ", " 1-3, 5 ,7", "ca-Québec", "america/toronto")
    assert read == SendingWindow(time(8), time(17, 30), frozenset({1, 2, 3, 5, 7}), "CA-QC", TORONTO)
    assert parse_window("07:15", "24:00", "1", "ch-ge", ZURICH).calendar == "CH-GE"
    assert parse_window("00:00", "00:00", "1-7", "", "UTC").closes == END_OF_DAY
    assert parse_window("08:00", "17:00", "6-7", "CA", TORONTO).calendar == "CA"


@pytest.mark.parametrize(
    ("typed", "field", "msgid"),
    [
        ({"opens": "8h"}, "opens", BAD_TIME),
        ({"opens": "08:60"}, "opens", BAD_TIME),
        ({"opens": "8:00 am"}, "opens", BAD_TIME),
        ({"opens": " "}, "opens", REQUIRED),
        ({"opens": "24:00"}, "opens", OPENS_AT_END),
        ({"closes": "25:00"}, "closes", BAD_TIME),
        ({"closes": "1730"}, "closes", BAD_TIME),
        ({"closes": "07:59"}, "closes", CLOSES_FIRST),
        ({"closes": "08:00"}, "closes", CLOSES_FIRST),
        ({"days": ""}, "days", NO_DAY),
        ({"days": " , "}, "days", NO_DAY),
        ({"days": "0"}, "days", BAD_DAY),
        ({"days": "1-8"}, "days", BAD_DAY),
        ({"days": "mon-fri"}, "days", BAD_DAY),
        ({"days": "1 3"}, "days", BAD_DAY),
        ({"days": "6-1"}, "days", BACKWARD_DAYS),
        ({"calendar": "ZZ"}, "calendar", UNKNOWN_COUNTRY),
        ({"calendar": "Canada"}, "calendar", UNKNOWN_COUNTRY),
        ({"calendar": "CA-XX"}, "calendar", UNKNOWN_SUBDIVISION),
        ({"calendar": "US-XX"}, "calendar", UNKNOWN_SUBDIVISION_OF_MANY),
        ({"calendar": "SG-01"}, "calendar", NO_SUBDIVISIONS),
        ({"timezone": "Mars/Olympus"}, "timezone", "{value} is not a known time zone, e.g. America/Toronto"),
        ({"timezone": ""}, "timezone", REQUIRED),
    ],
)
def test_each_field_is_refused_by_name(typed: dict[str, str], field: str, msgid: str) -> None:
    error = refusal(**typed)
    assert (error.field, error.message) == (field, msgid)


def test_a_refused_subdivision_names_its_country_and_the_valid_codes() -> None:
    canada = refusal(calendar="CA-PQ")
    assert canada.params == {
        "value": "PQ",
        "country": "CA",
        "codes": "AB, BC, MB, NB, NL, NS, NT, NU, ON, PE, QC, SK, YT",
    }
    united_states = refusal(calendar="US-XX")
    assert united_states.params["country"] == "US"
    assert united_states.params["count"] == 57
    assert len(united_states.params["codes"].split(", ")) == 8
    assert "{value} is not a subdivision of {country}" in str(UNKNOWN_SUBDIVISION_OF_MANY)


def test_every_wrong_field_is_refused_at_once() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_window("8h", "17:00", "", "ZZ", "Mars/Olympus")
    assert [error.field for error in caught.value.errors] == [  # type: ignore[attr-defined]
        "opens",
        "days",
        "calendar",
        "timezone",
    ]


@pytest.mark.parametrize(
    ("days", "text"),
    [
        ({1, 2, 3, 4, 5}, "1-5"),
        ({1, 2, 3, 4, 5, 6, 7}, "1-7"),
        ({1, 3, 5}, "1,3,5"),
        ({6, 7, 1}, "1,6-7"),
        ({2}, "2"),
        ({1, 2, 4, 5, 6}, "1-2,4-6"),
    ],
)
def test_days_are_written_back_compactly_and_read_again(days: set[int], text: str) -> None:
    assert format_days(days) == text
    assert parse_days(text) == frozenset(days)


def test_times_are_written_back_with_the_end_of_the_day_as_24_00() -> None:
    assert format_time(time(8, 5)) == "08:05"
    assert format_time(END_OF_DAY, closing=True) == "24:00"
    assert format_time(END_OF_DAY) == "00:00"


def test_a_window_built_by_hand_is_checked_too() -> None:
    with pytest.raises(ValueError, match="after opens"):
        window(opens=time(17), closes=time(8))
    with pytest.raises(ValueError, match="ISO weekdays"):
        window(days=frozenset())
    with pytest.raises(ValueError, match="ISO weekdays"):
        window(days=frozenset({0, 1}))


# Holidays


@pytest.mark.parametrize(
    ("day", "french", "english"),
    [
        (date(2026, 6, 24), "Fête nationale du Québec", "Saint Jean Baptiste Day"),
        (date(2026, 7, 1), "Fête du Canada", "Canada Day"),
        (date(2026, 5, 18), "Journée nationale des patriotes", "National Patriots' Day"),
    ],
)
def test_quebec_holidays_are_named_in_the_readers_language(day: date, french: str, english: str) -> None:
    assert holiday_name("CA-QC", day, "fr") == french
    assert holiday_name("CA-QC", day, "en") == english
    assert holiday_name("CA-QC", day, "fr_CA.UTF-8") == french


def test_a_swiss_cantons_holidays_and_a_language_the_calendar_lacks(monkeypatch: pytest.MonkeyPatch) -> None:
    # left to itself, holidays would name them in the process's locale's language
    monkeypatch.setenv("LC_ALL", "en_US.UTF-8")
    sending_window._holiday_table.cache_clear()
    fast = date(2026, 9, 10)  # the Jeûne genevois, Geneva's alone
    assert holiday_name("CH-GE", fast, "fr") == "Jeûne genevois"
    assert holiday_name("CH-GE", fast, "en") == "Genevan Fast"
    assert holiday_name("CH-GE", fast, "xx") == "Genfer Bettag"  # the calendar's own language
    assert holiday_name("CH-GE", fast) == "Genfer Bettag"
    assert holiday_name("CH-ZH", fast, "fr") is None
    assert holiday_name("CH-ZH", date(2026, 4, 6), "fr") == "Lundi de Pâques"


def test_no_calendar_no_holiday_and_an_ordinary_day() -> None:
    assert holiday_name("", date(2026, 12, 25), "fr") is None
    assert holiday_name("CA-QC", date(2026, 6, 23), "fr") is None


def test_a_calendar_built_by_hand_must_exist() -> None:
    with pytest.raises(ValueError, match="unknown holiday calendar"):
        holiday_name("CA-XX", date(2026, 1, 1))
    with pytest.raises(ValueError, match="unknown holiday calendar"):
        holiday_name("ZZ", date(2026, 1, 1))


def test_the_planning_view_lists_the_holidays_that_close_a_sending_day() -> None:
    assert upcoming_holidays(QUEBEC, date(2026, 6, 15), 30, "fr") == [
        (date(2026, 6, 24), "Fête nationale du Québec"),
        (date(2026, 7, 1), "Fête du Canada"),
    ]
    assert upcoming_holidays(QUEBEC, date(2026, 6, 15), 9, "en") == []  # 06-24 is the tenth day
    four_days = window(days=frozenset({1, 2, 3, 4}), calendar="CA-QC")
    december = upcoming_holidays(four_days, date(2026, 12, 1), 31, "fr")
    assert [day for day, _ in december] == []  # Christmas 2026 is a Friday
    assert upcoming_holidays(QUEBEC, date(2026, 12, 1), 31, "fr") == [(date(2026, 12, 25), "Jour de Noël")]


def test_holiday_tables_are_built_once_per_calendar_and_year(monkeypatch: pytest.MonkeyPatch) -> None:
    holiday_name("CA-QC", date(2025, 1, 1))  # the calendar's class, looked up once for good
    sending_window._holiday_table.cache_clear()
    built: list[object] = []
    real = holidays.country_holidays

    def counting(*args: object, **kwargs: object) -> holidays.HolidayBase:
        built.append(kwargs.get("years"))
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(holidays, "country_holidays", counting)
    for offset in range(365):
        holiday_name("CA-QC", date(2026, 1, 1) + timedelta(days=offset))
    next_opening(QUEBEC, at(TORONTO, 2026, 12, 31, 18, 0))
    assert built == [2026, 2027]


# The window in time


@pytest.mark.parametrize(
    ("when", "opening"),
    [
        ((2026, 4, 10, 18, 0), (2026, 4, 13, 8, 0)),  # Friday evening -> Monday
        ((2026, 4, 12, 2, 0), (2026, 4, 13, 8, 0)),  # Sunday 02:00 -> Monday
        ((2026, 4, 13, 7, 59), (2026, 4, 13, 8, 0)),  # Monday, just before
        ((2026, 4, 13, 17, 0), (2026, 4, 14, 8, 0)),  # Monday at closing -> Tuesday
        ((2026, 5, 15, 18, 0), (2026, 5, 19, 8, 0)),  # Monday 05-18 is Patriots' Day -> Tuesday
        ((2026, 6, 23, 17, 30), (2026, 6, 25, 8, 0)),  # Wednesday 06-24 is the Fête nationale
        ((2026, 12, 24, 17, 0), (2026, 12, 28, 8, 0)),  # Christmas on Friday, then the weekend
    ],
)
def test_a_closed_window_next_opens_on_the_next_sending_day(
    when: tuple[int, ...], opening: tuple[int, ...]
) -> None:
    now = at(TORONTO, *when)
    assert not is_open(QUEBEC, now)
    opens = next_opening(QUEBEC, now)
    assert opens == at(TORONTO, *opening)
    assert opens.tzinfo is UTC
    assert is_open(QUEBEC, opens)
    assert not is_open(QUEBEC, opens - timedelta(microseconds=1))


def test_opens_is_open_and_closes_is_closed() -> None:
    opening, closing = at(TORONTO, 2026, 4, 14, 8, 0), at(TORONTO, 2026, 4, 14, 17, 0)
    assert is_open(QUEBEC, opening)
    assert next_opening(QUEBEC, opening) is opening
    assert is_open(QUEBEC, closing - timedelta(microseconds=1))
    assert not is_open(QUEBEC, closing)
    assert not is_open(QUEBEC, opening - timedelta(microseconds=1))


def test_an_open_window_answers_with_the_instant_asked_about() -> None:
    now = at(TORONTO, 2026, 4, 14, 12, 0).astimezone(ZoneInfo(TORONTO))  # aware in any zone
    assert next_opening(QUEBEC, now) is now


@pytest.mark.parametrize(
    ("zone", "friday", "monday_utc"),
    [
        (TORONTO, (2026, 3, 6, 18, 0), (2026, 3, 9, 12, 0)),  # spring forward on Sunday 03-08: EDT
        (TORONTO, (2026, 10, 30, 18, 0), (2026, 11, 2, 13, 0)),  # fall back on Sunday 11-01: EST
        (ZURICH, (2026, 3, 27, 18, 0), (2026, 3, 30, 6, 0)),  # spring forward on 03-29: CEST
        (ZURICH, (2026, 10, 23, 18, 0), (2026, 10, 26, 7, 0)),  # fall back on 10-25: CET
    ],
)
def test_the_hours_keep_the_wall_clock_across_a_dst_weekend(
    zone: str, friday: tuple[int, ...], monday_utc: tuple[int, ...]
) -> None:
    hours = window(timezone=zone)
    assert next_opening(hours, at(zone, *friday)) == utc(*monday_utc)


@pytest.mark.parametrize(
    ("zone", "opens", "night_before", "expected"),
    [
        # Toronto's clocks skip 02:00-03:00 on 2026-03-08: 02:30 opens at 03:00 EDT
        (TORONTO, time(2, 30), utc(2026, 3, 8, 5, 0), utc(2026, 3, 8, 7, 0)),
        # Zurich's skip 02:00-03:00 on 2026-03-29: 02:15 opens at 03:00 CEST
        (ZURICH, time(2, 15), utc(2026, 3, 28, 23, 0), utc(2026, 3, 29, 1, 0)),
        # Toronto shows 01:00-02:00 twice on 2026-11-01: 01:30 opens at the first, EDT
        (TORONTO, time(1, 30), utc(2026, 11, 1, 4, 0), utc(2026, 11, 1, 5, 30)),
        # Zurich shows 02:00-03:00 twice on 2026-10-25: 02:30 opens at the first, CEST
        (ZURICH, time(2, 30), utc(2026, 10, 24, 23, 0), utc(2026, 10, 25, 0, 30)),
    ],
)
def test_an_opening_in_a_dst_change_is_the_first_valid_instant(
    zone: str, opens: time, night_before: datetime, expected: datetime
) -> None:
    night = window(opens=opens, closes=time(6), days=EVERY_DAY, timezone=zone)
    assert next_opening(night, night_before) == expected
    assert is_open(night, expected)
    assert not is_open(night, expected - timedelta(seconds=1))


def test_hours_the_clock_skips_are_no_hours_that_day() -> None:
    skipped = window(opens=time(2, 10), closes=time(2, 50), days=EVERY_DAY)
    assert not is_open(skipped, utc(2026, 3, 8, 7, 0))  # 03:00 EDT, just after the gap
    assert next_opening(skipped, utc(2026, 3, 8, 5, 0)) == at(TORONTO, 2026, 3, 9, 2, 10)


def test_hours_the_clock_shows_twice_are_open_the_first_time() -> None:
    night = window(opens=time(1), closes=time(1, 40), days=EVERY_DAY)
    first, second = utc(2026, 11, 1, 5, 15), utc(2026, 11, 1, 6, 15)  # 01:15 EDT, then EST
    assert is_open(night, first)
    assert not is_open(night, second)
    assert next_opening(night, second) == at(TORONTO, 2026, 11, 2, 1, 0)


def test_until_the_end_of_the_day_includes_its_last_instant() -> None:
    late = window(opens=time(20), closes=END_OF_DAY, days=frozenset({6}))
    saturday_end = at(TORONTO, 2026, 4, 12, 0, 0)  # Sunday's midnight
    assert is_open(late, saturday_end - timedelta(microseconds=1))
    assert not is_open(late, saturday_end)
    assert next_opening(late, saturday_end) == at(TORONTO, 2026, 4, 18, 20, 0)


@pytest.mark.parametrize(
    "instant",
    [
        utc(2026, 1, 1, 0, 0),
        utc(2026, 3, 8, 7, 0),
        utc(2026, 6, 24, 12, 0),
        utc(2026, 11, 1, 5, 59, 59, 999999),
        utc(2026, 12, 31, 23, 59, 59, 999999),
        at(ZURICH, 2026, 3, 29, 3, 0),
    ],
)
def test_always_is_always_open(instant: datetime) -> None:
    assert is_open(ALWAYS, instant)
    assert next_opening(ALWAYS, instant) is instant
    assert closed_because(ALWAYS, instant, "fr") is None


def test_a_naive_instant_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        is_open(QUEBEC, datetime(2026, 4, 14, 12, 0))


def test_the_search_for_an_opening_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sending_window, "MAX_SEARCH_DAYS", 3)
    mondays = window(days=frozenset({1}))
    with pytest.raises(ValueError, match="does not open within 3 days"):
        next_opening(mondays, at(TORONTO, 2026, 4, 14, 12, 0))  # a Tuesday


# Why it is closed


def test_closed_on_a_holiday_names_it_in_the_readers_language() -> None:
    holiday = at(TORONTO, 2026, 6, 24, 10, 0)
    assert closed_because(QUEBEC, holiday, "fr") == ClosedReason(
        PUBLIC_HOLIDAY, {"name": "Fête nationale du Québec"}
    )
    reason = closed_because(QUEBEC, holiday, "en")
    assert reason is not None
    assert reason.render(translator("en")) == "a public holiday: Saint Jean Baptiste Day"


def test_closed_on_a_day_the_clinic_does_not_send() -> None:
    sunday = at(TORONTO, 2026, 4, 12, 10, 0)
    reason = closed_because(QUEBEC, sunday, "fr")
    assert reason == ClosedReason(NOT_A_SENDING_DAY, {"weekday": "Sunday"})
    assert isinstance(reason.params["weekday"], LazyText)  # the reader's translator names the day
    assert reason.render(translator("en")) == "Sunday is not one of the clinic's sending days"


def test_closed_outside_the_hours() -> None:
    evening = at(TORONTO, 2026, 4, 14, 19, 0)
    assert closed_because(QUEBEC, evening, "fr") == ClosedReason(
        OUTSIDE_HOURS, {"opens": "08:00", "closes": "17:00"}
    )
    late = window(opens=time(9, 30), closes=END_OF_DAY)
    assert closed_because(late, at(TORONTO, 2026, 4, 14, 9, 0)) == ClosedReason(
        OUTSIDE_HOURS, {"opens": "09:30", "closes": "24:00"}
    )

"""Due times on the clinic's wall clock: days keep the local time across DST (America/Toronto's
March and November changes), hours are elapsed, months are calendar months."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from models.core.enums import DelayUnit
from models.messaging.schedule_time import day_bounds, due_time, from_wall, next_day_same_time, to_wall

TORONTO = "America/Toronto"
TZ = ZoneInfo(TORONTO)


def local(*parts: int) -> datetime:
    """A Toronto wall time as an aware UTC instant."""
    return from_wall(datetime(*parts), TORONTO)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("billed", "expected_offset"),
    [
        ((2026, 3, 2, 10, 0), -4),  # EST; March 11 is after the March 8 change
        (
            (2026, 10, 26, 10, 0),
            -5,
        ),  # EDT; November 4 is after November 1's
    ],
)
def test_nine_days_after_lands_on_the_same_wall_clock_time(
    billed: tuple[int, ...], expected_offset: int
) -> None:
    start = local(*billed)
    due = due_time(start, 9, DelayUnit.DAYS, TORONTO)
    shown = due.astimezone(TZ)
    assert (shown.hour, shown.minute) == (10, 0)
    assert shown.utcoffset().total_seconds() == expected_offset * 3600  # type: ignore[union-attr]
    assert (due - start).total_seconds() == 9 * 86400 + (-3600 if expected_offset == -4 else 3600)


def test_hours_are_elapsed_time_across_a_change() -> None:
    start = local(2026, 3, 7, 10, 0)  # EST
    due = due_time(start, 24, DelayUnit.HOURS, TORONTO)
    assert (due - start).total_seconds() == 24 * 3600
    assert due.astimezone(TZ).hour == 11  # the clocks went forward in between


def test_a_time_in_the_spring_gap_moves_past_it_and_an_autumn_overlap_takes_the_first() -> None:
    gap = due_time(local(2026, 3, 1, 2, 30), 7, DelayUnit.DAYS, TORONTO)  # 2026-03-08 02:30 does not exist
    assert gap.astimezone(TZ).replace(tzinfo=None) == datetime(2026, 3, 8, 3, 30)
    overlap = due_time(local(2026, 10, 25, 1, 30), 7, DelayUnit.DAYS, TORONTO)  # 01:30 happens twice
    assert overlap == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # the first one, still EDT


@pytest.mark.parametrize(
    ("billed", "months", "expected"),
    [
        ((2026, 1, 31, 9, 0), 1, (2026, 2, 28, 9, 0)),
        ((2028, 1, 31, 9, 0), 1, (2028, 2, 29, 9, 0)),  # a leap year
        ((2026, 3, 31, 9, 0), 1, (2026, 4, 30, 9, 0)),
        ((2026, 1, 31, 9, 0), 2, (2026, 3, 31, 9, 0)),  # not Feb 28 + 1 month
        ((2026, 10, 15, 9, 0), 1, (2026, 11, 15, 9, 0)),  # across the November change, same wall time
    ],
)
def test_months_are_calendar_months(billed: tuple[int, ...], months: int, expected: tuple[int, ...]) -> None:
    due = due_time(local(*billed), months, DelayUnit.MONTHS, TORONTO)
    assert to_wall(due, TORONTO) == datetime(*expected)  # type: ignore[arg-type]


def test_a_day_is_the_clinics_calendar_day_with_23_or_25_hours() -> None:
    start, end = day_bounds(date(2026, 3, 8), TORONTO)
    assert (start, (end - start).total_seconds()) == (datetime(2026, 3, 8, 5, 0, tzinfo=UTC), 23 * 3600)
    start, end = day_bounds(date(2026, 11, 1), TORONTO)
    assert (end - start).total_seconds() == 25 * 3600


def test_postponing_keeps_the_wall_clock_time() -> None:
    due = local(2026, 3, 7, 9, 15)
    now = local(2026, 3, 7, 9, 16)
    assert to_wall(next_day_same_time(due, now, TORONTO), TORONTO) == datetime(2026, 3, 8, 9, 15)

"""When a scheduled message is due, on the clinic's wall clock, safe across daylight-saving changes.

Delays count from the moment the invoice was billed:

- *hours* are elapsed time: 24 hours after 10:00 the day before a DST change is 11:00 or 9:00;
- *days* and *months* keep the wall-clock time: 9 days after 10:00 is 10:00, whatever the
  offset did meanwhile; months are calendar months (``relativedelta``: Jan 31 + 1 month is
  Feb 28, or 29 in a leap year);
- a wall time that does not exist that day (the spring-forward gap) becomes the time an hour
  later, on the clock's other side; one that occurs twice (fall back) is the first.

Times are stored in UTC; these functions take and return aware UTC datetimes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from models.core.enums import DelayUnit


def from_wall(wall: datetime, timezone: str) -> datetime:
    """The UTC instant the clinic's clock shows ``wall`` (naive); see the module for gaps and overlaps."""
    # fold=0: in an overlap the first occurrence; in a gap zoneinfo uses the offset before the
    # change, which lands the same distance past the gap (02:30 -> 03:30 in Toronto's spring)
    return wall.replace(tzinfo=ZoneInfo(timezone), fold=0).astimezone(UTC)


def to_wall(instant: datetime, timezone: str) -> datetime:
    """What the clinic's clock shows at ``instant`` (aware), as a naive datetime."""
    return instant.astimezone(ZoneInfo(timezone)).replace(tzinfo=None)


def due_time(start: datetime, delay_value: int, unit: DelayUnit | str, timezone: str) -> datetime:
    """``delay_value`` ``unit`` after ``start`` (UTC), by the clinic's clock."""
    unit = DelayUnit(unit)
    if unit is DelayUnit.HOURS:
        return (start + timedelta(hours=delay_value)).astimezone(UTC)
    step = relativedelta(days=delay_value) if unit is DelayUnit.DAYS else relativedelta(months=delay_value)
    return from_wall(to_wall(start, timezone) + step, timezone)


def local_day(instant: datetime, timezone: str) -> date:
    return to_wall(instant, timezone).date()


def day_bounds(day: date, timezone: str) -> tuple[datetime, datetime]:
    """The UTC start and end of the clinic's calendar ``day`` (23 or 25 hours on DST days)."""
    return (
        from_wall(datetime.combine(day, time.min), timezone),
        from_wall(datetime.combine(day + timedelta(days=1), time.min), timezone),
    )


def next_day_same_time(due_at: datetime, now: datetime, timezone: str) -> datetime:
    """``due_at``'s wall-clock time on the clinic's day after ``now``'s (a postponed reminder)."""
    tomorrow = local_day(now, timezone) + timedelta(days=1)
    return from_wall(datetime.combine(tomorrow, to_wall(due_at, timezone).time()), timezone)

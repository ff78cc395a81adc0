"""The clinic's sending window: the hours, days and public holidays when automatic messages may go.

Emails, reminders, statements and SMS wait for the window, on the clinic's clock: an agent
reconnecting at 02:00 on a Sunday sends its backlog on Monday morning, not then.

- Each sending day (ISO weekday, 1 = Monday to 7 = Sunday) that is not a public holiday of the
  clinic's calendar is open from ``opens`` (included) to ``closes`` (excluded); ``closes`` at
  ``END_OF_DAY`` (``time(0)``, typed 24:00 or 00:00) runs to midnight at the end of that day.
- The calendar is a country code of the ``holidays`` library (``CA``), or a country and one of its
  subdivisions (``CA-QC``, ``CH-GE``, ``US-NY``); empty, no holidays are observed. Holidays
  moved to a weekday when they fall on a weekend ("observed") close that weekday too.
- In the settings, days are typed as numbers and ranges separated by commas: ``1-5`` (Monday to
  Friday), ``1-5,7``, ``1,3,5``; ``format_days`` writes them back that way.
- Daylight-saving changes: each open day is one span of time, from the first instant the clock
  shows ``opens`` to the first it shows ``closes``. A time the clock skips (the spring-forward
  gap) is the first instant after the gap; a time it shows twice (fall back) is the first.
  A day whose hours fall entirely in the gap has none.

Instants are aware datetimes, returned in UTC. Holiday tables are built once per calendar, year
and language, and kept.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING, cast
from zoneinfo import ZoneInfo

from locales import L_, N_, LazyText, Translator
from models.core.errors import ValidationError, check_fields
from models.core.validation import REQUIRED, validate_timezone
from models.people.clinic import Clinic, get_clinic

if TYPE_CHECKING:
    import holidays

END_OF_DAY = time(0)
"""As ``closes``: midnight at the end of the day."""

# Long enough for a year of closed days and holidays; a window never opening is a bug, not a wait.
MAX_SEARCH_DAYS = 400

BAD_TIME = N_("{value} is not a time: write it as HH:MM, e.g. {example}")
OPENS_AT_END = N_("the sending hours cannot start at 24:00, the end of the day; the latest start is 23:59")
CLOSES_FIRST = N_(
    "the sending hours must end after they start ({opens}); for the end of the day, enter 24:00"
)
NO_DAY = N_("choose at least one day, from 1 (Monday) to 7 (Sunday), e.g. 1-5")
BAD_DAY = N_(
    "{value} is not a day: expected days from 1 (Monday) to 7 (Sunday), alone or as ranges, "
    "separated by commas, e.g. 1-5 or 1,3,5"
)
BACKWARD_DAYS = N_("{value} runs backwards: write the lower day first, e.g. 1-5, or in two parts, e.g. 1,6-7")
UNKNOWN_COUNTRY = N_(
    "{value} is not a country whose public holidays are known: expected a two-letter country code, "
    "e.g. CA, a subdivision after a dash, e.g. CA-QC, or nothing for no holidays"
)
UNKNOWN_SUBDIVISION = N_("{value} is not a subdivision of {country}: expected one of {codes}")
UNKNOWN_SUBDIVISION_OF_MANY = N_(
    "{value} is not a subdivision of {country}: expected one of its {count} codes, e.g. {codes}; "
    "holidays.readthedocs.io lists them all"
)
NO_SUBDIVISIONS = N_("{country} has no subdivisions with their own public holidays: enter {country} alone")

OUTSIDE_HOURS = N_("outside the clinic's sending hours, {opens} to {closes}")
NOT_A_SENDING_DAY = N_("{weekday} is not one of the clinic's sending days")
PUBLIC_HOLIDAY = N_("a public holiday: {name}")

WEEKDAYS: tuple[LazyText, ...] = (
    L_("Monday"),
    L_("Tuesday"),
    L_("Wednesday"),
    L_("Thursday"),
    L_("Friday"),
    L_("Saturday"),
    L_("Sunday"),
)

# Listed whole in a refusal up to this many; beyond, a few and where to find the rest.
_LISTED_SUBDIVISIONS = 30
_TIME = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])")
_DAYS = re.compile(r"([1-7])(?:\s*-\s*([1-7]))?")
_COUNTRY = re.compile(r"[A-Za-z]{2}")


@dataclass(frozen=True)
class SendingWindow:
    """When automatic messages may go: ``[opens, closes)`` on ``days`` that are not holidays of
    ``calendar``, by the clock of ``timezone`` (see the module for the details)."""

    opens: time
    closes: time
    days: frozenset[int]
    calendar: str
    timezone: str

    def __post_init__(self) -> None:
        if not self.days or not self.days <= frozenset(range(1, 8)):
            raise ValueError(f"days must be ISO weekdays 1 to 7, at least one: {sorted(self.days)}")
        if self.closes != END_OF_DAY and self.closes <= self.opens:
            raise ValueError(f"closes ({self.closes}) must be after opens ({self.opens}), or END_OF_DAY")


ALWAYS = SendingWindow(time(0), END_OF_DAY, frozenset(range(1, 8)), "", "UTC")
"""Every day, all day, no holidays."""


@dataclass(frozen=True)
class ClosedReason:
    """Why the window is closed: a msgid and its placeholders, translated where a person reads it."""

    msgid: str
    params: Mapping[str, str] = field(default_factory=dict)

    def render(self, tr: Translator) -> str:
        return tr.format(self.msgid, **self.params)


# Reading the settings


def parse_window(opens: str, closes: str, days: str, calendar: str, timezone: str) -> SendingWindow:
    """The window as an admin typed it in Settings; ``ValidationError`` (``FieldErrors`` for
    several) names each refused field: opens, closes, days, calendar, timezone."""
    values = check_fields(
        {
            "opens": lambda: _parse_time(opens, "opens"),
            "closes": lambda: _parse_time(closes, "closes"),
            "days": lambda: parse_days(days),
            "calendar": lambda: parse_calendar(calendar),
            "timezone": lambda: validate_timezone(timezone),
        }
    )
    start, end = cast(time, values["opens"]), cast(time, values["closes"])
    if end != END_OF_DAY and end <= start:
        raise ValidationError("closes", CLOSES_FIRST, opens=format_time(start))
    return SendingWindow(
        start,
        end,
        cast(frozenset[int], values["days"]),
        cast(str, values["calendar"]),
        cast(str, values["timezone"]),
    )


def _parse_time(text: str, field: str) -> time:
    value = text.strip()
    if not value:
        raise ValidationError(field, REQUIRED)
    if value == "24:00":
        if field == "opens":
            raise ValidationError(field, OPENS_AT_END)
        return END_OF_DAY
    match = _TIME.fullmatch(value)
    if match is None:
        raise ValidationError(field, BAD_TIME, value=value, example="08:00" if field == "opens" else "17:30")
    return time(int(match[1]), int(match[2]))


def format_time(value: time, *, closing: bool = False) -> str:
    """``value`` as HH:MM; as ``closes`` (``closing``), ``END_OF_DAY`` is 24:00."""
    return "24:00" if closing and value == END_OF_DAY else value.strftime("%H:%M")


def parse_days(text: str) -> frozenset[int]:
    """ISO weekdays from ``"1-5"``, ``"1,3,5"`` or ``"1-5, 7"`` (spaces allowed, order free)."""
    chosen: set[int] = set()
    for part in text.split(","):
        item = part.strip()
        if not item:
            continue
        match = _DAYS.fullmatch(item)
        if match is None:
            raise ValidationError("days", BAD_DAY, value=item)
        first, last = int(match[1]), int(match[2] or match[1])
        if last < first:
            raise ValidationError("days", BACKWARD_DAYS, value=item)
        chosen.update(range(first, last + 1))
    if not chosen:
        raise ValidationError("days", NO_DAY)
    return frozenset(chosen)


def format_days(days: Iterable[int]) -> str:
    """The compact text ``parse_days`` reads: runs of consecutive days as ranges (``1-5,7``)."""
    parts: list[str] = []
    run: list[int] = []
    for day in sorted(set(days)):
        if run and day != run[-1] + 1:
            parts.append(_run_text(run))
            run = []
        run.append(day)
    if run:
        parts.append(_run_text(run))
    return ",".join(parts)


def _run_text(run: list[int]) -> str:
    return str(run[0]) if len(run) == 1 else f"{run[0]}-{run[-1]}"


def parse_calendar(text: str) -> str:
    """``""`` (no holidays), a country (``"ca"`` -> ``"CA"``) or a country and subdivision
    (``"ca-qc"`` or ``"CA-Québec"`` -> ``"CA-QC"``), as the ``holidays`` library knows them."""
    value = text.strip()
    if not value:
        return ""
    country_text, _, subdivision = (part.strip() for part in value.partition("-"))
    kind = _calendar_kind(country_text.upper()) if _COUNTRY.fullmatch(country_text) else None
    if kind is None:
        raise ValidationError("calendar", UNKNOWN_COUNTRY, value=value)
    country = str(kind.country)
    if not subdivision:
        return country
    codes: tuple[str, ...] = tuple(kind.subdivisions)
    if not codes:
        raise ValidationError("calendar", NO_SUBDIVISIONS, country=country)
    known = {code.casefold(): code for code in codes}
    known.update({alias.casefold(): code for alias, code in kind.subdivisions_aliases.items()})
    code = known.get(subdivision.casefold())
    if code is not None:
        return f"{country}-{code}"
    if len(codes) <= _LISTED_SUBDIVISIONS:
        raise ValidationError(
            "calendar", UNKNOWN_SUBDIVISION, value=subdivision, country=country, codes=", ".join(codes)
        )
    raise ValidationError(
        "calendar",
        UNKNOWN_SUBDIVISION_OF_MANY,
        value=subdivision,
        country=country,
        count=len(codes),
        codes=", ".join(codes[:8]),
    )


# Holidays


@functools.cache
def _calendar_kind(country: str) -> type[holidays.HolidayBase] | None:
    """The ``holidays`` class of ``country`` (an alias such as UK gives GB's); ``None`` if unknown."""
    import holidays  # on first use: a tenth of a second the TUI's start need not pay

    try:
        return type(holidays.country_holidays(country))
    except NotImplementedError:
        return None


@functools.cache
def _holiday_language(country: str, language: str | None) -> str | None:
    """The language ``country``'s holidays are named in for a reader of ``language`` (``"fr"``,
    ``"en"``, ``"fr_CA"``): that one, a regional variant (``en_CA``, else ``en_US``), else the
    calendar's own. Always one: left to ``holidays``, it would guess from the process's locale."""
    kind = _calendar_kind(country)
    if kind is None:
        return None
    supported = {code.casefold(): code for code in kind.supported_languages}
    wanted = (language or "").strip().replace("-", "_").split(".")[0]
    base = wanted.split("_")[0]
    if base:
        for candidate in (wanted, f"{base}_{country}", base):
            if candidate.casefold() in supported:
                return supported[candidate.casefold()]
        prefix = f"{base}_".casefold()
        for key, code in sorted(supported.items()):
            if key.startswith(prefix):
                return code
    return kind.default_language


@functools.lru_cache(maxsize=128)
def _holiday_table(calendar: str, year: int, language: str | None) -> Mapping[date, str]:
    """``calendar``'s holidays in ``year``, named in ``language``: one ``holidays`` object each."""
    country, _, subdivision = calendar.partition("-")
    if _calendar_kind(country) is None:
        raise ValueError(f"unknown holiday calendar {calendar!r}")
    import holidays

    try:
        table = holidays.country_holidays(country, subdiv=subdivision or None, years=year, language=language)
    except NotImplementedError as exc:
        raise ValueError(f"unknown holiday calendar {calendar!r}") from exc
    return MappingProxyType(dict(table))


def holiday_name(calendar: str, day: date, language: str | None = None) -> str | None:
    """The name of ``day``'s public holiday in ``calendar`` (``""``: none), in ``language`` where
    the calendar has it, else in the calendar's own; ``None`` on an ordinary day."""
    if not calendar:
        return None
    named_in = _holiday_language(calendar.partition("-")[0], language)
    return _holiday_table(calendar, day.year, named_in).get(day)


def upcoming_holidays(
    window: SendingWindow, start: date, days: int, language: str | None = None
) -> list[tuple[date, str]]:
    """The holidays that close one of the window's sending days among the ``days`` days from
    ``start``, with their names: what a planning view shows (holidays on a day the clinic does
    not send anyway are left out)."""
    found: list[tuple[date, str]] = []
    for offset in range(max(days, 0)):
        day = start + timedelta(days=offset)
        if day.isoweekday() not in window.days:
            continue
        name = holiday_name(window.calendar, day, language)
        if name is not None:
            found.append((day, name))
    return found


# The window in time


def is_open(window: SendingWindow, at: datetime) -> bool:
    """Whether messages may go at ``at`` (aware)."""
    zone = ZoneInfo(window.timezone)
    day = _aware(at).astimezone(zone).date()
    if not _sends_on(window, day):
        return False
    start, end = _hours(window, day, zone)
    return start <= at < end


def next_opening(window: SendingWindow, at: datetime) -> datetime:
    """``at`` itself if the window is open then, else the UTC instant it next opens."""
    if is_open(window, at):
        return at
    zone = ZoneInfo(window.timezone)
    today = at.astimezone(zone).date()
    for offset in range(MAX_SEARCH_DAYS):
        day = today + timedelta(days=offset)
        if not _sends_on(window, day):
            continue
        start, end = _hours(window, day, zone)
        if at < start < end:
            return start
    raise ValueError(f"{window} does not open within {MAX_SEARCH_DAYS} days of {at.isoformat()}")


def closed_because(window: SendingWindow, at: datetime, language: str | None = None) -> ClosedReason | None:
    """Why the window is closed at ``at``, ``None`` if it is open: not a sending day, a public
    holiday (named in ``language`` where the calendar has it), or outside the sending hours."""
    if is_open(window, at):
        return None
    day = at.astimezone(ZoneInfo(window.timezone)).date()
    if day.isoweekday() not in window.days:
        return ClosedReason(NOT_A_SENDING_DAY, {"weekday": WEEKDAYS[day.isoweekday() - 1]})
    name = holiday_name(window.calendar, day, language)
    if name is not None:
        return ClosedReason(PUBLIC_HOLIDAY, {"name": name})
    return ClosedReason(
        OUTSIDE_HOURS,
        {"opens": format_time(window.opens), "closes": format_time(window.closes, closing=True)},
    )


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"an aware datetime is needed, not {at.isoformat()}")
    return at


def _sends_on(window: SendingWindow, day: date) -> bool:
    return day.isoweekday() in window.days and holiday_name(window.calendar, day) is None


def _hours(window: SendingWindow, day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """``day``'s sending hours as UTC instants; empty (start == end) when the clock skips them."""
    start = _instant(day, window.opens, zone)
    if window.closes == END_OF_DAY:
        return start, _instant(day + timedelta(days=1), time(0), zone)
    return start, _instant(day, window.closes, zone)


def _instant(day: date, wall: time, zone: ZoneInfo) -> datetime:
    """The first UTC instant the clock of ``zone`` shows ``wall`` on ``day``, or, if it skips that
    time, the first instant after."""
    shown = datetime.combine(day, wall)
    first = shown.replace(tzinfo=zone, fold=0).astimezone(UTC)  # fold=0: of two, the first
    if first.astimezone(zone).replace(tzinfo=None) == shown:
        return first
    # In a gap, fold=1 reads ``shown`` with the offset after the change (an instant before it) and
    # fold=0 with the offset before (one after it): the change lies between, to the second.
    before = int(shown.replace(tzinfo=zone, fold=1).timestamp())
    after = int(first.timestamp())
    while after - before > 1:
        middle = (before + after) // 2
        if datetime.fromtimestamp(middle, zone).replace(tzinfo=None) >= shown:
            after = middle
        else:
            before = middle
    return datetime.fromtimestamp(after, UTC)


# The clinic's window


BUSINESS_HOURS = ("08:00", "18:00", "1-5")  # what `db init` and migration 24 give a clinic


def window_of(clinic: Clinic) -> SendingWindow:
    """The window ``clinic``'s Settings say; one saved wrong (by hand in the database) is ignored
    rather than stop every automatic message: always open."""
    return _window(
        str(clinic.send_opens),
        str(clinic.send_closes),
        str(clinic.send_days),
        str(clinic.holiday_calendar),
        str(clinic.timezone),
    )


@functools.lru_cache(maxsize=8)
def _window(opens: str, closes: str, days: str, calendar: str, timezone: str) -> SendingWindow:
    try:
        return parse_window(opens, closes, days, calendar, timezone)
    except ValidationError:
        return ALWAYS


def window_start(now: datetime, clinic: Clinic | None = None) -> datetime:
    """When a message queued at ``now`` to wait for the window may go: ``now`` while it is open."""
    return next_opening(window_of(clinic or get_clinic()), now)


def default_calendar(country: str, region: str) -> str:
    """The holiday calendar a new clinic starts with: its country and region where the ``holidays``
    library knows them, its country alone, else none."""
    for candidate in (f"{country}-{region}" if region else "", country):
        if not candidate:
            continue
        try:
            return parse_calendar(candidate)
        except ValidationError:
            continue
    return ""

"""Which index finds a History page: the most selective filter's, or the sort order's.

SQLite cannot tell how many invoices a typed prefix matches, so left alone it fetched and sorted
all 55,000 matches of "nom1" to show 50 (0.2 s), and would walk 100,000 invoices in order to find 5.
``choose_lookup`` decides from counts read through the filters' own indexes
(``models.views.history.plan_page``), with the costs per row measured at 100,000 invoices:

- *seek*: the most selective filter's index finds every match, which is then sorted: its matches
  times ``SEEK_US[sort]``;
- *walk*: the sort order's index is read in order and every filter checked on each row until the
  page is full: with the filters' fractions multiplied (taken as independent), ``wanted / fraction``
  rows times ``WALK_US[sort]``, at most every invoice. A filter that is a range of the sort key itself
  (dates when sorting by date) is walked through, not checked: the walk reads its matches only.
  A filter whose matches sit together in the sort order (dates when sorting by number: numbers grow
  with time) is reached after ``skips`` rows, then read through.

Counts stop at a cap, so a capped count says "at least": a seek of it may read every invoice. And a
seek that costs a fraction (``HEDGE``) of walking every invoice is taken even when a walk looks
cheaper: the seek's cost is counted, the walk's is the guess.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class HistorySort(StrEnum):
    NEWEST = "newest"  # creation order, newest first: the default
    NUMBER = "number"
    DATE = "date"
    PATIENT = "patient"
    TOTAL = "total"
    BALANCE = "balance"
    STATUS = "status"


class Lookup(StrEnum):
    """A filter whose index can find the History's rows."""

    TEXT = "text"  # a number's start or end, a patient name's start
    STATUS = "status"
    DATES = "dates"


# Microseconds per row read, walking each sort order's index (the invoice row read to check the
# filters) and seeking then sorting by it (the ids come from covering indexes: cheap when the sort
# key is in them, the id or the patient's name). Only the ratios matter.
WALK_US: dict[HistorySort, float] = {
    HistorySort.NEWEST: 0.2,
    HistorySort.NUMBER: 0.6,
    HistorySort.DATE: 0.3,
    HistorySort.PATIENT: 4.0,  # patient by patient, then their invoices
    HistorySort.TOTAL: 0.8,
    HistorySort.BALANCE: 0.7,
    HistorySort.STATUS: 0.5,
}
SEEK_US: dict[HistorySort, float] = {
    HistorySort.NEWEST: 0.3,
    HistorySort.NUMBER: 2.0,
    HistorySort.DATE: 2.5,
    HistorySort.PATIENT: 0.4,
    HistorySort.TOTAL: 1.3,
    HistorySort.BALANCE: 3.0,
    HistorySort.STATUS: 3.0,
}
# A seek costing less than this share of walking every invoice is taken even when a walk looks
# cheaper: the seek's cost is counted, the walk's is a guess that filters found together in life
# (a number range and a date range) can make wrong by the whole table.
HEDGE = 0.1


@dataclass(frozen=True)
class Estimate:
    """What ``plan_page`` counted for a page's filters."""

    matches: Mapping[Lookup, int]  # each active filter's matches alone, counted up to ``cap``
    total: int  # every invoice
    cap: int
    aligned: Lookup | None = None  # the filter that is a range of the sort key
    skips: Mapping[Lookup, int] = field(default_factory=dict)  # rows a walk reads before its matches

    def seek_rows(self, lookup: Lookup) -> int:
        count = self.matches[lookup]
        return self.total if count >= self.cap else count

    def walk_rows(self, wanted: int) -> float:
        """Rows read walking the sort order until ``wanted`` rows matched (or every row was read)."""
        fraction = 1.0
        for lookup, count in self.matches.items():
            if lookup is not self.aligned and lookup not in self.skips:
                fraction *= min(1.0, count / self.total)
        ceiling = self.total
        if self.aligned is not None and self.matches[self.aligned] < self.cap:
            ceiling = self.matches[self.aligned]
        if fraction <= 0:
            return float(ceiling)
        return min(float(ceiling), max(self.skips.values(), default=0) + wanted / fraction)


def choose_lookup(estimate: Estimate, wanted: int, sort: HistorySort) -> Lookup | None:
    """The filter whose index should find the first ``wanted`` rows, or ``None`` to walk ``sort``."""
    if not estimate.matches or estimate.total <= 0:
        return None
    best = min(estimate.matches, key=estimate.seek_rows)
    seek_us = estimate.seek_rows(best) * SEEK_US[sort]
    walk_us = estimate.walk_rows(wanted) * WALK_US[sort]
    every_row_us = estimate.total * WALK_US[sort]
    return best if seek_us < max(walk_us, HEDGE * every_row_us) else None

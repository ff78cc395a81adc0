"""The History's cost model: seek a filter's matches, or walk the sort order (no database needed)."""

from __future__ import annotations

from models.views.history_plan import Estimate, HistorySort, Lookup, choose_lookup

TOTAL = 100_000
CAP = 20_000


def choose(
    matches: dict[Lookup, int],
    sort: HistorySort = HistorySort.NEWEST,
    *,
    aligned: Lookup | None = None,
    skips: dict[Lookup, int] | None = None,
    wanted: int = 50,
) -> Lookup | None:
    return choose_lookup(Estimate(matches, TOTAL, CAP, aligned, skips or {}), wanted, sort)


def test_no_filter_walks() -> None:
    assert choose({}) is None
    assert choose_lookup(Estimate({Lookup.TEXT: 0}, 0, CAP), 50, HistorySort.NEWEST) is None


def test_a_common_match_walks_and_a_rare_one_seeks() -> None:
    by_number = HistorySort.NUMBER
    assert choose({Lookup.TEXT: 55_000}, by_number) is None  # every other row matches: 100 rows walked
    assert choose({Lookup.TEXT: 5_500}, by_number) is None  # 900 rows walked beat sorting 5,500
    assert choose({Lookup.TEXT: 550}, by_number) is Lookup.TEXT
    assert choose({Lookup.TEXT: 0}, by_number) is Lookup.TEXT


def test_a_seek_cheaper_than_a_tenth_of_reading_everything_is_taken() -> None:
    # Newest first, ids come sorted from the covering indexes: 5,500 of them cost about 2 ms.
    assert choose({Lookup.TEXT: 5_500}) is Lookup.TEXT
    assert choose({Lookup.TEXT: 55_000}) is None


def test_a_capped_count_may_be_every_invoice() -> None:
    # 20,000 or more, clustered where the walk may come last: seeking could mean sorting 100,000.
    assert choose({Lookup.TEXT: CAP}, skips={Lookup.TEXT: TOTAL - CAP}) is None
    assert choose({Lookup.TEXT: CAP - 1}, skips={Lookup.TEXT: TOTAL - CAP + 1}) is Lookup.TEXT


def test_the_most_selective_filter_is_sought() -> None:
    matches = {Lookup.TEXT: 90_000, Lookup.STATUS: 12, Lookup.DATES: 3_000}
    assert choose(matches) is Lookup.STATUS


def test_independent_filters_multiply_and_an_unlikely_page_is_sought() -> None:
    # Each alone matches 3 %: together 0.09 %, so a walk would read 55,000 rows for 50.
    assert choose({Lookup.TEXT: 3_000, Lookup.DATES: 3_000}, HistorySort.TOTAL) is Lookup.TEXT
    assert choose({Lookup.TEXT: 60_000, Lookup.STATUS: 25_000}, HistorySort.TOTAL) is None


def test_a_filter_aligned_with_the_sort_is_read_through() -> None:
    # Sorted by date, a month is one stretch of the date index: walking it reads the month only.
    assert choose({Lookup.DATES: 3_000}, HistorySort.DATE, aligned=Lookup.DATES) is None
    # Not aligned, the same month would be sought rather than risk reading what lies before it.
    assert choose({Lookup.DATES: 3_000}, HistorySort.DATE, skips={Lookup.DATES: 97_000}) is Lookup.DATES


def test_clustered_matches_far_from_the_start_are_sought() -> None:
    by_number = HistorySort.NUMBER
    assert choose({Lookup.DATES: 3_100}, by_number, skips={Lookup.DATES: 0}) is None  # the newest month
    assert choose({Lookup.DATES: 3_100}, by_number, skips={Lookup.DATES: CAP}) is Lookup.DATES


def test_a_deep_page_costs_a_walk_more() -> None:
    assert choose({Lookup.TEXT: 5_500}, HistorySort.NUMBER, wanted=50) is None
    assert choose({Lookup.TEXT: 5_500}, HistorySort.NUMBER, wanted=2_000) is Lookup.TEXT


def test_sorting_by_patient_prefers_seeking() -> None:
    # Walking by patient reads each patient then their invoices (4 µs a row); its ids sort cheaply.
    assert choose({Lookup.TEXT: 5_500}, HistorySort.PATIENT) is Lookup.TEXT

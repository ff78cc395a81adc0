"""History at clinic scale: 100,000 invoices, one page read through an index, never a full sort."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import peewee
import pytest

from models.core.enums import InvoiceStatus
from models.database.db import close_database, open_database
from models.people.clinic import BillingCompany, Clinic
from models.setup.schema import ensure_schema
from models.views.history import (
    PAGE_SIZE,
    HistoryFilter,
    HistorySort,
    Lookup,
    PagePlan,
    TextMatch,
    history_page,
    history_query,
    plan_page,
)
from testbed.clinic_scale import fill_history

from .conftest import Clinic_


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with ``fill_history``'s 100,000 invoices, made once per worker (a second): the
    tests only read, each from a copy of it."""
    path = tmp_path_factory.mktemp("big") / "facteur.db"
    database = open_database(f"sqlite:///{path}")
    try:
        ensure_schema(database)
        clinic = Clinic.create(name="Clinique du Parc", country="CA", region="QC", timezone="America/Toronto")
        company = BillingCompany.create(
            clinic=clinic, name="Clinique du Parc inc.", currency="CAD", number_prefix="CDP"
        )
        fill_history(database, company.id)
    finally:
        close_database()
    return path


@pytest.fixture
def big(big_file: Path, tmp_path: Path) -> Iterator[peewee.Database]:
    """The clinic with ``fill_history``'s 100,000 invoices."""
    copy = tmp_path / "facteur.db"
    shutil.copyfile(big_file, copy)
    copy.chmod(0o600)
    database = open_database(f"sqlite:///{copy}")
    yield database
    close_database()


def plan(database: peewee.Database, query: peewee.ModelSelect) -> str:
    sql, params = query.sql()
    rows = database.execute_sql("EXPLAIN QUERY PLAN " + sql, params).fetchall()
    return " | ".join(row[3] for row in rows)


def page_plan(
    database: peewee.Database,
    filters: HistoryFilter,
    sort: HistorySort = HistorySort.NEWEST,
    descending: bool = False,
) -> tuple[Lookup | None, str]:
    """How ``history_page`` reads the first page: the filter whose index finds it, and SQLite's plan."""
    chosen = plan_page(filters, sort, descending, PAGE_SIZE)
    return chosen.lookup, plan(database, history_query(filters, sort, descending, plan=chosen))


@pytest.mark.parametrize("sort", list(HistorySort))
@pytest.mark.parametrize("descending", [False, True])
def test_each_sort_reads_one_page_in_index_order(
    big: peewee.Database, sort: HistorySort, descending: bool
) -> None:
    steps = plan(big, history_query(HistoryFilter(), sort, descending))
    if sort is HistorySort.PATIENT:
        pytest.skip("by patient: SQLite sorts the joined rows (measured 25 ms at 100,000)")
    assert "TEMP B-TREE" not in steps, steps
    assert steps.startswith("SCAN t1") and (sort is HistorySort.NEWEST or "USING INDEX" in steps), steps


def test_the_default_order_is_the_primary_key_and_a_page_is_a_page(big: peewee.Database) -> None:
    assert page_plan(big, HistoryFilter()) == (
        None,
        "SCAN t1 | SEARCH t2 USING INTEGER PRIMARY KEY (rowid=?)",
    )
    first = history_page()
    assert len(first) == PAGE_SIZE
    assert [row.id for row in first] == sorted((row.id for row in first), reverse=True)
    second = history_page(offset=PAGE_SIZE)
    assert second[0].id == first[-1].id - 1


def test_a_common_status_walks_the_order_and_a_rare_one_seeks_its_index(big: peewee.Database) -> None:
    lookup, steps = page_plan(big, HistoryFilter(status=InvoiceStatus.PAID))  # a quarter of them
    assert lookup is None and steps.startswith("SCAN t1 |") and "TEMP B-TREE" not in steps, steps
    lookup, steps = page_plan(big, HistoryFilter(status=InvoiceStatus.DRAFT), HistorySort.TOTAL, True)
    assert lookup is Lookup.STATUS, steps
    assert "SEARCH t1 USING INDEX invoice_status (status=?)" in steps, steps
    assert "SCAN" not in steps, steps
    lookup, steps = page_plan(big, HistoryFilter(status=InvoiceStatus.PAID), HistorySort.STATUS)
    assert lookup is None and "SEARCH t1 USING INDEX invoice_status (status=?)" in steps, steps
    assert "TEMP B-TREE" not in steps  # the filter is a stretch of the sort order: read through it


def test_text_seeks_a_narrow_name_and_walks_a_common_one(big: peewee.Database) -> None:
    lookup, steps = page_plan(big, HistoryFilter(text="nom123"))  # 111 patients, about 550 invoices
    assert lookup is Lookup.TEXT, steps
    assert "SEARCH t1 USING COVERING INDEX invoice_patient_id (patient_id=?)" in steps, steps
    assert "patient_search_name (search_name>? AND search_name<?)" in steps, steps
    assert "invoice_number" not in steps  # no number starts with NOM123: that part is left out
    assert "SCAN" not in steps, steps  # never the whole invoice table
    lookup, steps = page_plan(big, HistoryFilter(text="nom1"))  # 11,111 patients: every other invoice
    assert lookup is None and steps.startswith("SCAN t1 |") and "TEMP B-TREE" not in steps, steps
    lookup, steps = page_plan(big, HistoryFilter(text="CDP-2025-000012"), HistorySort.TOTAL)
    assert lookup is Lookup.TEXT and "invoice_number (number>? AND number<?)" in steps, steps
    assert "patient_search_name" not in steps  # no name starts with cdp: that part is left out
    rows = history_page(HistoryFilter(text="CDP-2025-000012"))
    assert {row.number for row in rows} == {f"CDP-2025-{n:07d}" for n in range(120, 130)}
    named = history_page(HistoryFilter(text="Nom1234 pré"))  # accents and case folded
    assert named and all(row.patient == "Prenom Nom1234" for row in named)


def test_a_name_sorted_by_patient_and_dates_sorted_by_date_read_their_stretch(big: peewee.Database) -> None:
    lookup, steps = page_plan(big, HistoryFilter(text="nom1"), HistorySort.PATIENT)
    assert lookup is None, steps
    assert "SEARCH t2 USING INDEX patient_search_name (search_name>? AND search_name<?)" in steps, steps
    month = HistoryFilter(since=date(2024, 1, 1), until=date(2024, 1, 31))
    lookup, steps = page_plan(big, month, HistorySort.DATE, True)
    assert lookup is None and "TEMP B-TREE" not in steps, steps
    assert "SEARCH t1 USING INDEX invoice_issue_date (issue_date>? AND issue_date<?)" in steps, steps


def test_dates_far_from_where_the_walk_starts_are_sought(big: peewee.Database) -> None:
    """Newest first, the first month of 2023 comes after 97,000 invoices: its index finds it."""
    lookup, steps = page_plan(big, HistoryFilter(until=date(2023, 1, 31)))
    assert lookup is Lookup.DATES, steps
    assert "SEARCH t1 USING COVERING INDEX invoice_issue_date (issue_date<?)" in steps, steps
    lookup, _ = page_plan(big, HistoryFilter(since=date(2024, 1, 1)))  # the newest two thirds
    assert lookup is None
    rows = history_page(HistoryFilter(until=date(2023, 1, 31)))
    assert [row.id for row in rows] == list(range(3099, 3049, -1))


@pytest.fixture
def mid(tui_db: peewee.Database, clinic: Clinic_) -> peewee.Database:
    fill_history(tui_db, clinic.company.id, invoices=3000, patients=600)
    return tui_db


FILTERS = [
    HistoryFilter(text="nom1"),
    HistoryFilter(text="nom12 pre"),
    HistoryFilter(text="cdp-2025-00001"),
    HistoryFilter(text="17"),  # the end of a number: no sequence row in this data, so nothing
    HistoryFilter(text="zzz"),
    HistoryFilter(status=InvoiceStatus.VOID, since=date(2023, 1, 10)),
    HistoryFilter(text="nom2", status=InvoiceStatus.PAID, until=date(2023, 1, 20)),
    HistoryFilter(since=date(2023, 1, 5), until=date(2023, 1, 9)),
]


@pytest.mark.parametrize("sort", list(HistorySort))
def test_every_way_of_reading_gives_the_same_rows(mid: peewee.Database, sort: HistorySort) -> None:
    """Walking the order, seeking any filter's index, or what ``plan_page`` picks: the same page."""
    for filters in FILTERS:
        for descending in (False, True):
            for offset in (0, 60):
                chosen = plan_page(filters, sort, descending, offset + PAGE_SIZE)
                ways = [chosen, PagePlan(None, chosen.text), PagePlan(None, TextMatch.of(filters.text))]
                ways += [PagePlan(lookup, chosen.text) for lookup in lookups(filters)]
                pages = {
                    way: [
                        row[0]
                        for row in history_query(filters, sort, descending, plan=way, offset=offset).tuples()
                    ]
                    for way in ways
                }
                expected = pages[ways[-1]]
                assert all(page == expected for page in pages.values()), (filters, descending, offset, pages)
                assert expected == [row.id for row in history_page(filters, sort, descending, offset)]
    assert history_page(HistoryFilter(text="nom1"), sort)  # not every page is empty


def lookups(filters: HistoryFilter) -> list[Lookup]:
    found = [Lookup.TEXT] if filters.text.strip() else []
    found += [Lookup.STATUS] if filters.status else []
    return found + ([Lookup.DATES] if filters.since or filters.until else [])

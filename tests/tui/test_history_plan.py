"""History at clinic scale: 100,000 invoices, one page read through an index, never a full sort."""

from __future__ import annotations

import peewee
import pytest

from models.history import PAGE_SIZE, HistoryFilter, HistorySort, history_page, history_query

from .conftest import Clinic_

INVOICES = 100_000
PATIENTS = 20_000


def fill_history(
    database: peewee.Database, company_id: int, invoices: int = INVOICES, patients: int = PATIENTS
) -> None:
    """``patients`` patients (NomN Prenom) and ``invoices`` invoices, generated inside SQLite (a second
    or so for 100,000): invoice i is CDP-2025-000000i, issued 2023-01-01 + i // 100 days."""
    database.execute_sql(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
        "INSERT INTO patient (last_name, first_name, search_name, receive_reminders, "
        "consent_email_attachments, created_at, updated_at) "
        "SELECT 'Nom' || i, 'Prenom', 'nom' || i || ' prenom', 1, 0, '2026-01-01', '2026-01-01' FROM n",
        (patients,),
    )
    database.execute_sql(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
        "INSERT INTO invoice (number, billing_company_id, patient_id, third_party, billed_to_name, status, "
        "currency, issue_date, subtotal_cents, tax_cents, total_cents, paid_cents, version, created_at, "
        "updated_at) "
        "SELECT 'CDP-2025-' || substr('0000000' || i, -7), ?, 1 + (i * 7919) % ?, 0, 'X', "
        "CASE i % 4 WHEN 0 THEN 'paid' WHEN 1 THEN 'billed' WHEN 2 THEN 'void' ELSE 'billed' END, 'CAD', "
        "date('2023-01-01', '+' || (i / 100) || ' days'), i % 50000, 0, i % 50000, 0, 1, "
        "'2026-01-01', '2026-01-01' FROM n",
        (invoices, company_id, patients),
    )
    database.execute_sql("ANALYZE")


@pytest.fixture
def big(tui_db: peewee.Database, clinic: Clinic_) -> peewee.Database:
    """The clinic with ``fill_history``'s 100,000 invoices."""
    fill_history(tui_db, clinic.company.id)
    return tui_db


def plan(database: peewee.Database, query: peewee.ModelSelect) -> str:
    sql, params = query.limit(PAGE_SIZE).sql()
    rows = database.execute_sql("EXPLAIN QUERY PLAN " + sql, params).fetchall()
    return " | ".join(row[3] for row in rows)


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
    steps = plan(big, history_query())
    assert steps.split(" | ")[0] == "SCAN t1", steps  # rowid order, newest first, no sort
    assert "TEMP B-TREE" not in steps
    first = history_page()
    assert len(first) == PAGE_SIZE
    assert [row.id for row in first] == sorted((row.id for row in first), reverse=True)
    second = history_page(offset=PAGE_SIZE)
    assert second[0].id == first[-1].id - 1


def test_a_status_filter_seeks_its_index(big: peewee.Database) -> None:
    from models.enums import InvoiceStatus

    steps = plan(big, history_query(HistoryFilter(status=InvoiceStatus.PAID)))
    assert "SEARCH t1 USING INDEX invoice_status (status=?)" in steps, steps
    assert "TEMP B-TREE" not in steps


def test_text_seeks_the_number_and_the_patient_name_indexes(big: peewee.Database) -> None:
    steps = plan(big, history_query(HistoryFilter(text="nom123")))
    assert "invoice_number (number>? AND number<?)" in steps, steps
    assert "patient_search_name (search_name>? AND search_name<?)" in steps, steps
    assert "SCAN t1" not in steps  # never the whole invoice table
    rows = history_page(HistoryFilter(text="CDP-2025-000012"))
    assert {row.number for row in rows} == {f"CDP-2025-{n:07d}" for n in range(120, 130)}
    named = history_page(HistoryFilter(text="Nom1234 pré"))  # accents and case folded
    assert named and all(row.patient == "Prenom Nom1234" for row in named)

"""History: every invoice, one page at a time, filtered and sorted through indexes.

Built for clinic scale (100,000 invoices): each sort order has an index that yields rows in
that order, so a page costs LIMIT rows, not a sort of the table. Text matches an invoice
number's start, the end of a number typed as digits ("26"), or the start of the patient's folded
"last first" name, all as index lookups.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any, cast

import peewee

from models.clinic import BillingCompany
from models.enums import InvoiceStatus
from models.invoice import Invoice, InvoiceSequence
from models.numbering import SEQUENCE_WIDTH, format_number
from models.patient import Patient
from models.text import fold

PAGE_SIZE = 50
# Above every character staff type: "abc" <= x < "abc" + HIGH is a prefix range an index can seek.
HIGH = "\U0010ffff"


class HistorySort(StrEnum):
    NEWEST = "newest"  # creation order, newest first: the default
    NUMBER = "number"
    DATE = "date"
    PATIENT = "patient"
    TOTAL = "total"
    BALANCE = "balance"
    STATUS = "status"


@dataclass(frozen=True)
class HistoryFilter:
    text: str = ""
    status: InvoiceStatus | None = None
    since: date | None = None
    until: date | None = None


@dataclass(frozen=True)
class HistoryRow:
    id: int
    number: str | None
    issue_date: date | None
    patient: str
    status: InvoiceStatus
    currency: str
    total_cents: int
    balance_cents: int
    provider_id: int | None


def balance_expression() -> peewee.Node:
    """What is owed, as SQL; the literals are inlined (not parameters) so SQLite matches the
    expression to the ``invoice_balance`` index."""
    return peewee.Case(
        None,
        [(Invoice.status == peewee.SQL("'void'"), peewee.SQL("0"))],
        Invoice.total_cents - Invoice.paid_cents,
    )


def _order(sort: HistorySort, descending: bool) -> list[peewee.Node]:
    def way(node: Any) -> peewee.Node:
        return node.desc() if descending else node.asc()

    keys: dict[HistorySort, list[peewee.Node]] = {
        HistorySort.NEWEST: [Invoice.id.desc()],
        HistorySort.NUMBER: [way(Invoice.number), way(Invoice.id)],
        HistorySort.DATE: [way(Invoice.issue_date), way(Invoice.id)],
        HistorySort.PATIENT: [way(Patient.search_name), way(Invoice.patient), way(Invoice.id)],
        HistorySort.TOTAL: [way(Invoice.total_cents), way(Invoice.id)],
        HistorySort.BALANCE: [way(balance_expression()), way(Invoice.id)],
        HistorySort.STATUS: [way(Invoice.status), way(Invoice.id)],
    }
    return keys[sort]


def history_query(
    filters: HistoryFilter = HistoryFilter(),
    sort: HistorySort = HistorySort.NEWEST,
    descending: bool = False,
) -> peewee.ModelSelect[Invoice]:
    """The History's rows as tuples (see ``HistoryRow``), not yet limited to a page."""
    query = (
        Invoice.select(
            Invoice.id,
            Invoice.number,
            Invoice.issue_date,
            Patient.first_name,
            Patient.last_name,
            Invoice.status,
            Invoice.currency,
            Invoice.total_cents,
            balance_expression(),
            Invoice.provider,
        )
        .join(Patient, on=Invoice.patient == Patient.id)
        .order_by(*_order(sort, descending))
    )
    if filters.status is not None:
        query = query.where(Invoice.status == filters.status.value)
    if filters.since is not None:
        query = query.where(Invoice.issue_date >= filters.since)
    if filters.until is not None:
        query = query.where(Invoice.issue_date <= filters.until)
    needle = filters.text.strip()
    if needle:
        number, name = needle.upper(), fold(needle)
        matching_patients = Patient.select(Patient.id).where(
            (Patient.search_name >= name) & (Patient.search_name < name + HIGH)
        )
        matches = ((Invoice.number >= number) & (Invoice.number < number + HIGH)) | Invoice.patient.in_(
            matching_patients
        )
        sequence_numbers = numbers_ending_with(needle)
        if sequence_numbers:
            matches = matches | Invoice.number.in_(sequence_numbers)
        query = query.where(matches)
    return query


def numbers_ending_with(needle: str) -> list[str]:
    """Staff type the end of a number ("26", "00026"): the full numbers it can be, one per
    company and year in use, so the search stays an index lookup instead of a suffix scan."""
    if not needle.isdigit() or len(needle) > SEQUENCE_WIDTH:
        return []
    sequences = InvoiceSequence.select(BillingCompany.number_prefix, InvoiceSequence.year).join(
        BillingCompany, on=InvoiceSequence.billing_company == BillingCompany.id
    )
    return [format_number(row.billing_company.number_prefix, row.year, int(needle)) for row in sequences]


def history_page(
    filters: HistoryFilter = HistoryFilter(),
    sort: HistorySort = HistorySort.NEWEST,
    descending: bool = False,
    offset: int = 0,
    limit: int = PAGE_SIZE,
) -> list[HistoryRow]:
    """One page of the History."""
    query = history_query(filters, sort, descending).limit(limit).offset(offset).tuples()
    rows = cast("list[tuple[Any, ...]]", list(query))  # the stubs type tuples() rows as models
    return [
        HistoryRow(
            id=row[0],
            number=row[1],
            issue_date=row[2],
            patient=f"{row[3]} {row[4]}".strip(),
            status=InvoiceStatus(row[5]),
            currency=row[6],
            total_cents=row[7],
            balance_cents=row[8],
            provider_id=row[9],
        )
        for row in rows
    ]

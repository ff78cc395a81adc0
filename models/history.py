"""History: every invoice, one page at a time, filtered and sorted through indexes.

Built for clinic scale (100,000 invoices). Each sort order has an index that yields rows in that
order, and each filter an index that finds its matches: text matches an invoice number's start, the
end of a number typed as digits ("26"), or the start of the patient's folded "last first" name.
A page either walks the sort order's index until it is full, or seeks the most selective filter's
matches and sorts them, whichever reads fewer rows (``models.history_plan``); either way a page
costs a few thousand index entries at most, not a sort of the table.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, replace
from datetime import date
from functools import reduce
from typing import Any, cast

import peewee

from models.clinic import BillingCompany
from models.db import db
from models.enums import InvoiceStatus
from models.history_plan import Estimate, HistorySort, Lookup, choose_lookup
from models.invoice import Invoice, InvoiceSequence
from models.numbering import SEQUENCE_WIDTH, format_number
from models.patient import Patient
from models.text import fold

PAGE_SIZE = 50
COUNT_CAP = 20_000  # a filter's matches are counted up to this: a covering index read, about 1 ms
# Above every character staff type: "abc" <= x < "abc" + HIGH is a prefix range an index can seek.
HIGH = "\U0010ffff"


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


@dataclass(frozen=True)
class TextMatch:
    """What typed text can match: a number's start, whole numbers it ends (digits typed), a name's start.

    ``plan_page`` turns off the parts that match nothing, so the SQL keeps the others only.
    """

    prefix: str  # upper-cased, as numbers are written
    name: str  # folded, as ``Patient.search_name``
    numbers: tuple[str, ...]
    by_prefix: bool = True
    by_name: bool = True

    @classmethod
    def of(cls, text: str) -> TextMatch | None:
        needle = text.strip()
        if not needle:
            return None
        return cls(needle.upper(), fold(needle), tuple(numbers_ending_with(needle)))


@dataclass(frozen=True)
class PagePlan:
    """How a page is read: ``lookup`` names the filter whose index finds the rows (``None``: walk the
    sort order), ``text`` the parts of the text filter that can match."""

    lookup: Lookup | None = None
    text: TextMatch | None = None


def _checked(node: Any) -> Any:
    """``node`` as SQLite checks it on each row but never looks it up through an index (``+node``)."""
    if not isinstance(db.obj, peewee.SqliteDatabase):
        return node  # other databases plan from their statistics
    return peewee.NodeList((peewee.SQL("+"), node), glue="")


def _aligned(filters: HistoryFilter, sort: HistorySort, text: TextMatch | None) -> Lookup | None:
    """The filter that is a range of the sort key itself, which walking the sort order reads through."""
    if sort is HistorySort.DATE and (filters.since is not None or filters.until is not None):
        return Lookup.DATES
    if sort is HistorySort.STATUS and filters.status is not None:
        return Lookup.STATUS
    if text is not None and sort is HistorySort.PATIENT and not (text.by_prefix or text.numbers):
        return Lookup.TEXT
    if text is not None and sort is HistorySort.NUMBER and not (text.by_name or text.numbers):
        return Lookup.TEXT
    return None


def _order(sort: HistorySort, descending: bool, seek: bool) -> list[peewee.Node]:
    def way(node: Any) -> peewee.Node:
        # Sorting found rows: the sort's own index must not tempt SQLite into walking it instead.
        node = _checked(node) if seek else node
        return node.desc() if descending else node.asc()

    keys: dict[HistorySort, list[Any]] = {
        HistorySort.NEWEST: [Invoice.id],
        HistorySort.NUMBER: [Invoice.number, Invoice.id],
        HistorySort.DATE: [Invoice.issue_date, Invoice.id],
        HistorySort.PATIENT: [Patient.search_name, Invoice.patient, Invoice.id],
        HistorySort.TOTAL: [Invoice.total_cents, Invoice.id],
        HistorySort.BALANCE: [balance_expression(), Invoice.id],
        HistorySort.STATUS: [Invoice.status, Invoice.id],
    }
    if sort is HistorySort.NEWEST:
        descending = True  # creation order is always newest first
    return [way(node) for node in keys[sort]]


def _conditions(filters: HistoryFilter, sort: HistorySort, plan: PagePlan) -> list[peewee.Node]:
    """Every active filter as SQL; only the one whose index reads the page may use its index."""
    indexed = plan.lookup or _aligned(filters, sort, plan.text)

    def column(node: Any, kind: Lookup) -> Any:
        return node if kind is indexed else _checked(node)

    conditions: list[peewee.Node] = []
    text = plan.text
    if text is not None:
        parts: list[peewee.Node] = []
        number = column(Invoice.number, Lookup.TEXT)
        if text.by_prefix:
            parts.append((number >= text.prefix) & (number < text.prefix + HIGH))
        if text.numbers:
            parts.append(number.in_(list(text.numbers)))
        if text.by_name and _aligned(filters, sort, text) is Lookup.TEXT:
            # Names alone, sorted by patient: the joined patient's name range is the sort key's own.
            name = column(Patient.search_name, Lookup.TEXT)
            parts.append((name >= text.name) & (name < text.name + HIGH))
        elif text.by_name:
            named = Patient.select(Patient.id).where(
                (Patient.search_name >= text.name) & (Patient.search_name < text.name + HIGH)
            )
            parts.append(column(Invoice.patient, Lookup.TEXT).in_(named))
        conditions.append(reduce(operator.or_, parts) if parts else peewee.SQL("1 = 0"))
    if filters.status is not None:
        conditions.append(column(Invoice.status, Lookup.STATUS) == filters.status.value)
    issue_date = column(Invoice.issue_date, Lookup.DATES)
    if filters.since is not None:
        conditions.append(issue_date >= filters.since.isoformat())
    if filters.until is not None:
        conditions.append(issue_date <= filters.until.isoformat())
    return conditions


def history_query(
    filters: HistoryFilter = HistoryFilter(),
    sort: HistorySort = HistorySort.NEWEST,
    descending: bool = False,
    *,
    plan: PagePlan | None = None,
    offset: int = 0,
    limit: int | None = PAGE_SIZE,
) -> peewee.ModelSelect[Invoice]:
    """One page of the History's rows as tuples (see ``HistoryRow``), read as ``plan`` says.

    Without a plan (``plan_page`` makes one from counts) the sort order's index is walked. A seek
    sorts its matches with their ids alone, then reads only the page's rows whole.
    """
    if plan is None:
        plan = PagePlan(text=TextMatch.of(filters.text))
    seek = plan.lookup is not None
    conditions = _conditions(filters, sort, plan)
    rows = Invoice.select(
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
    ).join(Patient, on=Invoice.patient == Patient.id)
    if not seek:
        for condition in conditions:
            rows = rows.where(condition)
        return rows.order_by(*_order(sort, descending, seek)).limit(limit).offset(offset)
    ids = Invoice.select(Invoice.id)
    if sort is HistorySort.PATIENT:
        ids = ids.join(Patient, on=Invoice.patient == Patient.id)
    for condition in conditions:
        ids = ids.where(condition)
    ids = ids.order_by(*_order(sort, descending, seek)).limit(limit).offset(offset)
    return rows.where(Invoice.id.in_(ids)).order_by(*_order(sort, descending, seek=False))


def numbers_ending_with(needle: str) -> list[str]:
    """Staff type the end of a number ("26", "00026"): the full numbers it can be, one per
    company and year in use, so the search stays an index lookup instead of a suffix scan."""
    if not needle.isdigit() or len(needle) > SEQUENCE_WIDTH:
        return []
    sequences = InvoiceSequence.select(BillingCompany.number_prefix, InvoiceSequence.year).join(
        BillingCompany, on=InvoiceSequence.billing_company == BillingCompany.id
    )
    return [format_number(row.billing_company.number_prefix, row.year, int(needle)) for row in sequences]


def plan_page(filters: HistoryFilter, sort: HistorySort, descending: bool, wanted: int) -> PagePlan:
    """Count what each filter matches through its own index (up to ``COUNT_CAP``, about a millisecond
    each) and choose how to read the first ``wanted`` rows (``models.history_plan``)."""
    text = TextMatch.of(filters.text)
    if text is None and filters.status is None and filters.since is None and filters.until is None:
        return PagePlan()
    total = Invoice.select().count()
    counts: dict[Lookup, int] = {}
    if text is not None:
        text, counts[Lookup.TEXT] = _text_matches(text, total)
    if filters.status is not None:
        counts[Lookup.STATUS] = _count(
            Invoice.select(Invoice.id).where(Invoice.status == filters.status.value)
        )
    if filters.since is not None or filters.until is not None:
        dated = Invoice.select(Invoice.id)
        if filters.since is not None:
            dated = dated.where(Invoice.issue_date >= filters.since)
        if filters.until is not None:
            dated = dated.where(Invoice.issue_date <= filters.until)
        counts[Lookup.DATES] = _count(dated)
    aligned = _aligned(filters, sort, text)
    skips = _skips(filters, sort, descending, text, text_count=counts.get(Lookup.TEXT, 0), total=total)
    lookup = choose_lookup(Estimate(counts, total, COUNT_CAP, aligned, skips), wanted, sort)
    return PagePlan(lookup, text)


def _text_matches(text: TextMatch, total: int) -> tuple[TextMatch, int]:
    """``text`` without the parts that match nothing, and about how many invoices it matches."""
    prefix = (Invoice.number >= text.prefix) & (Invoice.number < text.prefix + HIGH)
    prefixed = _count(Invoice.select(Invoice.id).where(prefix))
    numbers: tuple[str, ...] = ()
    if text.numbers:  # only those in use
        existing = Invoice.select(Invoice.number).where(Invoice.number.in_(list(text.numbers))).tuples()
        numbers = tuple(str(row[0]) for row in cast("list[tuple[str]]", list(existing)))
    name = (Patient.search_name >= text.name) & (Patient.search_name < text.name + HIGH)
    named = _count(Patient.select(Patient.id).where(name))
    # A patient's invoices are counted as the average patient's: counting them is a join.
    per_patient = total / max(1, Patient.select().count())
    matched = replace(text, numbers=numbers, by_prefix=prefixed > 0, by_name=named > 0)
    return matched, prefixed + len(numbers) + round(named * per_patient)


def _skips(
    filters: HistoryFilter,
    sort: HistorySort,
    descending: bool,
    text: TextMatch | None,
    *,
    text_count: int,
    total: int,
) -> dict[Lookup, int]:
    """Rows a walk of ``sort`` reads before the first match of a filter whose matches sit together in
    that order: ids and numbers grow with the issue date, and a number prefix is one stretch of them."""
    if sort not in (HistorySort.NEWEST, HistorySort.NUMBER, HistorySort.DATE):
        return {}
    skips: dict[Lookup, int] = {}
    if sort is not HistorySort.DATE and (filters.since is not None or filters.until is not None):
        newest_first = sort is HistorySort.NEWEST or descending
        before = 0  # the invoices dated after the range (newest first) or before it
        if newest_first and filters.until is not None:
            before = _count(Invoice.select(Invoice.id).where(Invoice.issue_date > filters.until))
        elif not newest_first and filters.since is not None:
            before = _count(Invoice.select(Invoice.id).where(Invoice.issue_date < filters.since))
        skips[Lookup.DATES] = before
    if (
        text is not None
        and text.by_prefix
        and not text.by_name
        and _aligned(filters, sort, text) is not Lookup.TEXT
    ):
        # Where the stretch of numbers starts is not counted: as if everything else came first.
        skips[Lookup.TEXT] = total - min(text_count, COUNT_CAP)
    return skips


def _count(query: peewee.ModelSelect[Any]) -> int:
    return int(query.limit(COUNT_CAP).count())


def history_page(
    filters: HistoryFilter = HistoryFilter(),
    sort: HistorySort = HistorySort.NEWEST,
    descending: bool = False,
    offset: int = 0,
    limit: int = PAGE_SIZE,
) -> list[HistoryRow]:
    """One page of the History, read through the index that reads the fewest rows for it."""
    plan = plan_page(filters, sort, descending, offset + limit)
    query = history_query(filters, sort, descending, plan=plan, offset=offset, limit=limit).tuples()
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

"""History: every invoice, one page at a time, filtered and sorted through indexes.

Built for clinic scale (100,000 invoices). Each sort order has an index that yields rows in that
order, and each filter an index that finds its matches: text matches an invoice number's start, the
end of a number typed as digits ("26"), or the start of the patient's folded "last first" name.
A page either walks the sort order's index until it is full, or seeks the most selective filter's
matches and sorts them, whichever reads fewer rows (``models.views.history_plan``); either way a page
costs a few thousand index entries at most, not a sort of the table.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, replace
from datetime import date
from functools import reduce
from typing import Any, cast

import peewee

from models.billing.invoice import Invoice, InvoiceSequence
from models.billing.numbering import SEQUENCE_WIDTH, format_number
from models.core.enums import InvoiceStatus
from models.core.text import fold
from models.database.db import db
from models.people.clinic import BillingCompany
from models.people.patient import Patient
from models.views.history_plan import Estimate, HistorySort, Lookup, choose_lookup

PAGE_SIZE = 50
COUNT_CAP = 20_000  # a filter's matches are counted up to this: a covering index read, about 1 ms
NAME_CAP = 5_000  # patients whose name starts with the text, counted up to this
# Orders in which a number prefix is one stretch: numbers, ids and dates grow together.
CLUSTERED = (HistorySort.NEWEST, HistorySort.NUMBER, HistorySort.DATE)
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
        Invoice.total_cents - Invoice.credited_cents - Invoice.paid_cents,
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


def _conditions(
    filters: HistoryFilter, sort: HistorySort, plan: PagePlan, *, joined: bool
) -> list[peewee.Node]:
    """Every active filter as SQL; only the one whose index reads the page may use its index.

    ``joined``: the query joins each invoice's patient, so a name is checked on that row rather
    than against the list of every patient whose name matches (20,000 ids for one letter).
    """
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
        numbered = text.by_prefix or bool(text.numbers)
        if text.by_name and joined and not (indexed is Lookup.TEXT and numbered):
            # Sorted by patient, names alone are a range of the sort key (``_aligned``); an index
            # cannot serve a name range or a number range across two tables.
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
        for condition in _conditions(filters, sort, plan, joined=True):
            rows = rows.where(condition)
        return rows.order_by(*_order(sort, descending, seek)).limit(limit).offset(offset)
    ids = Invoice.select(Invoice.id)
    if sort is HistorySort.PATIENT:
        ids = ids.join(Patient, on=Invoice.patient == Patient.id)
    for condition in _conditions(filters, sort, plan, joined=sort is HistorySort.PATIENT):
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
    """Count what each filter matches through its own index (up to ``COUNT_CAP``: a millisecond or
    two, all in one statement) and choose how to read the first ``wanted`` rows (``history_plan``)."""
    text = TextMatch.of(filters.text)
    dated = filters.since is not None or filters.until is not None
    if text is None and filters.status is None and not dated:
        return PagePlan()
    if text is not None and text.numbers:
        text = replace(text, numbers=_numbers_in_use(text.numbers))
    counts = _counts(filters, text, sort, descending)
    total = counts["total"]
    matches: dict[Lookup, int] = {}
    skips: dict[Lookup, int] = {}
    if text is not None:
        text = replace(text, by_prefix=counts["prefixed"] > 0, by_name=counts["named"] > 0)
        numbered = counts["prefixed"] + len(text.numbers)
        # A patient's invoices are counted as the average patient's: counting them is a join.
        named = round(counts["named"] * total / max(1, counts["patients"]))
        if counts["named"] >= NAME_CAP:
            named = max(named, COUNT_CAP)  # at least that many: as capped as the other counts
        matches[Lookup.TEXT] = numbered + named
        if sort in CLUSTERED and text.by_prefix and not text.by_name:
            # A number prefix is one stretch of numbers; where it starts is not counted: as if last.
            skips[Lookup.TEXT] = total - min(numbered, COUNT_CAP)
    if filters.status is not None:
        matches[Lookup.STATUS] = counts["status"]
    if dated:
        matches[Lookup.DATES] = counts["dated"]
        if sort in (HistorySort.NEWEST, HistorySort.NUMBER):
            skips[Lookup.DATES] = counts.get("before", 0)
    aligned = _aligned(filters, sort, text)
    if aligned is not None:
        skips.pop(aligned, None)  # read through, not reached
    lookup = choose_lookup(Estimate(matches, total, COUNT_CAP, aligned, skips), wanted, sort)
    return PagePlan(lookup, text)


def _counts(
    filters: HistoryFilter, text: TextMatch | None, sort: HistorySort, descending: bool
) -> dict[str, int]:
    """What ``plan_page`` weighs, read in one statement."""
    counter = _Counter()
    counter.ask_total("total", Invoice)
    if text is not None:
        prefix = (Invoice.number >= text.prefix) & (Invoice.number < text.prefix + HIGH)
        counter.ask("prefixed", Invoice.select(Invoice.id).where(prefix))
        name = (Patient.search_name >= text.name) & (Patient.search_name < text.name + HIGH)
        counter.ask("named", Patient.select(Patient.id).where(name), cap=NAME_CAP)
        counter.ask_total("patients", Patient)
    if filters.status is not None:
        counter.ask("status", Invoice.select(Invoice.id).where(Invoice.status == filters.status.value))
    if filters.since is not None or filters.until is not None:
        counter.ask("dated", _date_range(Invoice.select(Invoice.id), filters.since, filters.until))
        # Ids and numbers grow with the date: newest first, a walk meets the invoices dated after
        # the range before it; oldest first, those dated before it.
        newest_first = sort is HistorySort.NEWEST or descending
        if sort in (HistorySort.NEWEST, HistorySort.NUMBER) and newest_first and filters.until:
            counter.ask("before", Invoice.select(Invoice.id).where(Invoice.issue_date > filters.until))
        elif sort is HistorySort.NUMBER and not newest_first and filters.since:
            counter.ask("before", Invoice.select(Invoice.id).where(Invoice.issue_date < filters.since))
    return counter.read()


class _Counter:
    """Counts asked for by name, then read in one statement: one round trip to SQLite."""

    def __init__(self) -> None:
        self.columns: dict[str, peewee.Node] = {}

    def ask(self, name: str, query: peewee.ModelSelect[Any], *, cap: int = COUNT_CAP) -> None:
        """The rows of ``query``, counted up to ``cap``."""
        self.columns[name] = peewee.Select([query.limit(cap).alias(name)], [peewee.fn.COUNT(peewee.SQL("1"))])

    def ask_total(self, name: str, model: type[peewee.Model]) -> None:
        """Every row of ``model``: a bare COUNT(*), which SQLite reads from the b-tree's page counts."""
        self.columns[name] = model.select(peewee.fn.COUNT(peewee.SQL("*")))

    def read(self) -> dict[str, int]:
        row = db.execute(peewee.Select(columns=list(self.columns.values()))).fetchone()
        return {name: int(count) for name, count in zip(self.columns, row, strict=True)}


def _numbers_in_use(numbers: tuple[str, ...]) -> tuple[str, ...]:
    query = Invoice.select(Invoice.number).where(Invoice.number.in_(list(numbers))).tuples()
    return tuple(str(row[0]) for row in cast("list[tuple[str]]", list(query)))


def _date_range(
    query: peewee.ModelSelect[Any], since: date | None, until: date | None
) -> peewee.ModelSelect[Any]:
    if since is not None:
        query = query.where(Invoice.issue_date >= since)
    if until is not None:
        query = query.where(Invoice.issue_date <= until)
    return query


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

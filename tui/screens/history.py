"""The History tab: every invoice, filtered as you type, sorted, a page at a time.

Rows come from SQL one page (``PAGE_SIZE``) at a time through indexes (``models.views.history``),
at an offset, read and drawn as ``PagedView`` does it: one query at a time, the latest waiting one
next, a page of an older filter or sort dropped. The table (``PageTable``) draws only the lines on
screen and skips a page equal to the one shown, so a keystroke costs a few milliseconds of SQL and
about one of drawing.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import ClassVar, Literal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Input, Select

from locales import N_
from locales.formatting import format_date, format_money
from models.core.enums import InvoiceStatus
from models.core.labels import INVOICE_STATUS
from models.views.history import PAGE_SIZE, HistoryFilter, HistoryRow, HistorySort, history_page
from tui.messages import DataChanged, InvoiceAction, OpenInvoice
from tui.session import StaffSession
from tui.texts import translate_bindings
from tui.widgets.page_table import Column, PageTable, Row
from tui.widgets.paged_view import PagedView, PageRequest

HistoryQuery = tuple[HistoryFilter, HistorySort, bool]  # the filters, the sort, descending

# Title, sort, width, alignment. With no cell padding the widths add up to 78, so every column
# shows at 80 columns; text columns carry their own trailing space, money columns are
# right-aligned with room for "1 234,56 $".
COLUMNS: dict[str, tuple[str, HistorySort, int, Literal["left", "right"]]] = {
    "number": (N_("Number"), HistorySort.NUMBER, 15, "left"),
    "date": (N_("Date"), HistorySort.DATE, 11, "left"),
    "patient": (N_("Patient"), HistorySort.PATIENT, 20, "left"),
    "status": (N_("Status"), HistorySort.STATUS, 10, "left"),
    "total": (N_("Total"), HistorySort.TOTAL, 11, "right"),
    "balance": (N_("Balance"), HistorySort.BALANCE, 11, "right"),
}
SORTS = [HistorySort.NEWEST, *(sort for _, sort, _, _ in COLUMNS.values())]


# Babel takes ~50 µs an amount; a clinic's fees and dates repeat from row to row and page to page.
@lru_cache(maxsize=4096)
def _money(cents: int, currency: str, language: str, country: str) -> str:
    return format_money(cents, currency, language, country)


@lru_cache(maxsize=1024)
def _date(day: date, language: str, country: str) -> str:
    return format_date(day, language, country, "short")


class HistoryView(PagedView[HistoryQuery, int, HistoryRow]):
    """Search by number or patient, status and dates; Enter opens; S sorts, R reverses."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "next_sort", N_("Sort")),
        Binding("r", "reverse", N_("Reverse")),
        Binding("m", "row_action('send')", N_("Send")),
        Binding("ctrl+f", "focus_search", N_("Search"), show=False),
    ]

    def __init__(self, session: StaffSession) -> None:
        super().__init__(session, id="history-view", page_size=PAGE_SIZE)
        self.filters = HistoryFilter()
        self.sort = HistorySort.NEWEST
        self.descending = False

    def compose(self) -> ComposeResult:
        with Horizontal(id="history-filters"):
            yield Input(id="history-search", select_on_focus=False)
            yield Select[str]([], id="history-status", allow_blank=True)
            yield Input(id="history-since", max_length=10, select_on_focus=False)
            yield Input(id="history-until", max_length=10, select_on_focus=False)
        yield PageTable(id="history-table", cell_padding=0)

    def on_mount(self) -> None:
        table = self.query_one("#history-table", PageTable)
        table.set_columns([Column(key, "", width, align) for key, (_, _, width, align) in COLUMNS.items()])
        self.apply_texts()
        self._watch_fields()
        self.reload()

    def focus_first(self) -> None:
        # At once, not after a refresh (``Input.focus``): keys typed right after F3 land here.
        self.screen.set_focus(self.query_one("#history-search", Input))

    def apply_texts(self) -> None:
        tr = self.session.tr
        self.query_one("#history-search", Input).placeholder = tr.gettext(N_("Number or patient"))
        self.query_one("#history-since", Input).placeholder = tr.gettext(N_("from YYYY-MM-DD"))
        self.query_one("#history-until", Input).placeholder = tr.gettext(N_("to YYYY-MM-DD"))
        status = self.query_one("#history-status", Select)
        value = status.value
        status.prompt = tr.gettext(N_("Any status"))
        status.set_options([(tr.gettext(label), code) for code, label in INVOICE_STATUS.items()])
        if value is not Select.NULL:
            status.value = value
        labels = {}
        for key, (title, sort, _, _) in COLUMNS.items():
            labels[key] = tr.gettext(title)
            if sort is self.sort:
                labels[key] += " ▼" if self.descending else " ▲"
        self.query_one("#history-table", PageTable).set_labels(labels)
        translate_bindings(self, tr)
        self.redraw()  # the rows shown, in the current wording

    # Filters and sorting

    def _watch_fields(self) -> None:
        # The fields' values are watched, not their Changed messages: a watcher runs as the key is
        # handled, while a message bubbles through two queues, behind the redraw of the field
        # (20 ms a key at 100,000 invoices on a busy machine). No debounce: each change asks for
        # its first page at once; a burst of changes runs the query under way and the last one only.
        for selector in ("#history-search", "#history-since", "#history-until"):
            self.watch(self.query_one(selector, Input), "value", self.apply_filters, init=False)

    @on(Select.Changed, "#history-status")
    def status_changed(self) -> None:
        self.apply_filters()

    def apply_filters(self) -> None:
        status = self.query_one("#history-status", Select).value
        filters = HistoryFilter(
            text=self.query_one("#history-search", Input).value,
            status=InvoiceStatus(status) if isinstance(status, str) else None,
            since=self._date("#history-since"),
            until=self._date("#history-until"),
        )
        if filters != self.filters:  # a date being typed changes nothing until it is whole
            self.filters = filters
            self.reload()

    def _date(self, selector: str) -> date | None:
        field = self.query_one(selector, Input)
        text = field.value.strip()
        valid = True
        value = None
        if text:
            try:
                value = date.fromisoformat(text)
            except ValueError:
                valid = False
        field.set_class(not valid, "-invalid")
        field.tooltip = None if valid else self.session.tr.gettext(N_("expected a date as YYYY-MM-DD"))
        return value

    def action_next_sort(self) -> None:
        self.sort = SORTS[(SORTS.index(self.sort) + 1) % len(SORTS)]
        self.descending = self.sort in (HistorySort.DATE, HistorySort.NUMBER)  # newest first is usual
        self._sorted()

    def action_reverse(self) -> None:
        if self.sort is HistorySort.NEWEST:
            return
        self.descending = not self.descending
        self._sorted()

    @on(PageTable.HeaderSelected, "#history-table")
    def sort_by_header(self, event: PageTable.HeaderSelected) -> None:
        sort = COLUMNS[event.column_key][1]
        self.descending = not self.descending if sort is self.sort else False
        self.sort = sort
        self._sorted()

    def _sorted(self) -> None:
        self.apply_texts()
        self.reload()

    def action_focus_search(self) -> None:
        self.focus_first()

    # Loading, a page at a time

    @property
    def loaded_rows(self) -> int:
        return len(self.rows_by_id)

    def current_query(self) -> HistoryQuery:
        return self.filters, self.sort, self.descending

    def next_after(self) -> int:
        return self.loaded_rows  # an offset

    def read_page(self, request: PageRequest[HistoryQuery, int]) -> list[HistoryRow]:
        return history_page(*request.query, request.after or 0, request.limit)

    def draw_row(self, row: HistoryRow) -> Row:
        tr, country = self.session.tr, self.session.country
        cells = (
            row.number or tr.gettext(N_("(draft)")),
            _date(row.issue_date, tr.language, country) if row.issue_date else "",
            row.patient,
            tr.gettext(INVOICE_STATUS[row.status]),
            _money(row.total_cents, row.currency, tr.language, country),
            _money(row.balance_cents, row.currency, tr.language, country),
        )
        return Row(str(row.id), cells)

    def data_changed(self, message: DataChanged) -> None:
        """Invoices, payments and patient names show in the rows: read them again."""
        if message.what in ("invoice", "patient", "outbox"):
            self.refresh_rows()

    # Opening and row actions

    def first_shown_id(self) -> int | None:
        """The invoice on the first row, if any (what a fresh filter shows on top)."""
        table = self.query_one("#history-table", PageTable)
        return int(table.rows[0].key) if table.rows else None

    def selected_invoice(self) -> int | None:
        key = self.query_one("#history-table", PageTable).cursor_key
        return None if key is None else int(key)

    @on(PageTable.RowSelected, "#history-table")
    def open_selected(self, event: PageTable.RowSelected) -> None:
        self.post_message(OpenInvoice(int(event.row_key)))

    @on(Input.Submitted)
    def to_the_list(self) -> None:
        self.query_one("#history-table", PageTable).focus()

    def action_row_action(self, action: str) -> None:
        """The extension point for row actions (send, payment link): the app or a screen handles it."""
        invoice_id = self.selected_invoice()
        if invoice_id is not None:
            self.post_message(InvoiceAction(action, invoice_id))

"""The History tab: every invoice, filtered as you type, sorted, a page at a time.

Rows come from SQL one page (``PAGE_SIZE``) at a time through indexes (``models.history``);
the next page loads when the cursor or the scroll nears the end. Each filter change
starts a load at once; each load is an exclusive worker, so a stale query is cancelled, and a page from
an older filter (``generation``) is dropped.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Input, Select
from textual.worker import get_current_worker

from locales import N_
from locales.formatting import format_date, format_money
from models.enums import InvoiceStatus
from models.history import PAGE_SIZE, HistoryFilter, HistoryRow, HistorySort
from models.labels import INVOICE_STATUS
from tui.messages import InvoiceAction, OpenInvoice
from tui.session import StaffSession
from tui.texts import translate_bindings
from tui.workers import DB_ERRORS, database_thread, error_text

NEAR_END = 20  # rows before the end at which the next page is fetched

# Title, sort, width. Fixed widths: DataTable then never measures every cell of a new page.
# With no cell padding they add up to 78, so every column shows at 80 columns; text columns
# carry their own trailing space, money columns are right-aligned with room for "1 234,56 $".
COLUMNS: dict[str, tuple[str, HistorySort, int]] = {
    "number": (N_("Number"), HistorySort.NUMBER, 15),
    "date": (N_("Date"), HistorySort.DATE, 11),
    "patient": (N_("Patient"), HistorySort.PATIENT, 20),
    "status": (N_("Status"), HistorySort.STATUS, 10),
    "total": (N_("Total"), HistorySort.TOTAL, 11),
    "balance": (N_("Balance"), HistorySort.BALANCE, 11),
}
SORTS = [HistorySort.NEWEST, *(sort for _, sort, _ in COLUMNS.values())]


class HistoryView(Vertical):
    """Search by number or patient, status and dates; Enter opens; S sorts, R reverses."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "next_sort", N_("Sort")),
        Binding("r", "reverse", N_("Reverse")),
        Binding("m", "row_action('send')", N_("Send")),
        Binding("ctrl+f", "focus_search", N_("Search"), show=False),
    ]

    def __init__(self, session: StaffSession) -> None:
        super().__init__(id="history-view")
        self.session = session
        self.filters = HistoryFilter()
        self.sort = HistorySort.NEWEST
        self.descending = False
        self.generation = 0  # bumped by every new filter or sort; older pages are dropped
        self.loaded_rows = 0
        self.exhausted = False
        # Not ``loading``: that is Widget's reactive, which covers the view with a spinner and blurs
        # the field being typed in (the focus-leaving-the-search bug).
        self.fetching = False
        self._typing: Input | None = None  # the filter field being typed in
        self.rows_by_id: dict[int, HistoryRow] = {}  # what the table shows, to redraw it in new wording

    def compose(self) -> ComposeResult:
        with Horizontal(id="history-filters"):
            yield Input(id="history-search", select_on_focus=False)
            yield Select[str]([], id="history-status", allow_blank=True)
            yield Input(id="history-since", max_length=10, select_on_focus=False)
            yield Input(id="history-until", max_length=10, select_on_focus=False)
        table: DataTable[str | Text] = DataTable(
            id="history-table", cursor_type="row", zebra_stripes=True, cell_padding=0
        )
        for key, (_, _, width) in COLUMNS.items():
            table.add_column("", key=key, width=width)
        yield table

    def on_mount(self) -> None:
        self.apply_texts()
        self.reload()

    def focus_first(self) -> None:
        self.query_one("#history-search", Input).focus()

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
        table = self.query_one("#history-table", DataTable)
        for key, (title, sort, _) in COLUMNS.items():
            label = tr.gettext(title)
            if sort is self.sort:
                label += " ▼" if self.descending else " ▲"
            table.columns[key].label = Text(label)  # type: ignore[index]
        table.refresh()
        translate_bindings(self, tr)
        self._refill_texts()

    # Filters and sorting

    @on(Input.Changed, "#history-search")
    @on(Input.Changed, "#history-since")
    @on(Input.Changed, "#history-until")
    @on(Select.Changed, "#history-status")
    def filters_changed(self, event: Input.Changed | Select.Changed) -> None:
        # No debounce: each change starts an exclusive worker that cancels the previous query, and a
        # page of an older filter is dropped, so fast typing costs a few short queries, not a wait.
        self._typing = event.control if isinstance(event.control, Input) else None
        self.apply_filters()

    def apply_filters(self) -> None:
        status = self.query_one("#history-status", Select).value
        self.filters = HistoryFilter(
            text=self.query_one("#history-search", Input).value,
            status=InvoiceStatus(status) if isinstance(status, str) else None,
            since=self._date("#history-since"),
            until=self._date("#history-until"),
        )
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

    @on(DataTable.HeaderSelected)
    def sort_by_header(self, event: DataTable.HeaderSelected) -> None:
        sort = COLUMNS[str(event.column_key.value)][1]
        self.descending = not self.descending if sort is self.sort else False
        self.sort = sort
        self._sorted()

    def _sorted(self) -> None:
        self.apply_texts()
        self.reload()

    def action_focus_search(self) -> None:
        self.focus_first()

    # Loading, a page at a time

    def reload(self) -> None:
        """Start over from the first page with the current filters and sort."""
        self.generation += 1
        self.loaded_rows = 0
        self.exhausted = False
        self.fetching = True
        self.fetch(self.generation, self.filters, self.sort, self.descending, 0)

    def load_more(self) -> None:
        if self.fetching or self.exhausted:
            return
        self.fetching = True
        self.fetch(self.generation, self.filters, self.sort, self.descending, self.loaded_rows)

    @work(thread=True, exclusive=True, group="history")
    def fetch(
        self, generation: int, filters: HistoryFilter, sort: HistorySort, descending: bool, offset: int
    ) -> None:
        from models.history import history_page

        try:
            with database_thread():
                rows = history_page(filters, sort, descending, offset, PAGE_SIZE)
        except DB_ERRORS as exc:
            self.app.call_from_thread(self._failed, generation, exc)
            return
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show_page, generation, offset, rows)

    def _failed(self, generation: int, exc: BaseException) -> None:
        if generation == self.generation:
            self.fetching = False
            self.notify(error_text(exc, self.session.tr), severity="error")

    def _show_page(self, generation: int, offset: int, rows: list[HistoryRow]) -> None:
        if generation != self.generation or offset != self.loaded_rows:
            return  # a page of an older filter or sort
        table = self.query_one("#history-table", DataTable)
        if offset == 0:
            table.clear()
            self.rows_by_id = {}
        for row in rows:
            table.add_row(*self._cells(row), key=str(row.id))
        self.rows_by_id.update({row.id: row for row in rows})
        self.loaded_rows += len(rows)
        self.exhausted = len(rows) < PAGE_SIZE
        self.fetching = False
        typing = self._typing
        if offset == 0 and typing is not None and self.screen.is_active:
            # Refilling the table may blur the field being typed in (a Textual relayout): keep typing.
            self.call_after_refresh(self._keep_typing, typing)

    def _keep_typing(self, field: Input) -> None:
        if self.app.focused is not field and self.screen.is_active:
            field.focus(scroll_visible=False)

    def _cells(self, row: HistoryRow) -> list[str | Text]:
        tr, country = self.session.tr, self.session.country

        def money(cents: int) -> Text:
            return Text(format_money(cents, row.currency, tr.language, country), justify="right")

        return [
            row.number or tr.gettext(N_("(draft)")),
            format_date(row.issue_date, tr.language, country, "short") if row.issue_date else "",
            row.patient,
            tr.gettext(INVOICE_STATUS[row.status]),
            money(row.total_cents),
            money(row.balance_cents),
        ]

    def _refill_texts(self) -> None:
        """Rows already shown, in the current wording (after a catalog edit)."""
        table = self.query_one("#history-table", DataTable)
        for key in list(table.rows):
            row = self.rows_by_id.get(int(str(key.value)))
            if row is not None:
                for column, value in zip(COLUMNS, self._cells(row), strict=True):
                    table.update_cell(key, column, value)

    @on(DataTable.RowHighlighted, "#history-table")
    def near_the_end(self, event: DataTable.RowHighlighted) -> None:
        if event.cursor_row >= self.loaded_rows - NEAR_END:
            self.load_more()

    def on_mouse_scroll_down(self) -> None:
        table = self.query_one("#history-table", DataTable)
        if table.scroll_y >= table.max_scroll_y - NEAR_END:
            self.load_more()

    # Opening and row actions

    def first_shown_id(self) -> int | None:
        """The invoice on the first row, if any (what a fresh filter shows on top)."""
        table = self.query_one("#history-table", DataTable)
        if not table.row_count:
            return None
        return int(str(table.coordinate_to_cell_key((0, 0)).row_key.value))  # type: ignore[arg-type]

    def selected_invoice(self) -> int | None:
        table = self.query_one("#history-table", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        return int(str(key.value))

    @on(DataTable.RowSelected, "#history-table")
    def open_selected(self, event: DataTable.RowSelected) -> None:
        self.post_message(OpenInvoice(int(str(event.row_key.value))))

    @on(Input.Submitted)
    def to_the_list(self) -> None:
        self.query_one("#history-table", DataTable).focus()

    def action_row_action(self, action: str) -> None:
        """The extension point for row actions (send, payment link): the app or a screen handles it."""
        invoice_id = self.selected_invoice()
        if invoice_id is not None:
            self.post_message(InvoiceAction(action, invoice_id))

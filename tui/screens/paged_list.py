"""``PagedListScreen``: a filtered list read a page at a time, refreshed while shown, opening invoices.

The base of the transmissions and communications screens. Rows are read in a thread worker, a
page at a time (keyset paging after the last row shown); the next page loads when the cursor
nears the end, and the rows shown are read again every ``refresh_seconds`` while the screen is
the current one, the table keeping its cursor on its row. A read carries a token: only the
answer to the latest read is shown. Widget ids start with the screen's ``PREFIX``
(``#tx-table``, ``#comm-invoice``…), so each screen keeps its own ``.tcss`` file.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterable
from typing import ClassVar, Generic, Protocol, TypeVar

from textual import events, on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.markup import escape
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import DataTable, Header, Select, Static
from textual.worker import get_current_worker

from locales import N_
from models.core.enums import Role
from models.core.errors import NotFoundError
from tui.messages import DataChanged, OpenInvoice
from tui.session import RoleDenied, StaffSession
from tui.texts import translate_bindings
from tui.widgets.key_footer import KeyFooter
from tui.workers import error_text, run_db

NEAR_END = 10  # rows from the end at which the next page is fetched


class ListedRow(Protocol):
    """What the screen needs of a row: the invoice it belongs to."""

    @property
    def invoice_id(self) -> int: ...


RowT = TypeVar("RowT", bound=ListedRow)
FiltersT = TypeVar("FiltersT")


class RowTable(Protocol[RowT]):
    """What the screen needs of its table: the highlighted row, drawing rows, its column titles."""

    @property
    def selected(self) -> RowT | None: ...

    def show(self, rows: list[RowT]) -> None: ...

    def apply_texts(self) -> None: ...


class PagedListScreen(Screen[None], Generic[RowT, FiltersT]):
    """A paged, filtered, refreshed list of rows, each opening its invoice; Escape goes back."""

    PREFIX: ClassVar[str]  # widget ids are f"{PREFIX}-title", f"{PREFIX}-table"…
    CHANGED: ClassVar[str]  # what a write changed, for ``DataChanged``

    def __init__(
        self, session: StaffSession, filters: FiltersT, *, page_size: int = 100, refresh_seconds: float = 5.0
    ) -> None:
        super().__init__()
        self.session = session
        self.page_size = page_size
        self.refresh_seconds = refresh_seconds
        self.filters = filters
        self.rows: list[RowT] = []
        self.has_more = False
        self.reading: int | None = None  # the token of the read whose rows are awaited
        self.token = 0

    # What each screen says ----------------------------------------------------------------

    @abstractmethod
    def compose_filters(self) -> ComposeResult:
        """The filter fields, in one line; among them ``#{PREFIX}-status`` and ``#{PREFIX}-invoice``."""

    @abstractmethod
    def make_table(self) -> Widget:
        """A new table, with the id ``{PREFIX}-table``."""

    @property
    @abstractmethod
    def table(self) -> RowTable[RowT]:
        """The table on the screen."""

    @abstractmethod
    def layout_table(self, width: int) -> None:
        """Fit the table's columns to the current view and ``width`` cells."""

    @abstractmethod
    def status_options(self) -> None:
        """Fill the status choice for the current view, keeping the choice when it still applies."""

    @abstractmethod
    def heading(self) -> str:
        """The title above the filters, for the current view."""

    @abstractmethod
    def read_page(self, filters: FiltersT, after: RowT | None, limit: int) -> list[RowT]:
        """Up to ``limit`` rows after ``after`` (from the first when None); runs in a worker thread."""

    @abstractmethod
    def row_details(self, row: RowT) -> Iterable[str | None]:
        """The highlighted row's details shown under the table, which the columns may cut."""

    # Layout and texts ------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        prefix = self.PREFIX
        yield Header(icon="✉")
        yield Static("", id=f"{prefix}-title")
        with Horizontal(id=f"{prefix}-filters"):
            yield from self.compose_filters()
        yield Static("", id=f"{prefix}-error", markup=False)
        yield self.make_table()
        yield Static("", id=f"{prefix}-empty")
        yield Static("", id=f"{prefix}-selected", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one(f"#{self.PREFIX}-error").display = False
        self.query_one(f"#{self.PREFIX}-empty").display = False
        self.apply_texts()
        self.query_one(f"#{self.PREFIX}-table").focus()
        self.reload()
        self.set_interval(self.refresh_seconds, self.refresh_rows)

    def on_resize(self, event: events.Resize) -> None:
        self.layout_table(event.size.width)

    def apply_texts(self) -> None:
        tr = self.session.tr
        translate_bindings(self, tr)
        self.layout_table(self.size.width)
        self.table.apply_texts()
        self.status_options()
        empty = self.query_one(f"#{self.PREFIX}-empty", Static)
        empty.update(tr.gettext(N_("Nothing matches these filters")))
        self._show_title()

    def _show_title(self) -> None:
        self.query_one(f"#{self.PREFIX}-title", Static).update(f"[b]{escape(self.heading())}[/b]")

    def _switch_view(self, filters: FiltersT) -> None:
        """Show the other view (``m``) for ``filters``: its statuses, columns and title, read anew."""
        self.filters = filters
        self.rows, self.has_more = [], False
        with self.prevent(Select.Changed):
            self.query_one(f"#{self.PREFIX}-status", Select).clear()
        self.status_options()
        self.layout_table(self.size.width)
        self._show_title()
        self.reload()
        self.refresh_bindings()

    # Reading ----------------------------------------------------------------------------

    def reload(self) -> None:
        """Read the first page for the current filters, dropping any read in flight."""
        self.token += 1
        self.reading = self.token
        self.fetch(self.token, self.filters, None, self.page_size, replace=True)

    def refresh_rows(self) -> None:
        """Read again the rows shown (at least a page); skipped while another read runs."""
        if self.reading is None and self.is_current:
            self.token += 1
            self.reading = self.token
            # one more than shown: a refresh that finds exactly the rows shown must not think there are more
            limit = max(len(self.rows) + 1, self.page_size)
            self.fetch(self.token, self.filters, None, limit, replace=True)

    def load_more(self) -> None:
        """Read the page after the last row shown, if there is one and no read runs."""
        if self.reading is None and self.has_more and self.rows:
            self.token += 1
            self.reading = self.token
            self.fetch(self.token, self.filters, self.rows[-1], self.page_size, replace=False)

    @work(thread=True, exclusive=True, group="paged-list-load")
    def fetch(self, token: int, filters: FiltersT, after: RowT | None, limit: int, *, replace: bool) -> None:
        """Read a page in this worker thread; the rows, or the failure, come back to the UI."""
        tr = self.session.tr

        def failed(exc: BaseException) -> None:
            if isinstance(exc, NotFoundError):
                self._failed(token, exc.render(tr), quiet=False, bad_invoice=True)
            else:
                self._failed(token, error_text(exc, tr), quiet=not replace)

        rows = run_db(self, lambda: self.read_page(filters, after, limit), tr=tr, failed=failed)
        if rows is not None and not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._loaded, token, rows, limit, replace)

    def _loaded(self, token: int, rows: list[RowT], limit: int, replace: bool) -> None:
        if token != self.reading:
            return  # the filters changed since: a newer read brings the rows
        self.reading = None
        self.rows = rows if replace else self.rows + rows
        self.has_more = len(rows) == limit
        self.query_one(f"#{self.PREFIX}-invoice").remove_class("-invalid")
        self._show_error(None)
        self.table.show(self.rows)
        self.query_one(f"#{self.PREFIX}-table").display = bool(self.rows)
        self.query_one(f"#{self.PREFIX}-empty").display = not self.rows
        self._show_selected()
        self.refresh_bindings()

    def _failed(self, token: int, text: str, *, quiet: bool, bad_invoice: bool = False) -> None:
        if token != self.reading:
            return
        self.reading = None
        if bad_invoice:
            self.rows, self.has_more = [], False
            self.table.show([])
            self._show_selected()
            self.query_one(f"#{self.PREFIX}-invoice").add_class("-invalid")
            self._show_error(text)
        elif not quiet:
            self.notify(text, severity="error")

    def _show_error(self, text: str | None) -> None:
        error = self.query_one(f"#{self.PREFIX}-error", Static)
        error.update(text or "")
        error.display = text is not None

    @on(DataTable.RowHighlighted)  # the screen's one table
    def near_the_end(self, event: DataTable.RowHighlighted) -> None:
        if event.cursor_row >= len(self.rows) - NEAR_END:
            self.load_more()
        self._show_selected()
        self.refresh_bindings()

    def _show_selected(self) -> None:
        row = self.table.selected
        parts = self.row_details(row) if row is not None else ()
        self.query_one(f"#{self.PREFIX}-selected", Static).update(" · ".join(part for part in parts if part))

    # Actions ----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open_invoice":
            return self.table.selected is not None
        return True

    @on(DataTable.RowSelected)  # the screen's one table
    def action_open_invoice(self) -> None:
        row = self.table.selected
        if row is not None:
            self.post_message(OpenInvoice(row.invoice_id))

    def _billing_allowed(self) -> bool:
        try:
            self.session.require(Role.BILLING)
        except RoleDenied as exc:
            self.notify(exc.render(self.session.tr), severity="warning")
            return False
        return True

    def _written(self, text: str) -> None:
        self.notify(text)
        self.post_message(DataChanged(self.CHANGED))
        self.reading = None  # a refresh in flight may predate the write: read again now
        self.refresh_rows()

    def action_leave(self) -> None:
        self.dismiss(None)

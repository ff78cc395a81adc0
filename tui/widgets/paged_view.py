"""``PagedView``: a list whose rows are read a page at a time as the user scrolls or searches.

The base of the History and Patients tabs. The first page is read for a new search, filter or sort
(``reload``), read again with as many rows as are shown after a save (``refresh_rows``, the cursor
kept), and the next page when the cursor or the scroll nears the end (``load_more``). Pages are read
and drawn in a thread worker, one query at a time: a page asked for meanwhile waits, and only the
latest waiting one runs, so a burst of keys costs the query under way and the last one. A page of an
older search (``generation``), or one that no longer follows the rows shown, is dropped; a failure of
the latest page asked for is a notification. Each list says what its rows are read for
(``current_query``), how (``read_page``), where the next page starts (``next_after``) and how a row
is drawn (``draw_row``); its ``PageTable`` draws only the lines on screen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from textual import on, work
from textual.containers import Vertical
from textual.worker import get_current_worker

from tui.session import StaffSession
from tui.widgets.page_table import PageTable, Row
from tui.workers import error_text, run_db

NEAR_END = 20  # rows before the end at which the next page is fetched


class ListedRow(Protocol):
    """What the list needs of a row: its id, the key of ``rows_by_id``."""

    @property
    def id(self) -> int: ...


QueryT = TypeVar("QueryT")  # what the rows are read for: a search, filters, a sort
AfterT = TypeVar("AfterT")  # where a next page starts: an offset, the last row's sort key
RowT = TypeVar("RowT", bound=ListedRow)


@dataclass(frozen=True)
class PageRequest(Generic[QueryT, AfterT]):
    """One page to read: for ``query``, up to ``limit`` rows after ``after`` (``None``: the first
    page); ``keep`` redraws the rows shown (after a save) with the cursor where it was."""

    generation: int
    query: QueryT
    after: AfterT | None
    limit: int
    keep: bool = False


class PagedView(Vertical, Generic[QueryT, AfterT, RowT]):
    """A list in a ``PageTable``, read a page at a time; ``shown`` reads it again when its tab is back."""

    def __init__(self, session: StaffSession, *, id: str, page_size: int) -> None:
        super().__init__(id=id)
        self.session = session
        self.page_size = page_size
        self.generation = 0  # bumped by every new query; older pages are dropped
        self.rows_by_id: dict[int, RowT] = {}  # what the table shows, in order
        self.exhausted = False  # the last page read was the last one
        # Not ``loading``: that is Widget's reactive, which covers the view with a spinner and blurs
        # the field being typed in.
        self.fetching = False  # a page of the current query is on its way
        self._querying = False  # a query is under way (one at a time)
        self._waiting: PageRequest[QueryT, AfterT] | None = None  # the page to read once it is done
        self._drawing = 0  # bumped by ``redraw``: a page drawn the old way in the worker is redone

    # What each list says ------------------------------------------------------------------

    def current_query(self) -> QueryT:
        """What the rows are read for now (the search, the filters, the sort)."""
        raise NotImplementedError

    def next_after(self) -> AfterT | None:
        """Where the page after the rows shown starts (``None``: there is none to ask for)."""
        raise NotImplementedError

    def read_page(self, request: PageRequest[QueryT, AfterT]) -> Sequence[RowT]:
        """The rows of ``request``; runs in the worker thread."""
        raise NotImplementedError

    def draw_row(self, row: RowT) -> Row:
        """``row``'s cells in the current wording and columns; runs in the worker thread too."""
        raise NotImplementedError

    # Reading ----------------------------------------------------------------------------

    def reload(self) -> None:
        """Start over from the first page for the current query."""
        self.generation += 1
        self._ask(None, self.page_size)

    def refresh_rows(self) -> None:
        """Read the rows shown again (something was saved), keeping the cursor where it is."""
        self.generation += 1
        self._ask(None, max(self.page_size, len(self.rows_by_id)), keep=True)

    def shown(self) -> None:
        """The tab came back into view: read the rows shown again, unless a page is on its way."""
        if not self.fetching:
            self.refresh_rows()

    def load_more(self) -> None:
        after = self.next_after()
        if not (self.fetching or self.exhausted or after is None):
            self._ask(after, self.page_size)

    def redraw(self) -> None:
        """Draw the rows shown again (the wording or the columns changed), the cursor where it is."""
        self._drawing += 1
        lines = [self.draw_row(row) for row in self.rows_by_id.values()]
        self.query_one(PageTable).replace_rows(lines, keep_cursor=True)

    def _ask(self, after: AfterT | None, limit: int, *, keep: bool = False) -> None:
        self.fetching = True
        self._waiting = PageRequest(self.generation, self.current_query(), after, limit, keep)
        if not self._querying:
            self._next_query()

    def _next_query(self) -> None:
        request, self._waiting = self._waiting, None
        if request is not None:
            self._querying = True
            self.fetch(request)

    @work(thread=True, group="paged-view")
    def fetch(self, request: PageRequest[QueryT, AfterT]) -> None:
        """Read and draw a page here, in a worker thread (Babel takes its time), then show it."""
        rows = run_db(
            self,
            lambda: self.read_page(request),
            tr=self.session.tr,
            failed=lambda exc: self._failed(request, exc),
        )
        if rows is None:
            return
        drawing = self._drawing
        lines = [self.draw_row(row) for row in rows]
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show_page, request, rows, lines, drawing)

    def _failed(self, request: PageRequest[QueryT, AfterT], exc: BaseException) -> None:
        self._querying = False
        if request.generation == self.generation and self._waiting is None:
            self.fetching = False
            self.notify(error_text(exc, self.session.tr), severity="error")
        self._next_query()

    def _show_page(
        self, request: PageRequest[QueryT, AfterT], rows: Sequence[RowT], lines: list[Row], drawing: int
    ) -> None:
        self._querying = False
        if not self.query(PageTable):
            return  # the app is closing: the table went first
        follows = request.after is None or request.after == self.next_after()
        if request.generation == self.generation and follows:  # not a page of an older query
            if drawing != self._drawing:  # the wording or the columns changed meanwhile
                lines = [self.draw_row(row) for row in rows]
            table = self.query_one(PageTable)
            if request.after is None:
                self.rows_by_id = {}
                table.replace_rows(lines, keep_cursor=request.keep)
            else:
                table.append_rows(lines)
            self.rows_by_id.update({row.id: row for row in rows})
            self.exhausted = len(rows) < request.limit
            self.fetching = self._waiting is not None
        self._next_query()

    @on(PageTable.RowHighlighted)  # the view's one table
    def near_the_end(self, event: PageTable.RowHighlighted) -> None:
        if event.cursor_row >= len(self.rows_by_id) - NEAR_END:
            self.load_more()

    def on_mouse_scroll_down(self) -> None:
        table = self.query_one(PageTable)
        if table.scroll_y >= table.max_scroll_y - NEAR_END:
            self.load_more()

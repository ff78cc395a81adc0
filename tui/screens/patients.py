"""The Patients tab: every patient, filtered as you type, a page at a time; add, edit, invoice.

Rows come from SQL one page (``PAGE_SIZE``) at a time in ``(search_name, id)`` order,
each page starting after the last row shown (keyset paging through the name index), so
the 200th page costs what the first does. One query runs at a time: a search typed meanwhile
waits for it, and only the latest waiting one runs; a page of an older search (``generation``)
is dropped. The table (``PageTable``) draws only the lines on screen.

Who may change patients: staff with the billing role (reception) or admins; everyone
else (a provider) may look them up, open them read-only and start invoices for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.events import Resize
from textual.widgets import Input, Static
from textual.worker import get_current_worker

from locales import N_
from models.core.enums import Role
from models.people.patients import PatientRow
from tui.messages import DataChanged, NewInvoice
from tui.session import RoleDenied, StaffSession
from tui.texts import translate_bindings
from tui.widgets.page_table import Column, PageTable, Row
from tui.workers import error_text, run_db

PAGE_SIZE = 100
NEAR_END = 20  # rows before the end at which the next page is fetched
WIDE = 100  # from this many columns on, the insurance number has its own column

# Column key, title, width (None: a share of what is left: the name 45 %, the email the rest).
COLUMNS: list[tuple[str, str, int | None]] = [
    ("name", N_("Name"), None),
    ("phone", N_("Cell phone"), 12),
    ("email", N_("Email"), None),
    ("language", N_("Lang."), 5),
    ("insurance", N_("Health insurance"), 17),
]


def may_edit_patients(session: StaffSession) -> bool:
    """Reception (billing) and admins keep the patient records; providers read them."""
    return session.has(Role.BILLING) or session.has(Role.ADMIN)


def edit_denial(session: StaffSession) -> str | None:
    """Why this person may not add or edit patients, or ``None`` when they may."""
    if may_edit_patients(session):
        return None
    try:
        session.require(Role.BILLING)
    except RoleDenied as exc:
        return exc.render(session.tr)
    return None


@dataclass(frozen=True)
class PageRequest:
    """One page to read: after ``after`` (``None``: the first), ``limit`` rows; ``keep`` redraws the
    rows shown (after a save) with the cursor where it was."""

    generation: int
    text: str
    after: tuple[str, int] | None
    limit: int
    keep: bool = False


class PatientsView(Vertical):
    """Search by name, phone, email or insurance number; A adds, Enter/E edits, I invoices."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "add", N_("Add")),
        Binding("e", "edit", N_("Edit")),
        Binding("i", "invoice", N_("Invoice")),
        Binding("slash", "focus_search", N_("Search")),
        Binding("down", "to_the_list", show=False),  # from the search field, as Enter does
    ]

    def __init__(self, session: StaffSession) -> None:
        super().__init__(id="patients-view")
        self.session = session
        self.text = ""
        self.generation = 0  # bumped by every new search; older pages are dropped
        self.rows: list[PatientRow] = []
        self.exhausted = False
        # Not ``loading``: that is Widget's reactive, which covers the view with a spinner and blurs
        # the search field.
        self.fetching = False  # a page of the current search is on its way
        self.loads = 0  # finished loads, for tests
        self.wide = False
        self._querying = False  # a query is under way (one at a time)
        self._waiting: PageRequest | None = None  # the page to read once it is done

    def compose(self) -> ComposeResult:
        yield Input(id="patients-search", select_on_focus=False)
        yield Static("", id="patients-note", markup=False)
        yield PageTable(id="patients-table")

    def on_mount(self) -> None:
        self.wide = self.app.size.width >= WIDE
        self._set_columns()  # again on every resize, once the width is known
        self.apply_texts()
        self.watch(self.query_one("#patients-search", Input), "value", self.search_changed, init=False)
        self.reload()

    def focus_first(self) -> None:
        # At once, not after a refresh (``Input.focus``): keys typed right after F2 land here.
        self.screen.set_focus(self.query_one("#patients-search", Input))

    def apply_texts(self) -> None:
        tr = self.session.tr
        self.query_one("#patients-search", Input).placeholder = tr.gettext(
            N_("Name, phone, email or insurance number")
        )
        note = self.query_one("#patients-note", Static)
        denial = edit_denial(self.session)
        note.display = denial is not None
        if denial is not None:
            note.update(tr.format(N_("Read only: {reason}"), reason=denial))
        table = self.query_one("#patients-table", PageTable)
        table.set_labels({key: tr.gettext(title) for key, title, _width in COLUMNS})
        translate_bindings(self, tr)

    # The table ------------------------------------------------------------------------

    def _set_columns(self) -> None:
        table = self.query_one("#patients-table", PageTable)
        shown = [column for column in COLUMNS if self.wide or column[0] != "insurance"]
        # What the fixed columns, cell padding and the scrollbar leave, for the name and the email.
        left = self.size.width - sum(width or 0 for _, _, width in shown) - 2 * len(shown) - 2
        name = max(12, left * 45 // 100)
        flexible = {"name": name, "email": max(12, left - name)}
        tr = self.session.tr
        table.set_columns(
            [Column(key, tr.gettext(title), width or flexible[key]) for key, title, width in shown]
        )
        self._draw(keep_cursor=True)

    def _row(self, row: PatientRow) -> Row:
        cells = [
            f"{row.last_name}, {row.first_name}",
            row.cell_phone or "",
            row.email or "",
            (row.language or "").upper(),
        ]
        if self.wide:
            cells.append(row.health_insurance_number or "")
        return Row(str(row.id), tuple(cells))

    def _draw(self, *, keep_cursor: bool) -> None:
        table = self.query_one("#patients-table", PageTable)
        table.replace_rows([self._row(row) for row in self.rows], keep_cursor=keep_cursor)

    def on_resize(self, event: Resize) -> None:
        self.wide = event.size.width >= WIDE
        self._set_columns()

    # Searching, a page at a time ------------------------------------------------------

    def search_changed(self, value: str) -> None:
        # Watched, not its Changed message, which bubbles behind the field's redraw (see History).
        # No debounce: a burst of keys runs the query under way and the last one only (``_ask``).
        if value != self.text:
            self.text = value
            self.reload()

    def reload(self) -> None:
        """Start over from the first page with the current search."""
        self.generation += 1
        self._ask(PageRequest(self.generation, self.text, None, PAGE_SIZE))

    def refresh_rows(self) -> None:
        """Read the rows shown again (a patient was saved), keeping the cursor where it is."""
        self.generation += 1
        self._ask(PageRequest(self.generation, self.text, None, max(PAGE_SIZE, len(self.rows)), keep=True))

    def shown(self) -> None:
        """The tab came back into view: read the rows shown again, unless a page is on its way."""
        if not self.fetching:
            self.refresh_rows()

    def load_more(self) -> None:
        if self.fetching or self.exhausted or not self.rows:
            return
        self._ask(PageRequest(self.generation, self.text, self.rows[-1].key, PAGE_SIZE))

    def _ask(self, request: PageRequest) -> None:
        self.fetching = True
        self._waiting = request
        if not self._querying:
            self._next_query()

    def _next_query(self) -> None:
        request, self._waiting = self._waiting, None
        if request is not None:
            self._querying = True
            self.fetch(request)

    @work(thread=True, group="patients")
    def fetch(self, request: PageRequest) -> None:
        from models.people.patients import patient_rows

        rows = run_db(
            self,
            lambda: patient_rows(request.text, request.limit, request.after),
            tr=self.session.tr,
            failed=lambda exc: self._failed(request, exc),
        )
        if rows is not None and not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show_page, request, rows)

    def _failed(self, request: PageRequest, exc: BaseException) -> None:
        self._querying = False
        if request.generation == self.generation and self._waiting is None:
            self.fetching = False
            self.notify(error_text(exc, self.session.tr), severity="error")
        self._next_query()

    def _show_page(self, request: PageRequest, rows: list[PatientRow]) -> None:
        self._querying = False
        if not self.query(PageTable):
            return  # the app is closing: the table went first
        follows = request.after is None or (bool(self.rows) and self.rows[-1].key == request.after)
        if request.generation == self.generation and follows:  # not a page of an older search
            self.exhausted = len(rows) < request.limit
            if request.after is None:
                self.rows = rows
                self._draw(keep_cursor=request.keep)
            else:
                self.rows.extend(rows)
                self.query_one("#patients-table", PageTable).append_rows([self._row(row) for row in rows])
            self.fetching = self._waiting is not None
            self.loads += 1
        self._next_query()

    def data_changed(self, message: DataChanged) -> None:
        """A patient was saved (here or elsewhere): show the saved values."""
        if message.what == "patient":
            self.refresh_rows()

    @on(PageTable.RowHighlighted, "#patients-table")
    def near_the_end(self, event: PageTable.RowHighlighted) -> None:
        if event.cursor_row >= len(self.rows) - NEAR_END:
            self.load_more()

    def on_mouse_scroll_down(self) -> None:
        table = self.query_one("#patients-table", PageTable)
        if table.scroll_y >= table.max_scroll_y - NEAR_END:
            self.load_more()

    @on(Input.Submitted, "#patients-search")
    def action_to_the_list(self) -> None:
        self.query_one("#patients-table", PageTable).focus()

    def action_focus_search(self) -> None:
        self.focus_first()

    # Row actions ----------------------------------------------------------------------

    def selected_patient(self) -> int | None:
        key = self.query_one("#patients-table", PageTable).cursor_key
        return None if key is None else int(key)

    @on(PageTable.RowSelected, "#patients-table")
    def open_selected(self, event: PageTable.RowSelected) -> None:
        self._open_form(int(event.row_key))

    def action_edit(self) -> None:
        patient_id = self.selected_patient()
        if patient_id is None:
            self.notify(self.session.tr.gettext(N_("No patient is selected")), severity="warning")
            return
        self._open_form(patient_id)

    def action_add(self) -> None:
        denial = edit_denial(self.session)
        if denial is not None:
            self.notify(denial, severity="warning")
            return
        self._open_form(None)

    def _open_form(self, patient_id: int | None) -> None:
        from tui.screens.patient_form import PatientFormScreen

        self.app.push_screen(PatientFormScreen(self.session, patient_id))

    def action_invoice(self) -> None:
        patient_id = self.selected_patient()
        if patient_id is None:
            self.notify(self.session.tr.gettext(N_("No patient is selected")), severity="warning")
            return
        self.post_message(NewInvoice(patient_id))

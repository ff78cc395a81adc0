"""The Patients tab: every patient, filtered as you type, a page at a time; add, edit, invoice.

Rows come from SQL one page (``PAGE_SIZE``) at a time in ``(search_name, id)`` order,
each page starting after the last row shown (keyset paging through the name index), so
the 200th page costs what the first does. Typing restarts a short debounce; each load is
an exclusive worker and a page from an older search (``generation``) is dropped.

Who may change patients: staff with the billing role (reception) or admins; everyone
else (a provider) may look them up, open them read-only and start invoices for them.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.events import Resize
from textual.timer import Timer
from textual.widgets import DataTable, Input, Static
from textual.worker import get_current_worker

from locales import N_
from models.enums import Role
from models.patients import PatientRow
from tui.messages import NewInvoice
from tui.session import RoleDenied, StaffSession
from tui.texts import translate_bindings
from tui.workers import DB_ERRORS, database_thread, error_text

PAGE_SIZE = 100
DEBOUNCE_SECONDS = 0.05
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
        self.loading = False
        self.loads = 0  # finished loads, for tests
        self.wide = False
        self._debounce: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Input(id="patients-search", select_on_focus=False)
        yield Static("", id="patients-note", markup=False)
        yield DataTable(id="patients-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        self.wide = self.app.size.width >= WIDE
        self._set_columns()  # again on every resize, once the width is known
        self.apply_texts()
        self.reload()

    def focus_first(self) -> None:
        self.query_one("#patients-search", Input).focus()

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
        table = self.query_one("#patients-table", DataTable)
        for key, title, _width in COLUMNS:
            if key in table.columns:
                table.columns[key].label = tr.gettext(title)  # type: ignore[index, assignment]
        table.refresh()
        translate_bindings(self, tr)
        self._redraw()

    # The table ------------------------------------------------------------------------

    def _set_columns(self) -> None:
        table: DataTable[str] = self.query_one("#patients-table", DataTable)
        table.clear(columns=True)
        shown = [column for column in COLUMNS if self.wide or column[0] != "insurance"]
        # What the fixed columns, cell padding and the scrollbar leave, for the name and the email.
        left = self.size.width - sum(width or 0 for _, _, width in shown) - 2 * len(shown) - 2
        name = max(12, left * 45 // 100)
        flexible = {"name": name, "email": max(12, left - name)}
        for key, title, width in shown:
            table.add_column(self.session.tr.gettext(title), key=key, width=width or flexible[key])

    def _cells(self, row: PatientRow) -> list[str]:
        cells = [
            f"{row.last_name}, {row.first_name}",
            row.cell_phone or "",
            row.email or "",
            (row.language or "").upper(),
        ]
        if self.wide:
            cells.append(row.health_insurance_number or "")
        return cells

    def _redraw(self) -> None:
        """The rows already loaded, drawn again (new columns or wording); the cursor stays put."""
        table = self.query_one("#patients-table", DataTable)
        cursor = table.cursor_row
        table.clear()
        for row in self.rows:
            table.add_row(*self._cells(row), key=str(row.id))
        if self.rows:
            table.move_cursor(row=min(cursor, len(self.rows) - 1), animate=False)

    def on_resize(self, event: Resize) -> None:
        self.wide = event.size.width >= WIDE
        self._set_columns()
        self._redraw()

    # Searching, a page at a time ------------------------------------------------------

    @on(Input.Changed, "#patients-search")
    def search_changed(self, event: Input.Changed) -> None:
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(DEBOUNCE_SECONDS, self._search)

    def _search(self) -> None:
        self.text = self.query_one("#patients-search", Input).value
        self.reload()

    def reload(self) -> None:
        """Start over from the first page with the current search."""
        self.generation += 1
        self.exhausted = False
        self.loading = True
        self.fetch(self.generation, self.text, None)

    def load_more(self) -> None:
        if self.loading or self.exhausted or not self.rows:
            return
        self.loading = True
        self.fetch(self.generation, self.text, self.rows[-1].key)

    @work(thread=True, exclusive=True, group="patients")
    def fetch(self, generation: int, text: str, after: tuple[str, int] | None) -> None:
        from models.patients import patient_rows

        try:
            with database_thread():
                rows = patient_rows(text, PAGE_SIZE, after)
        except DB_ERRORS as exc:
            self.app.call_from_thread(self._failed, generation, exc)
            return
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show_page, generation, after, rows)

    def _failed(self, generation: int, exc: BaseException) -> None:
        if generation == self.generation:
            self.loading = False
            self.notify(error_text(exc, self.session.tr), severity="error")

    def _show_page(self, generation: int, after: tuple[str, int] | None, rows: list[PatientRow]) -> None:
        if generation != self.generation:
            return  # a page of an older search
        table = self.query_one("#patients-table", DataTable)
        if after is None:
            table.clear()
            self.rows = []
        elif not self.rows or self.rows[-1].key != after:
            return  # not the page that follows what is shown
        for row in rows:
            table.add_row(*self._cells(row), key=str(row.id))
        self.rows.extend(rows)
        self.exhausted = len(rows) < PAGE_SIZE
        self.loading = False
        self.loads += 1

    @on(DataTable.RowHighlighted, "#patients-table")
    def near_the_end(self, event: DataTable.RowHighlighted) -> None:
        if event.cursor_row >= len(self.rows) - NEAR_END:
            self.load_more()

    def on_mouse_scroll_down(self) -> None:
        table = self.query_one("#patients-table", DataTable)
        if table.scroll_y >= table.max_scroll_y - NEAR_END:
            self.load_more()

    @on(Input.Submitted, "#patients-search")
    def action_to_the_list(self) -> None:
        self.query_one("#patients-table", DataTable).focus()

    def action_focus_search(self) -> None:
        self.focus_first()

    # Row actions ----------------------------------------------------------------------

    def selected_patient(self) -> int | None:
        table = self.query_one("#patients-table", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        return int(str(key.value))

    @on(DataTable.RowSelected, "#patients-table")
    def open_selected(self, event: DataTable.RowSelected) -> None:
        self._open_form(int(str(event.row_key.value)))

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

        self.app.push_screen(PatientFormScreen(self.session, patient_id), self._form_closed)

    def _form_closed(self, saved_id: int | None) -> None:
        if saved_id is not None:  # the form posted DataChanged; this list shows the saved values
            self.reload()

    def action_invoice(self) -> None:
        patient_id = self.selected_patient()
        if patient_id is None:
            self.notify(self.session.tr.gettext(N_("No patient is selected")), severity="warning")
            return
        self.post_message(NewInvoice(patient_id))

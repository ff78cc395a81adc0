"""The Patients tab: every patient, filtered as you type, a page at a time; add, edit, invoice.

Rows come from SQL one page (``PAGE_SIZE``) at a time in ``(search_name, id)`` order,
each page starting after the last row shown (keyset paging through the name index), so
the 200th page costs what the first does; they are read and drawn as ``PagedView`` does it: one
query at a time, the latest waiting one next, a page of an older search dropped.

Who may change patients: staff with the billing role (reception) or admins; everyone
else (a provider) may look them up, open them read-only and start invoices for them.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.events import Resize
from textual.widgets import Input, Static

from locales import N_
from models.core.enums import Role
from models.people.patients import PatientRow, patient_rows
from tui.messages import DataChanged, NewInvoice
from tui.session import RoleDenied, StaffSession
from tui.texts import translate_bindings
from tui.widgets.page_table import Column, PageTable, Row
from tui.widgets.paged_view import PagedView, PageRequest

PAGE_SIZE = 100
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


class PatientsView(PagedView[str, tuple[str, int], PatientRow]):
    """Search by name, phone, email or insurance number; A adds, Enter/E edits, I invoices."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "add", N_("Add")),
        Binding("e", "edit", N_("Edit")),
        Binding("i", "invoice", N_("Invoice")),
        Binding("slash", "focus_search", N_("Search")),
        Binding("down", "to_the_list", show=False),  # from the search field, as Enter does
    ]

    def __init__(self, session: StaffSession) -> None:
        super().__init__(session, id="patients-view", page_size=PAGE_SIZE)
        self.text = ""
        self.wide = False

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
        self.redraw()

    def draw_row(self, row: PatientRow) -> Row:
        cells = [
            f"{row.last_name}, {row.first_name}",
            row.cell_phone or "",
            row.email or "",
            (row.language or "").upper(),
        ]
        if self.wide:
            cells.append(row.health_insurance_number or "")
        return Row(str(row.id), tuple(cells))

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

    @property
    def rows(self) -> list[PatientRow]:
        return list(self.rows_by_id.values())

    def current_query(self) -> str:
        return self.text

    def next_after(self) -> tuple[str, int] | None:
        last = next(reversed(self.rows_by_id.values()), None)
        return None if last is None else last.key

    def read_page(self, request: PageRequest[str, tuple[str, int]]) -> list[PatientRow]:
        return patient_rows(request.query, request.limit, request.after)

    def data_changed(self, message: DataChanged) -> None:
        """A patient was saved (here or elsewhere): show the saved values."""
        if message.what == "patient":
            self.refresh_rows()

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

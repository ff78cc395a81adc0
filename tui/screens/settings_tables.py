"""``CompaniesPane`` and ``StaffPane``: a table each, A adds, Enter or E edits in a dialog.

The rows are read in a worker (a clinic has a handful of companies and staff); after a
dialog saves, the table reloads and the list others show is told (``DataChanged``). Column
widths follow the pane's width, so every column shows at 80 columns, long values ending in "…"
(the dialog shows them whole).
"""

from __future__ import annotations

from typing import ClassVar

from rich.cells import cell_len
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.events import Resize
from textual.widgets import Static

from locales import N_
from models.admin.settings import credit_prefix_in_use, list_companies, list_staff, prefix_in_use
from models.core.enums import Role
from models.people.clinic import BillingCompany, Staff
from tui.messages import DataChanged
from tui.session import ROLE_LABELS, StaffSession
from tui.texts import translate_bindings
from tui.widgets.page_table import Column, PageTable, Row, share_widths
from tui.workers import run_db

YES, NO = N_("yes"), N_("no")


def _retranslate(node: Vertical) -> None:
    retranslate = getattr(node.app, "retranslate", None)
    if callable(retranslate):
        retranslate()


class _TablePane(Vertical):
    """A table of records read in a worker; subclasses say which columns and rows."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "add", N_("Add")),
        Binding("e", "edit", N_("Edit")),
    ]
    # Title and share of the width: 0 fits the title and the values (short codes), a weight
    # shares what the others leave.
    COLUMNS: ClassVar[tuple[tuple[str, int], ...]] = ()
    HELP = ""

    def __init__(self, session: StaffSession, *, id: str) -> None:
        super().__init__(id=id)
        self.session = session
        self.records: list[object] = []
        self.announce = False

    def compose(self) -> ComposeResult:
        yield PageTable()
        yield Static("", classes="settings-help", markup=False)

    def on_mount(self) -> None:
        self.apply_texts()
        self.reload()

    def apply_texts(self) -> None:
        tr = self.session.tr
        translate_bindings(self, tr)
        self._set_columns()
        self.query_one(".settings-help", Static).update(tr.gettext(self.HELP))
        self.show(self.records)

    def on_resize(self, event: Resize) -> None:
        self._set_columns()

    def _set_columns(self) -> None:
        table = self.query_one(PageTable)
        titles = [self.session.tr.gettext(title) for title, _ in self.COLUMNS]
        cells = [self.row(record) for record in self.records]
        keys = [str(index) for index in range(len(self.COLUMNS))]
        fixed, weights = {}, {}
        for index, (key, title, (_, weight)) in enumerate(zip(keys, titles, self.COLUMNS, strict=True)):
            if weight:
                weights[key] = weight
            else:
                fixed[key] = max([cell_len(title), *(cell_len(row[index]) for row in cells)])
        # The pane's width less each column's cell padding, and a scrollbar's room if it shows.
        space = self.size.width - 2 * table.cell_padding * len(keys)
        if len(cells) + 1 > table.size.height:
            space -= table.styles.scrollbar_size_vertical
        widths = share_widths(space, fixed, weights)
        table.set_columns([Column(key, title, widths[key]) for key, title in zip(keys, titles, strict=True)])

    def focus_first(self) -> None:
        self.query_one(PageTable).focus()

    @work(thread=True, exclusive=True, group="settings-table-load")
    def reload(self) -> None:
        run_db(self, self.load, self.show, tr=self.session.tr)

    def load(self) -> list[object]:
        raise NotImplementedError

    def row(self, record: object) -> tuple[str, ...]:
        raise NotImplementedError

    def show(self, records: list[object]) -> None:
        self.records = records
        self._set_columns()
        rows = [Row(str(index), self.row(record)) for index, record in enumerate(records)]
        self.query_one(PageTable).replace_rows(rows, keep_cursor=True)
        self.after_show(records)
        if self.announce:
            self.announce = False
            self.notify(self.session.tr.gettext(N_("Saved")))

    def after_show(self, records: list[object]) -> None:
        """What a pane does once fresh rows are shown (before a save is announced)."""

    @property
    def current(self) -> object | None:
        table = self.query_one(PageTable)
        if not self.records:
            return None
        return self.records[min(table.cursor_row, len(self.records) - 1)]

    @on(PageTable.RowSelected)
    def row_chosen(self) -> None:
        self.action_edit()

    def action_add(self) -> None:
        self.app.push_screen(self.dialog(None), self._dialog_closed)

    def action_edit(self) -> None:
        record = self.current
        if record is not None:
            self.app.push_screen(self.dialog(record), self._dialog_closed)

    def dialog(self, record: object | None):  # type: ignore[no-untyped-def]
        raise NotImplementedError

    def _dialog_closed(self, saved: bool | None) -> None:
        if saved:
            self.announce = True  # once reloaded, in the language the save may have changed
            self.reload()
            self.post_message(DataChanged("settings"))

    def yes_no(self, value: bool) -> str:
        return self.session.tr.gettext(YES if value else NO)


class CompaniesPane(_TablePane):
    COLUMNS = (
        (N_("Name"), 1),
        (N_("Prefix"), 0),
        (N_("Currency"), 0),
        (N_("Stripe account"), 1),
        (N_("Active"), 0),
    )
    HELP = N_("A adds a billing company; Enter edits the one selected.")

    def __init__(self, session: StaffSession) -> None:
        super().__init__(session, id="settings-companies")
        self.locked: set[int] = set()
        self.credit_locked: set[int] = set()  # companies that issued credit notes

    def load(self) -> list[object]:
        companies = list_companies()
        self.locked = {company.id for company in companies if prefix_in_use(company.id)}
        self.credit_locked = {company.id for company in companies if credit_prefix_in_use(company.id)}
        return list(companies)

    def row(self, record: object) -> tuple[str, ...]:
        assert isinstance(record, BillingCompany)
        return (
            record.name,
            record.number_prefix,
            record.currency,
            record.stripe_account_id or "—",
            self.yes_no(record.active),
        )

    def dialog(self, record: object | None):  # type: ignore[no-untyped-def]
        from tui.dialogs.settings_company import CompanyDialog

        company = record if isinstance(record, BillingCompany) else None
        return CompanyDialog(
            self.session,
            company,
            prefix_locked=company is not None and company.id in self.locked,
            credit_locked=company is not None and company.id in self.credit_locked,
        )


class StaffPane(_TablePane):
    COLUMNS = ((N_("Login"), 0), (N_("Name"), 1), (N_("Roles"), 1), (N_("Language"), 0), (N_("Active"), 0))
    HELP = N_("A adds a staff member; Enter edits roles, language, name or deactivates.")

    def __init__(self, session: StaffSession) -> None:
        super().__init__(session, id="settings-staff")

    def load(self) -> list[object]:
        return list(list_staff())

    def after_show(self, records: list[object]) -> None:
        me = self.session.staff
        for record in records:
            if isinstance(record, Staff) and record.id == me.id:
                changed = (record.language, record.display_name) != (me.language, me.display_name)
                self.session.staff = record  # the admin edited themselves: their name and language follow
                if changed:
                    _retranslate(self)

    def row(self, record: object) -> tuple[str, ...]:
        assert isinstance(record, Staff)
        tr = self.session.tr
        roles = ", ".join(tr.gettext(ROLE_LABELS[role]) for role in Role if role in record.role_set)
        return (record.login, record.display_name, roles, record.language, self.yes_no(record.active))

    def dialog(self, record: object | None):  # type: ignore[no-untyped-def]
        from tui.dialogs.settings_staff import StaffDialog

        return StaffDialog(self.session, record if isinstance(record, Staff) else None)

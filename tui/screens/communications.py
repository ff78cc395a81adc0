"""``CommunicationsScreen``: automatic invoice emails and reminders, waiting (soonest first) or done
(latest first, with their delivery status); cancel one, or everything waiting for an invoice.

Rows are read a page at a time in a thread worker (keyset paging on ``(due_at, id)``); the next
page loads when the cursor nears the end, and the rows shown are read again every
``refresh_seconds``. Cancelling needs the billing role and a confirmation.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import DataTable, Header, Input, Select, Static
from textual.worker import get_current_worker

from locales import N_
from models.core.enums import Role
from models.core.errors import NotFoundError
from models.workflow.reminders import cancel_invoice_schedule, cancel_scheduled
from tui.dialogs.confirm import ConfirmDialog
from tui.messages import DataChanged, OpenInvoice
from tui.session import RoleDenied, StaffSession
from tui.texts import translate_bindings
from tui.widgets.key_footer import KeyFooter
from tui.widgets.scheduled_table import DONE_CHOICES, Filters, ScheduledRow, ScheduledTable, fetch_rows
from tui.workers import error_text, run_db

NEAR_END = 10


class CommunicationsScreen(Screen[None]):
    """What is scheduled and what went out; ``m`` switches between them, Escape goes back."""

    CSS_PATH = "communications.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "leave", N_("Back")),
        Binding("o", "open_invoice", N_("Open invoice")),
        Binding("c", "cancel_one", N_("Cancel")),
        Binding("C", "cancel_invoice", N_("Cancel all of the invoice")),
        Binding("m", "toggle_view", N_("Waiting / done")),
        Binding("f", "filter", N_("Filter")),
    ]

    def __init__(self, session: StaffSession, *, page_size: int = 100, refresh_seconds: float = 5.0) -> None:
        super().__init__()
        self.session = session
        self.page_size = page_size
        self.refresh_seconds = refresh_seconds
        self.filters = Filters()
        self.rows: list[ScheduledRow] = []
        self.has_more = False
        self.reading: int | None = None
        self.token = 0

    def compose(self) -> ComposeResult:
        yield Header(icon="✉")
        yield Static("", id="comm-title")
        with Horizontal(id="comm-filters"):
            yield Select[str]([], id="comm-status", compact=True)
            yield Input(id="comm-invoice", compact=True, max_length=40)
        yield Static("", id="comm-error", markup=False)
        yield ScheduledTable(self.session, id="comm-table")
        yield Static("", id="comm-empty")
        yield Static("", id="comm-selected", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#comm-error").display = False
        self.query_one("#comm-empty").display = False
        self.apply_texts()
        self.query_one(ScheduledTable).focus()
        self.reload()
        self.set_interval(self.refresh_seconds, self.refresh_rows)

    def on_resize(self, event: events.Resize) -> None:
        self.query_one(ScheduledTable).layout_for(event.size.width)

    def apply_texts(self) -> None:
        tr = self.session.tr
        translate_bindings(self, tr)
        table = self.query_one(ScheduledTable)
        table.layout_for(self.size.width)
        table.apply_texts()
        self._status_options()
        self.query_one("#comm-invoice", Input).placeholder = tr.gettext(N_("invoice number"))
        self.query_one("#comm-empty", Static).update(tr.gettext(N_("Nothing matches these filters")))
        self._show_title()

    def _status_options(self) -> None:
        tr = self.session.tr
        select = self.query_one("#comm-status", Select)
        with self.prevent(Select.Changed):
            select.set_options([(tr.gettext(label), key) for key, label in DONE_CHOICES.items()])
            select.prompt = tr.gettext(N_("every status"))
            if self.filters.status:
                select.value = self.filters.status
        select.display = not self.filters.waiting

    def _show_title(self) -> None:
        tr = self.session.tr
        if self.filters.waiting:
            title = tr.gettext(N_("Scheduled: automatic emails and reminders to come, soonest first"))
        else:
            title = tr.gettext(N_("Done: queued, skipped or cancelled, latest first"))
        self.query_one("#comm-title", Static).update(f"[b]{title}[/b]")

    # Reading ----------------------------------------------------------------------------

    def reload(self) -> None:
        self.token += 1
        self.reading = self.token
        self.fetch(self.token, self.filters, None, self.page_size, replace=True)

    def refresh_rows(self) -> None:
        if self.reading is None and self.is_current:
            self.token += 1
            self.reading = self.token
            self.fetch(self.token, self.filters, None, max(len(self.rows), self.page_size), replace=True)

    def load_more(self) -> None:
        if self.reading is None and self.has_more and self.rows:
            self.token += 1
            self.reading = self.token
            last = self.rows[-1]
            self.fetch(self.token, self.filters, (last.due_at, last.id), self.page_size, replace=False)

    @work(thread=True, exclusive=True, group="communications-load")
    def fetch(
        self, token: int, filters: Filters, after: tuple[datetime, int] | None, limit: int, *, replace: bool
    ) -> None:
        tr = self.session.tr

        def failed(exc: BaseException) -> None:
            if isinstance(exc, NotFoundError):
                self._failed(token, exc.render(tr), bad_invoice=True)
            else:
                self._failed(token, error_text(exc, tr), quiet=not replace)

        rows = run_db(self, lambda: fetch_rows(filters, tr, after=after, limit=limit), tr=tr, failed=failed)
        if rows is not None and not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._loaded, token, rows, limit, replace)

    def _loaded(self, token: int, rows: list[ScheduledRow], limit: int, replace: bool) -> None:
        if token != self.reading:
            return
        self.reading = None
        self.rows = rows if replace else self.rows + rows
        self.has_more = len(rows) == limit
        self.query_one("#comm-invoice").remove_class("-invalid")
        self._show_error(None)
        table = self.query_one(ScheduledTable)
        table.show(self.rows)
        table.display = bool(self.rows)
        self.query_one("#comm-empty").display = not self.rows
        self._show_selected()
        self.refresh_bindings()

    def _failed(self, token: int, text: str, *, quiet: bool = False, bad_invoice: bool = False) -> None:
        if token != self.reading:
            return
        self.reading = None
        if bad_invoice:
            self.rows, self.has_more = [], False
            self.query_one(ScheduledTable).show([])
            self.query_one("#comm-invoice").add_class("-invalid")
            self._show_error(text)
            self._show_selected()
        elif not quiet:
            self.notify(text, severity="error")

    def _show_error(self, text: str | None) -> None:
        error = self.query_one("#comm-error", Static)
        error.update(text or "")
        error.display = text is not None

    @on(DataTable.RowHighlighted, "#comm-table")
    def near_the_end(self, event: DataTable.RowHighlighted) -> None:
        if event.cursor_row >= len(self.rows) - NEAR_END:
            self.load_more()
        self._show_selected()
        self.refresh_bindings()

    def _show_selected(self) -> None:
        """The highlighted row's template, recipient and full reason, which the columns may cut."""
        row = self.query_one(ScheduledTable).selected
        parts = (row.template, row.recipient, row.reason) if row is not None else ()
        self.query_one("#comm-selected", Static).update(" · ".join(part for part in parts if part))

    # Filters ----------------------------------------------------------------------------

    @on(Select.Changed, "#comm-status")
    @on(Input.Changed, "#comm-invoice")
    def filters_changed(self) -> None:
        status = self.query_one("#comm-status", Select).value
        self.filters = Filters(
            waiting=self.filters.waiting,
            status=status if isinstance(status, str) and not self.filters.waiting else None,
            invoice=self.query_one("#comm-invoice", Input).value,
        )
        self.reload()

    def action_filter(self) -> None:
        target = "#comm-invoice" if self.filters.waiting else "#comm-status"
        self.query_one(target).focus()

    def action_toggle_view(self) -> None:
        self.filters = Filters(waiting=not self.filters.waiting, invoice=self.filters.invoice)
        self.rows, self.has_more = [], False
        with self.prevent(Select.Changed):
            self.query_one("#comm-status", Select).clear()
        self._status_options()
        self._show_title()
        self.reload()
        self.refresh_bindings()

    # Actions ----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        row = self.query_one(ScheduledTable).selected
        if action in ("cancel_one", "cancel_invoice"):
            return row is not None and row.waiting
        if action == "open_invoice":
            return row is not None
        return True

    @on(DataTable.RowSelected, "#comm-table")
    def action_open_invoice(self) -> None:
        row = self.query_one(ScheduledTable).selected
        if row is not None:
            self.post_message(OpenInvoice(row.invoice_id))

    def _billing_allowed(self) -> bool:
        try:
            self.session.require(Role.BILLING)
        except RoleDenied as exc:
            self.notify(exc.render(self.session.tr), severity="warning")
            return False
        return True

    def action_cancel_one(self) -> None:
        row = self.query_one(ScheduledTable).selected
        if row is None or not row.waiting or not self._billing_allowed():
            return
        tr = self.session.tr
        question = tr.format(
            N_("Cancel “{template}” for invoice {number}? It will not be sent."),
            template=row.template,
            number=row.number,
        )
        dialog = ConfirmDialog(question, tr.gettext(N_("Cancel it")), tr.gettext(N_("Keep it")))
        self._ask(dialog, row, everything=False)

    def action_cancel_invoice(self) -> None:
        row = self.query_one(ScheduledTable).selected
        if row is None or not row.waiting or not self._billing_allowed():
            return
        tr = self.session.tr
        question = tr.format(
            N_("Cancel everything still waiting for invoice {number} (its reminders, its delayed emails)?"),
            number=row.number,
        )
        dialog = ConfirmDialog(question, tr.gettext(N_("Cancel them all")), tr.gettext(N_("Keep them")))
        self._ask(dialog, row, everything=True)

    def _ask(self, dialog: ConfirmDialog, row: ScheduledRow, *, everything: bool) -> None:
        def answered(yes: bool | None) -> None:
            if yes:
                self.run_cancel(row, everything=everything)

        self.app.push_screen(dialog, answered)

    @work(thread=True, group="communications-write")
    def run_cancel(self, row: ScheduledRow, *, everything: bool) -> None:
        tr = self.session.tr
        staff = self.session.staff

        def cancel_messages() -> str:
            if everything:
                count = cancel_invoice_schedule(row.invoice_id, staff=staff)
            else:
                cancel_scheduled(row.id, staff=staff)
                count = 1
            return tr.nformat(
                "{count} message of invoice {number} cancelled",
                "{count} messages of invoice {number} cancelled",
                count,
                count=count,
                number=row.number,
            )

        run_db(self, cancel_messages, self._written, tr=tr)

    def _written(self, text: str) -> None:
        self.notify(text)
        self.post_message(DataChanged("scheduled"))
        self.reading = None
        self.refresh_rows()

    def action_leave(self) -> None:
        self.dismiss(None)

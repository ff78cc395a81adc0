"""``CommunicationsScreen``: automatic invoice emails and reminders, waiting (soonest first) or done
(latest first, with their delivery status); cancel one, or everything waiting for an invoice.

Paging, refreshing and opening the invoice come from ``PagedListScreen`` (keyset paging on
``(due_at, id)``). Cancelling needs the billing role and a confirmation.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Input, Select

from locales import N_
from models.workflow.reminders import cancel_invoice_schedule, cancel_scheduled
from tui.dialogs.confirm import ConfirmDialog
from tui.screens.paged_list import PagedListScreen
from tui.session import StaffSession
from tui.widgets.scheduled_table import DONE_CHOICES, Filters, ScheduledRow, ScheduledTable, fetch_rows
from tui.workers import run_db


class CommunicationsScreen(PagedListScreen[ScheduledRow, Filters]):
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
    PREFIX = "comm"
    CHANGED = "scheduled"

    def __init__(self, session: StaffSession, *, page_size: int = 100, refresh_seconds: float = 5.0) -> None:
        super().__init__(session, Filters(), page_size=page_size, refresh_seconds=refresh_seconds)

    def compose_filters(self) -> ComposeResult:
        yield Select[str]([], id="comm-status", compact=True)
        yield Input(id="comm-invoice", compact=True, max_length=40)

    def make_table(self) -> ScheduledTable:
        return ScheduledTable(self.session, id="comm-table")

    @property
    def table(self) -> ScheduledTable:
        return self.query_one(ScheduledTable)

    def layout_table(self, width: int) -> None:
        self.table.layout_for(width)

    def apply_texts(self) -> None:
        super().apply_texts()
        self.query_one("#comm-invoice", Input).placeholder = self.session.tr.gettext(N_("invoice number"))

    def status_options(self) -> None:
        tr = self.session.tr
        select = self.query_one("#comm-status", Select)
        with self.prevent(Select.Changed):
            select.set_options([(tr.gettext(label), key) for key, label in DONE_CHOICES.items()])
            select.prompt = tr.gettext(N_("every status"))
            if self.filters.status:
                select.value = self.filters.status
        select.display = not self.filters.waiting

    def heading(self) -> str:
        tr = self.session.tr
        if self.filters.waiting:
            return tr.gettext(N_("Scheduled: automatic emails and reminders to come, soonest first"))
        return tr.gettext(N_("Done: queued, skipped or cancelled, latest first"))

    def read_page(self, filters: Filters, after: ScheduledRow | None, limit: int) -> list[ScheduledRow]:
        key = (after.due_at, after.id) if after is not None else None
        return fetch_rows(filters, self.session.tr, after=key, limit=limit)

    def row_details(self, row: ScheduledRow) -> tuple[str, ...]:
        """The template, the recipient and the full reason."""
        return row.template, row.recipient, row.reason

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
        self._switch_view(Filters(waiting=not self.filters.waiting, invoice=self.filters.invoice))

    # Actions ----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("cancel_one", "cancel_invoice"):
            row = self.table.selected
            return row is not None and row.waiting
        return super().check_action(action, parameters)

    def action_cancel_one(self) -> None:
        row = self.table.selected
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
        row = self.table.selected
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

"""``CommunicationsScreen``: automatic invoice emails and reminders, waiting (soonest first) or done
(latest first, with their delivery status); cancel one, or everything waiting for an invoice; pause
and resume the reminders of an invoice or of its patient.

Paging, refreshing and opening the invoice come from ``PagedListScreen`` (keyset paging on
``(due_at, id)``). The waiting view shows the next 30 days (or all), when each message really goes
(the sending window, a pause) with its warnings, and above the table the public holidays of the
next 30 days. Cancelling, pausing and resuming need the billing role; cancelling and resuming a
confirmation.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Input, Select, Static

from locales import N_
from locales.formatting import format_date
from models.database.base import utcnow
from models.views.pause_texts import resumed_text
from models.views.scheduled_plan import holiday_note
from models.workflow.reminder_pauses import resume_pause
from models.workflow.reminders import cancel_invoice_schedule, cancel_scheduled
from tui.dialogs.confirm import ConfirmDialog
from tui.dialogs.pause_reminders import PauseRemindersDialog
from tui.screens.paged_list import PagedListScreen
from tui.session import StaffSession
from tui.widgets.scheduled_table import (
    DONE_CHOICES,
    SCOPE_CHOICES,
    Filters,
    ScheduledRow,
    ScheduledTable,
    fetch_rows,
)
from tui.workers import run_db


class CommunicationsScreen(PagedListScreen[ScheduledRow, Filters]):
    """What is scheduled and what went out; ``m`` switches between them, Escape goes back."""

    CSS_PATH = "communications.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "leave", N_("Back")),
        Binding("o", "open_invoice", N_("Open invoice")),
        Binding("c", "cancel_one", N_("Cancel")),
        Binding("C", "cancel_invoice", N_("Cancel all of the invoice")),
        Binding("p", "pause", N_("Pause reminders")),
        Binding("r", "resume", N_("Resume reminders")),
        Binding("m", "toggle_view", N_("Waiting / done")),
        Binding("f", "filter", N_("Filter")),
    ]
    PREFIX = "comm"
    CHANGED = "scheduled"

    def __init__(self, session: StaffSession, *, page_size: int = 100, refresh_seconds: float = 5.0) -> None:
        super().__init__(session, Filters(), page_size=page_size, refresh_seconds=refresh_seconds)

    @property
    def clock(self) -> Callable[[], datetime]:
        """The app's clock (tests and snapshots freeze it)."""
        clock: Callable[[], datetime] = getattr(self.app, "clock", utcnow)
        return clock

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            if widget.id == "comm-table":  # the holidays to come, just above the table
                yield Static("", id="comm-holidays", markup=False)
            yield widget

    def compose_filters(self) -> ComposeResult:
        yield Select[str]([], id="comm-status", compact=True)
        tr = self.session.tr
        scopes = [(tr.gettext(label), key) for key, label in SCOPE_CHOICES.items()]
        yield Select[str](scopes, id="comm-scope", compact=True, allow_blank=False)
        yield Input(id="comm-invoice", compact=True, max_length=40)

    def make_table(self) -> ScheduledTable:
        return ScheduledTable(self.session, id="comm-table")

    @property
    def table(self) -> ScheduledTable:
        return self.query_one(ScheduledTable)

    def layout_table(self, width: int) -> None:
        self.table.layout_for(width, self.filters.waiting)

    def apply_texts(self) -> None:
        super().apply_texts()
        self.query_one("#comm-invoice", Input).placeholder = self.session.tr.gettext(N_("invoice number"))
        self.query_one("#comm-holidays").display = False
        self.load_holidays()

    @work(thread=True, exclusive=True, group="communications-holidays")
    def load_holidays(self) -> None:
        """The public holidays of the next 30 days that close a sending day, in the reader's language."""
        tr, now = self.session.tr, self.clock()
        run_db(self, lambda: holiday_note(now, tr), self._show_holidays, tr=tr)

    def _show_holidays(self, text: str) -> None:
        note = self.query_one("#comm-holidays", Static)
        note.update(text)
        note.display = bool(text) and self.filters.waiting

    def status_options(self) -> None:
        tr = self.session.tr
        select = self.query_one("#comm-status", Select)
        with self.prevent(Select.Changed):
            select.set_options([(tr.gettext(label), key) for key, label in DONE_CHOICES.items()])
            select.prompt = tr.gettext(N_("every status"))
            if self.filters.status:
                select.value = self.filters.status
        select.display = not self.filters.waiting
        scope = self.query_one("#comm-scope", Select)
        with self.prevent(Select.Changed):
            scope.set_options([(tr.gettext(label), key) for key, label in SCOPE_CHOICES.items()])
            scope.value = str(self.filters.days) if self.filters.days else "all"
        scope.display = self.filters.waiting
        note = self.query_one("#comm-holidays", Static)
        note.display = self.filters.waiting and bool(str(note.render()))

    def heading(self) -> str:
        tr = self.session.tr
        if self.filters.waiting:
            return tr.gettext(N_("Scheduled: automatic emails and reminders to come, soonest first"))
        return tr.gettext(N_("Done: queued, skipped or cancelled, latest first"))

    def read_page(self, filters: Filters, after: ScheduledRow | None, limit: int) -> list[ScheduledRow]:
        key = (after.due_at, after.id) if after is not None else None
        return fetch_rows(filters, self.session.tr, now=self.clock(), after=key, limit=limit)

    def row_details(self, row: ScheduledRow) -> tuple[str, ...]:
        """The template, the recipient, the full reason and, waiting, every warning in full."""
        return row.template, row.recipient, row.reason, *row.warnings

    # Filters ----------------------------------------------------------------------------

    @on(Select.Changed, "#comm-status")
    @on(Select.Changed, "#comm-scope")
    @on(Input.Changed, "#comm-invoice")
    def filters_changed(self) -> None:
        status = self.query_one("#comm-status", Select).value
        scope = self.query_one("#comm-scope", Select).value
        self.filters = Filters(
            waiting=self.filters.waiting,
            status=status if isinstance(status, str) and not self.filters.waiting else None,
            invoice=self.query_one("#comm-invoice", Input).value,
            days=int(scope) if isinstance(scope, str) and scope.isdigit() else None,
        )
        self.reload()

    def action_filter(self) -> None:
        target = "#comm-invoice" if self.filters.waiting else "#comm-status"
        self.query_one(target).focus()

    def action_toggle_view(self) -> None:
        waiting = not self.filters.waiting
        self._switch_view(Filters(waiting=waiting, invoice=self.filters.invoice, days=self.filters.days))

    # Actions ----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("cancel_one", "cancel_invoice", "pause"):
            row = self.table.selected
            return row is not None and row.waiting
        if action == "resume":
            row = self.table.selected
            return row is not None and row.pause is not None
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

    def action_pause(self) -> None:
        row = self.table.selected
        if row is None or not row.waiting or not self._billing_allowed():
            return
        dialog = PauseRemindersDialog(
            self.session,
            invoice_id=row.invoice_id,
            number=row.number,
            patient_id=row.patient_id,
            patient_name=row.patient_name,
            clock=self.clock,
        )

        def paused(text: str | None) -> None:
            if text:
                self._written(text)

        self.app.push_screen(dialog, paused)

    def action_resume(self) -> None:
        row = self.table.selected
        if row is None or row.pause is None or not self._billing_allowed():
            return
        tr, session, pause = self.session.tr, self.session, row.pause
        until = format_date(pause.until, tr.language, session.country, "medium")
        question = (
            tr.format(
                N_(
                    "Resume the reminders of invoice {number}, paused until {date}? "
                    "Those it held go at the next pass, in the sending hours."
                ),
                number=row.number,
                date=until,
            )
            if pause.on_invoice
            else tr.format(
                N_(
                    "Resume the reminders of every invoice of {name}, paused until {date}? "
                    "Those it held go at the next pass, in the sending hours."
                ),
                name=row.patient_name,
                date=until,
            )
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self.run_resume(pause.id)

        dialog = ConfirmDialog(question, tr.gettext(N_("Resume them")), tr.gettext(N_("Keep the pause")))
        self.app.push_screen(dialog, answered)

    @work(thread=True, group="communications-write")
    def run_resume(self, pause_id: int) -> None:
        tr, staff, now = self.session.tr, self.session.staff, self.clock()
        run_db(
            self, lambda: resumed_text(resume_pause(pause_id, staff=staff, now=now), tr), self._written, tr=tr
        )

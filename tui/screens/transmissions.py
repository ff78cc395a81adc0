"""``TransmissionsScreen``: every delivery attempt (or the outbox), filtered, paged, refreshed; send again.

Paging, refreshing and opening the invoice come from ``PagedListScreen`` (keyset paging on id,
newest first). "Send again" and "cancel" need the billing role and a confirmation.
"""

from __future__ import annotations

import re
from datetime import date
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Input, Select

from locales import N_
from models.core.enums import OutboxStatus, TransmissionStatus
from models.messaging.tables import OutboxMessage, Transmission
from models.views.outbox_queries import OUTBOX_STATUS
from models.workflow.sending import cancel, resend
from tui.dialogs.confirm import ConfirmDialog
from tui.screens.paged_list import PagedListScreen
from tui.session import StaffSession
from tui.transmission_text import detail_text
from tui.widgets.invoice_transmissions import TRANSMISSION_STATUS
from tui.widgets.transmission_log import LogFilters, LogRow, TransmissionLog, fetch_rows
from tui.workers import run_db

ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


class TransmissionsScreen(PagedListScreen[LogRow, LogFilters]):
    """The transmissions log, or the outbox (``m``); Escape goes back."""

    CSS_PATH = "transmissions.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "leave", N_("Back")),
        Binding("o", "open_invoice", N_("Open invoice")),
        Binding("s", "send_again", N_("Send again")),
        Binding("c", "cancel_message", N_("Cancel message")),
        Binding("m", "toggle_outbox", N_("Outbox / log")),
        Binding("f", "filter", N_("Filter")),
    ]
    PREFIX = "tx"
    CHANGED = "outbox"

    def __init__(self, session: StaffSession, *, page_size: int = 100, refresh_seconds: float = 5.0) -> None:
        super().__init__(session, LogFilters(), page_size=page_size, refresh_seconds=refresh_seconds)

    def compose_filters(self) -> ComposeResult:
        yield Select[str]([], id="tx-status", compact=True)
        yield Input(id="tx-since", compact=True, max_length=10)
        yield Input(id="tx-until", compact=True, max_length=10)
        yield Input(id="tx-invoice", compact=True, max_length=40)

    def make_table(self) -> TransmissionLog:
        return TransmissionLog(self.session, id="tx-table")

    @property
    def table(self) -> TransmissionLog:
        return self.query_one(TransmissionLog)

    def layout_table(self, width: int) -> None:
        self.table.layout_for(self.filters.outbox, width)

    def apply_texts(self) -> None:
        super().apply_texts()
        tr = self.session.tr
        self.query_one("#tx-since", Input).placeholder = tr.gettext(N_("from YYYY-MM-DD"))
        self.query_one("#tx-until", Input).placeholder = tr.gettext(N_("to YYYY-MM-DD"))
        self.query_one("#tx-invoice", Input).placeholder = tr.gettext(N_("invoice number"))

    def status_options(self) -> None:
        tr = self.session.tr
        labels = OUTBOX_STATUS if self.filters.outbox else TRANSMISSION_STATUS
        statuses = list(OutboxStatus) if self.filters.outbox else list(TransmissionStatus)
        select = self.query_one("#tx-status", Select)
        value = select.value
        with self.prevent(Select.Changed):
            select.set_options([(tr.gettext(labels[status]), status.value) for status in statuses])
            select.prompt = tr.gettext(N_("every status"))
            if isinstance(value, str) and value in {status.value for status in statuses}:
                select.value = value

    def heading(self) -> str:
        tr = self.session.tr
        if self.filters.outbox:
            return tr.gettext(N_("Outbox, newest first"))
        return tr.gettext(N_("Transmissions, newest first"))

    def read_page(self, filters: LogFilters, after: LogRow | None, limit: int) -> list[LogRow]:
        return fetch_rows(filters, before_id=after.id if after is not None else None, limit=limit)

    def row_details(self, row: LogRow) -> tuple[str | None, ...]:
        """The reply code, the provider's full reply and the provider id."""
        return row.code, detail_text(row.detail, self.session.tr, row.code), row.provider_id

    # Filters ----------------------------------------------------------------------------

    @on(Select.Changed, "#tx-status")
    @on(Input.Changed, "#tx-since, #tx-until, #tx-invoice")
    def filters_changed(self) -> None:
        tr = self.session.tr
        days: dict[str, date | None] = {}
        problem: str | None = None
        for name in ("since", "until"):
            field = self.query_one(f"#tx-{name}", Input)
            typed = field.value.strip()
            day = _parse_day(typed)
            field.set_class(day is False, "-invalid")
            if day is False:
                problem = problem or tr.format(
                    N_("{value} is not a date: write it as YYYY-MM-DD, e.g. 2026-03-14"), value=typed
                )
            days[name] = day if isinstance(day, date) else None
        since, until = days["since"], days["until"]
        if problem is None and since and until and since > until:
            self.query_one("#tx-until").add_class("-invalid")
            problem = tr.gettext(N_("the end date comes before the start date"))
        self._show_error(problem)
        if problem is not None:
            return  # the rows of the last valid filters stay
        status = self.query_one("#tx-status", Select).value
        self.filters = LogFilters(
            outbox=self.filters.outbox,
            status=status if isinstance(status, str) else None,
            since=since,
            until=until,
            invoice=self.query_one("#tx-invoice", Input).value,
        )
        self.reload()

    def action_filter(self) -> None:
        self.query_one("#tx-status", Select).focus()

    def action_toggle_outbox(self) -> None:
        self._switch_view(
            LogFilters(
                outbox=not self.filters.outbox,
                since=self.filters.since,
                until=self.filters.until,
                invoice=self.filters.invoice,
            )
        )

    # Actions ----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_message":
            row = self.table.selected
            return self.filters.outbox and row is not None and row.status == OutboxStatus.PENDING
        if action == "send_again":
            return self.table.selected is not None
        return super().check_action(action, parameters)

    def action_send_again(self) -> None:
        row = self.table.selected
        if row is None or not self._billing_allowed():
            return
        tr = self.session.tr
        question = tr.format(
            N_("Send invoice {number} again to {recipient}?"),
            number=row.number,
            recipient=row.recipient or "—",
        )
        dialog = ConfirmDialog(question, tr.gettext(N_("Send again")), tr.gettext(N_("Cancel")))

        def answered(yes: bool | None) -> None:
            if yes:
                self.run_resend(row)

        self.app.push_screen(dialog, answered)

    @work(thread=True, group="transmissions-write")
    def run_resend(self, row: LogRow) -> None:
        tr = self.session.tr

        def queue_again() -> str:
            item = OutboxMessage.get_by_id(row.id) if self.filters.outbox else Transmission.get_by_id(row.id)
            queued = resend(item, staff=self.session.staff)
            return tr.format(
                N_("Invoice {number} is queued again for {recipient}"),
                number=row.number,
                recipient=queued.recipient_email or queued.recipient_phone or "—",
            )

        run_db(self, queue_again, self._written, tr=tr)

    def action_cancel_message(self) -> None:
        row = self.table.selected
        if row is None or not self.filters.outbox or not self._billing_allowed():
            return
        tr = self.session.tr
        question = tr.format(
            N_("Cancel the message of invoice {number} to {recipient}?"),
            number=row.number,
            recipient=row.recipient or "—",
        )
        dialog = ConfirmDialog(question, tr.gettext(N_("Cancel the message")), tr.gettext(N_("Keep it")))

        def answered(yes: bool | None) -> None:
            if yes:
                self.run_cancel(row)

        self.app.push_screen(dialog, answered)

    @work(thread=True, group="transmissions-write")
    def run_cancel(self, row: LogRow) -> None:
        tr = self.session.tr
        text = tr.format(N_("The message of invoice {number} is cancelled"), number=row.number)
        run_db(self, lambda: cancel(OutboxMessage.get_by_id(row.id)), lambda _: self._written(text), tr=tr)


def _parse_day(typed: str) -> date | bool | None:
    """A ``YYYY-MM-DD`` day, ``None`` when blank, ``False`` when it is not a real date."""
    if not typed:
        return None
    if not ISO_DAY.fullmatch(typed):
        return False
    try:
        return date.fromisoformat(typed)
    except ValueError:
        return False

"""``TransmissionsScreen``: every delivery attempt (or the outbox), filtered, paged, refreshed; send again.

Rows are read a page at a time in a thread worker (keyset paging on id, newest first);
the next page loads when the cursor nears the end. The visible rows are read again every
``refresh_seconds`` while the screen is shown, keeping the cursor on its row. "Send again"
and "cancel" need the billing role and a confirmation; "open invoice" posts ``OpenInvoice``.
"""

from __future__ import annotations

import re
from datetime import date
from typing import ClassVar

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import DataTable, Header, Input, Select, Static
from textual.worker import get_current_worker

from locales import N_
from models.core.enums import OutboxStatus, Role, TransmissionStatus
from models.core.errors import NotFoundError
from models.messaging.tables import OutboxMessage, Transmission
from models.views.outbox_queries import OUTBOX_STATUS
from models.workflow.sending import cancel, resend
from tui.dialogs.confirm import ConfirmDialog
from tui.messages import DataChanged, OpenInvoice
from tui.session import RoleDenied, StaffSession
from tui.texts import translate_bindings
from tui.transmission_text import detail_text
from tui.widgets.invoice_transmissions import TRANSMISSION_STATUS
from tui.widgets.key_footer import KeyFooter
from tui.widgets.transmission_log import LogFilters, LogRow, TransmissionLog, fetch_rows
from tui.workers import error_text, run_db

ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
NEAR_END = 10  # rows from the end at which the next page is fetched


class TransmissionsScreen(Screen[None]):
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

    def __init__(self, session: StaffSession, *, page_size: int = 100, refresh_seconds: float = 5.0) -> None:
        super().__init__()
        self.session = session
        self.page_size = page_size
        self.refresh_seconds = refresh_seconds
        self.filters = LogFilters()
        self.rows: list[LogRow] = []
        self.has_more = False
        self.reading: int | None = None  # the token of the read whose rows are awaited
        self.token = 0

    def compose(self) -> ComposeResult:
        yield Header(icon="✉")
        yield Static("", id="tx-title")
        with Horizontal(id="tx-filters"):
            yield Select[str]([], id="tx-status", compact=True)
            yield Input(id="tx-since", compact=True, max_length=10)
            yield Input(id="tx-until", compact=True, max_length=10)
            yield Input(id="tx-invoice", compact=True, max_length=40)
        yield Static("", id="tx-error", markup=False)
        yield TransmissionLog(self.session, id="tx-table")
        yield Static("", id="tx-empty")
        yield Static("", id="tx-selected", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#tx-error").display = False
        self.query_one("#tx-empty").display = False
        self.apply_texts()
        self.query_one(TransmissionLog).focus()
        self.reload()
        self.set_interval(self.refresh_seconds, self.refresh_rows)

    def on_resize(self, event: events.Resize) -> None:
        self.query_one(TransmissionLog).layout_for(self.filters.outbox, event.size.width)

    def apply_texts(self) -> None:
        tr = self.session.tr
        translate_bindings(self, tr)
        self.query_one(TransmissionLog).layout_for(self.filters.outbox, self.size.width)
        self.query_one(TransmissionLog).apply_texts()
        self._status_options()
        self.query_one("#tx-since", Input).placeholder = tr.gettext(N_("from YYYY-MM-DD"))
        self.query_one("#tx-until", Input).placeholder = tr.gettext(N_("to YYYY-MM-DD"))
        self.query_one("#tx-invoice", Input).placeholder = tr.gettext(N_("invoice number"))
        self.query_one("#tx-empty", Static).update(tr.gettext(N_("Nothing matches these filters")))
        self._show_title()

    def _status_options(self) -> None:
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

    def _show_title(self) -> None:
        tr = self.session.tr
        if self.filters.outbox:
            title = tr.gettext(N_("Outbox, newest first"))
        else:
            title = tr.gettext(N_("Transmissions, newest first"))
        self.query_one("#tx-title", Static).update(f"[b]{title}[/b]")

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
        if self.reading is None and self.has_more and self.rows:
            self.token += 1
            self.reading = self.token
            self.fetch(self.token, self.filters, self.rows[-1].id, self.page_size, replace=False)

    @work(thread=True, exclusive=True, group="transmissions-load")
    def fetch(
        self, token: int, filters: LogFilters, before_id: int | None, limit: int, *, replace: bool
    ) -> None:
        tr = self.session.tr

        def failed(exc: BaseException) -> None:
            if isinstance(exc, NotFoundError):
                self._failed(token, exc.render(tr), quiet=False, bad_invoice=True)
            else:
                self._failed(token, error_text(exc, tr), quiet=not replace)

        rows = run_db(
            self, lambda: fetch_rows(filters, before_id=before_id, limit=limit), tr=tr, failed=failed
        )
        if rows is not None and not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._loaded, token, rows, limit, replace)

    def _loaded(self, token: int, rows: list[LogRow], limit: int, replace: bool) -> None:
        if token != self.reading:
            return  # the filters changed since: a newer read brings the rows
        self.reading = None
        self.rows = rows if replace else self.rows + rows
        self.has_more = len(rows) == limit
        self.query_one("#tx-invoice").remove_class("-invalid")
        self._show_error(None)
        table = self.query_one(TransmissionLog)
        table.show(self.rows)
        table.display = bool(self.rows)
        self.query_one("#tx-empty").display = not self.rows
        self._show_selected()
        self.refresh_bindings()

    def _failed(self, token: int, text: str, *, quiet: bool, bad_invoice: bool = False) -> None:
        if token != self.reading:
            return
        self.reading = None
        if bad_invoice:
            self.rows, self.has_more = [], False
            self.query_one(TransmissionLog).show([])
            self._show_selected()
            self.query_one("#tx-invoice").add_class("-invalid")
            self._show_error(text)
        elif not quiet:
            self.notify(text, severity="error")

    def _show_error(self, text: str | None) -> None:
        error = self.query_one("#tx-error", Static)
        error.update(text or "")
        error.display = text is not None

    @on(DataTable.RowHighlighted, "#tx-table")
    def near_the_end(self, event: DataTable.RowHighlighted) -> None:
        if event.cursor_row >= len(self.rows) - NEAR_END:
            self.load_more()
        self._show_selected()
        self.refresh_bindings()

    def _show_selected(self) -> None:
        """The highlighted row's full reply and provider id, which the columns may cut."""
        row = self.query_one(TransmissionLog).selected
        tr = self.session.tr
        parts = (row.code, detail_text(row.detail, tr, row.code), row.provider_id) if row is not None else ()
        self.query_one("#tx-selected", Static).update(" · ".join(part for part in parts if part))

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
        self.filters = LogFilters(
            outbox=not self.filters.outbox,
            since=self.filters.since,
            until=self.filters.until,
            invoice=self.filters.invoice,
        )
        self.rows, self.has_more = [], False
        select = self.query_one("#tx-status", Select)
        with self.prevent(Select.Changed):
            select.clear()
        self._status_options()
        self.query_one(TransmissionLog).layout_for(self.filters.outbox, self.size.width)
        self._show_title()
        self.reload()
        self.refresh_bindings()

    # Actions ----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_message":
            row = self.query_one(TransmissionLog).selected
            return self.filters.outbox and row is not None and row.status == OutboxStatus.PENDING
        if action in ("open_invoice", "send_again"):
            return self.query_one(TransmissionLog).selected is not None
        return True

    @on(DataTable.RowSelected, "#tx-table")
    def action_open_invoice(self) -> None:
        row = self.query_one(TransmissionLog).selected
        if row is not None:
            self.post_message(OpenInvoice(row.invoice_id))

    def _billing_allowed(self) -> bool:
        try:
            self.session.require(Role.BILLING)
        except RoleDenied as exc:
            self.notify(exc.render(self.session.tr), severity="warning")
            return False
        return True

    def action_send_again(self) -> None:
        row = self.query_one(TransmissionLog).selected
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
        row = self.query_one(TransmissionLog).selected
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

    def _written(self, text: str) -> None:
        self.notify(text)
        self.post_message(DataChanged("outbox"))
        self.reading = None  # a refresh in flight may predate the write: read again now
        self.refresh_rows()

    def action_leave(self) -> None:
        self.dismiss(None)


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

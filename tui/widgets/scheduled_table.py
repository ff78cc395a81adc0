"""The Communications screen's table: scheduled messages read off the UI thread, paged by keyset.

``fetch_rows`` runs in a worker and returns plain ``ScheduledRow`` records (a page of the
``models.views.scheduled_queries`` order: waiting ones soonest first, the others latest first);
``ScheduledTable.show`` draws them and keeps the cursor on its row across refreshes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from locales import L_, LazyText, Translator
from locales.formatting import format_datetime
from models.admin.templates import display_name
from models.billing.invoicing import find_invoice
from models.core.enums import OutboxStatus, ScheduleStatus
from models.database.base import fk_id
from models.messaging.schedule_reasons import reason_text
from models.views.scheduled_queries import outbox_of, scheduled_query, status_label
from tui.session import StaffSession
from tui.widgets.fitted_table import FittedTable
from tui.widgets.transmission_log import shorten

WIDE = 110
TITLES: dict[str, LazyText] = {
    "when": L_("When"),
    "number": L_("Invoice"),
    "template": L_("Template"),
    "status": L_("Status"),
    "recipient": L_("Recipient"),
    "reason": L_("Reason"),
}
LAYOUTS = {
    False: ("when", "number", "template", "status", "reason"),
    True: ("when", "number", "template", "status", "reason", "recipient"),
}
# The choices of the status filter in the "done" view: what happened to the row, or, once
# queued, what happened to its email.
DONE_CHOICES: dict[str, LazyText] = {
    "sent": L_("sent"),
    "failed": L_("failed"),
    "pending": L_("pending"),
    "enqueued": L_("queued"),
    "skipped": L_("skipped"),
    "cancelled": L_("cancelled"),
    "replaced": L_("replaced"),
}
# the email's status; the others are the row's
DELIVERY_CHOICES = frozenset({"sent", "failed", "pending", "replaced"})


@dataclass(frozen=True)
class Filters:
    """``waiting``: the messages still to go (else the ones done); ``status`` a ``DONE_CHOICES`` key."""

    waiting: bool = True
    status: str | None = None
    invoice: str = ""


@dataclass(frozen=True)
class ScheduledRow:
    id: int
    due_at: datetime
    invoice_id: int
    number: str
    template: str
    status: str
    waiting: bool
    recipient: str
    reason: str


def fetch_rows(
    filters: Filters, tr: Translator, *, after: tuple[datetime, int] | None, limit: int
) -> list[ScheduledRow]:
    """A page of rows for ``filters``; ``NotFoundError`` when the typed invoice does not exist."""
    invoice = find_invoice(filters.invoice) if filters.invoice.strip() else None
    status = delivery = None
    if filters.status in DELIVERY_CHOICES:
        delivery = OutboxStatus(filters.status)
    elif filters.status:
        status = ScheduleStatus(filters.status)
    query = scheduled_query(
        upcoming=filters.waiting,
        status=status,
        delivery=delivery,
        invoice=invoice,
        after=after,
        limit=limit,
    )
    rows = []
    for row in query:
        message = outbox_of(row)
        rows.append(
            ScheduledRow(
                id=row.id,
                due_at=row.due_at,
                invoice_id=fk_id(row, "invoice"),
                number=row.invoice.number or f"#{fk_id(row, 'invoice')}",
                template=display_name(row.template, tr),
                status=tr.gettext(status_label(row.status, message)),
                waiting=row.status == ScheduleStatus.SCHEDULED,
                recipient=(message.recipient_email or "") if message else (row.invoice.billed_to_email or ""),
                reason=reason_text(row.reason, tr),
            )
        )
    return rows


class ScheduledTable(FittedTable):
    """Rows keyed by id; ``show`` keeps the cursor on the same row when it is still there."""

    DEFAULT_CSS = """
    ScheduledTable { height: 1fr; }
    """

    def __init__(self, session: StaffSession, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.session = session
        self.wide = False
        self.rows_shown: list[ScheduledRow] = []

    def layout_for(self, width: int) -> None:
        wide = width >= WIDE
        if wide != self.wide or not self.columns:
            self.wide = wide
            self.apply_texts()

    def apply_texts(self) -> None:
        tr = self.session.tr
        self.clear(columns=True)
        for key in LAYOUTS[self.wide]:
            self.add_column(tr.gettext(TITLES[key]), key=key)
        rows, self.rows_shown = self.rows_shown, []
        self.show(rows)

    @property
    def selected(self) -> ScheduledRow | None:
        if not self.rows_shown or not 0 <= self.cursor_row < len(self.rows_shown):
            return None
        return self.rows_shown[self.cursor_row]

    def show(self, rows: list[ScheduledRow]) -> None:
        if rows == self.rows_shown:
            return
        shown = len(self.rows_shown)
        if shown and rows[:shown] == self.rows_shown:  # a next page: added below, the cursor stays
            self.rows_shown = list(rows)
            for row in rows[shown:]:
                self._add(row)
            return
        current = self.selected
        self.rows_shown = list(rows)
        self.clear()
        for row in rows:
            self._add(row)
        if current is not None:
            for index, row in enumerate(rows):
                if row.id == current.id:
                    self.move_cursor(row=index, animate=False, scroll=False)
                    break

    def _add(self, row: ScheduledRow) -> None:
        session = self.session
        tr = session.tr
        cells = {
            "when": format_datetime(row.due_at, session.timezone, tr.language, session.country, "short"),
            "number": row.number,
            "template": shorten(row.template, 28 if self.wide else 20),
            "status": row.status,
            "recipient": shorten(row.recipient or "—", 28),
            "reason": shorten(row.reason, 60 if self.wide else 40),
        }
        self.add_row(*(cells[key] for key in LAYOUTS[self.wide]), key=str(row.id))

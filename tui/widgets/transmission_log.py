"""The Transmissions screen's table: rows read off the UI thread, columns sized to the terminal.

``fetch_rows`` runs in a worker (keyset paging on id, newest first) and returns plain
``LogRow`` records; ``TransmissionLog.show`` draws them, keeping the cursor on the same
row across refreshes. Two modes: every transmission (one row per attempt per channel) or
the outbox (one row per message, pending and failed ones included).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from locales import L_, LazyText
from locales.formatting import format_datetime
from models.billing.invoicing import find_invoice
from models.core.enums import OutboxStatus, TransmissionStatus
from models.database.base import fk_id
from models.messaging.tables import OutboxMessage, Transmission
from models.views.outbox_queries import OUTBOX_STATUS, outbox_query, recipient, transmission_query
from models.views.outbox_queries import TRANSMISSION_STATUS as SHORT_STATUS
from tui.session import StaffSession
from tui.transmission_text import detail_text
from tui.widgets.fitted_table import FittedTable
from tui.widgets.invoice_transmissions import CHANNEL, TRANSMISSION_STATUS, status_label

# Below WIDE the narrow columns are used (80x24 stays readable); the provider id needs WIDEST.
WIDE = 110
WIDEST = 160
RECIPIENT_WIDTH = 24

TITLES: dict[str, LazyText] = {
    "at": L_("Time"),
    "queued": L_("Queued"),
    "number": L_("Invoice"),
    "channel": L_("Channel"),
    "recipient": L_("Recipient"),
    "status": L_("Status"),
    "code": L_("Code"),
    "attempts": L_("Attempts"),
    "provider_id": L_("Provider id"),
    "detail": L_("Detail"),
    "reply": L_("Reply"),
    "error": L_("Last error"),
}
# Columns per (outbox mode, wide); the narrow ones fit 80 cells with the reply's start showing.
LAYOUTS: dict[tuple[bool, int], tuple[str, ...]] = {
    (False, 2): ("at", "number", "channel", "recipient", "status", "code", "provider_id", "detail"),
    (False, 1): ("at", "number", "channel", "recipient", "status", "code", "detail"),
    (False, 0): ("at", "number", "recipient", "status", "reply"),
    (True, 2): ("queued", "number", "recipient", "status", "attempts", "provider_id", "error"),
    (True, 1): ("queued", "number", "recipient", "status", "attempts", "error"),
    (True, 0): ("queued", "number", "recipient", "status", "error"),
}


@dataclass(frozen=True)
class LogFilters:
    """What the person asked to see; ``invoice`` is a typed number (or ``#id``), blank for all."""

    outbox: bool = False
    status: str | None = None
    since: date | None = None
    until: date | None = None
    invoice: str = ""


@dataclass(frozen=True)
class LogRow:
    """One transmission, or one outbox message in outbox mode (``id`` is then the message's)."""

    id: int
    at: datetime
    invoice_id: int
    number: str
    channel: str
    recipient: str | None
    status: str
    code: str | None
    provider_id: str | None
    detail: str | None
    outbox_id: int | None
    attempts: int = 0
    text: bool = False  # of a text message to the patient (a reminder, a link), not a PIN's


def fetch_rows(filters: LogFilters, *, before_id: int | None, limit: int) -> list[LogRow]:
    """One page of rows (call inside ``database_thread``); an unknown invoice raises ``NotFoundError``."""
    invoice = find_invoice(filters.invoice.strip().upper()) if filters.invoice.strip() else None
    if filters.outbox:
        messages = outbox_query(
            status=OutboxStatus(filters.status) if filters.status else None,
            invoice=invoice,
            since=filters.since,
            until=filters.until,
            before_id=before_id,
            limit=limit,
        )
        return [_outbox_row(message) for message in messages]
    transmissions = transmission_query(
        status=TransmissionStatus(filters.status) if filters.status else None,
        invoice=invoice,
        since=filters.since,
        until=filters.until,
        before_id=before_id,
        limit=limit,
    )
    return [_transmission_row(transmission) for transmission in transmissions]


def _transmission_row(transmission: Transmission) -> LogRow:
    return LogRow(
        id=transmission.id,
        at=transmission.created_at,
        invoice_id=fk_id(transmission, "invoice"),
        number=transmission.invoice.number or f"#{fk_id(transmission, 'invoice')}",
        channel=transmission.channel,
        recipient=recipient(transmission),
        status=transmission.status,
        code=transmission.reply_code,
        provider_id=transmission.provider_id,
        detail=transmission.detail,
        outbox_id=fk_id(transmission, "message"),
        text=transmission.message is not None and transmission.message.medium == "sms",
    )


def _outbox_row(message: OutboxMessage) -> LogRow:
    return LogRow(
        id=message.id,
        at=message.created_at,
        invoice_id=fk_id(message, "invoice"),
        number=message.invoice.number or f"#{fk_id(message, 'invoice')}",
        channel=message.channel.value,  # a link task has no email
        recipient=message.recipient_email or message.recipient_phone,
        status=message.status,
        code=None,
        provider_id=message.message_id,
        detail=message.last_error,
        outbox_id=message.id,
        attempts=message.attempts,
    )


def shorten(text: str, width: int) -> str:
    """``text`` cut to ``width`` cells with an ellipsis."""
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


class TransmissionLog(FittedTable):
    """Rows keyed by id; ``show`` redraws only on change and keeps the cursor on the same row."""

    DEFAULT_CSS = """
    TransmissionLog { height: 1fr; }
    """

    def __init__(self, session: StaffSession, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.session = session
        self.outbox = False
        self.tier = 0  # 0 narrow, 1 wide, 2 widest
        self.rows_shown: list[LogRow] = []

    @property
    def keys(self) -> tuple[str, ...]:
        return LAYOUTS[self.outbox, self.tier]

    @property
    def wide(self) -> bool:
        return self.tier > 0

    def layout_for(self, outbox: bool, width: int) -> None:
        """Choose the mode's columns for ``width`` cells; redraws when either changed."""
        tier = 2 if width >= WIDEST else 1 if width >= WIDE else 0
        if (outbox, tier) != (self.outbox, self.tier) or not self.columns:
            self.outbox, self.tier = outbox, tier
            self.apply_texts()

    def apply_texts(self) -> None:
        tr = self.session.tr
        self.clear(columns=True)
        for key in self.keys:
            self.add_column(tr.gettext(TITLES[key]), key=key)
        rows, self.rows_shown = self.rows_shown, []
        self.show(rows)

    @property
    def selected(self) -> LogRow | None:
        if not self.rows_shown or not 0 <= self.cursor_row < len(self.rows_shown):
            return None
        return self.rows_shown[self.cursor_row]

    def show(self, rows: list[LogRow]) -> None:
        """Draw ``rows``; the cursor stays on the row it was on when that row is still there."""
        if rows == self.rows_shown:
            return
        keys = self.keys
        shown = len(self.rows_shown)
        if shown and rows[:shown] == self.rows_shown:  # a next page: add it, the cursor stays
            self.rows_shown = list(rows)
            for row in rows[shown:]:
                cells = self._cells(row)
                self.add_row(*(cells[key] for key in keys), key=str(row.id))
            return
        current = self.selected
        self.rows_shown = list(rows)
        self.clear()
        for row in rows:
            cells = self._cells(row)
            self.add_row(*(cells[key] for key in keys), key=str(row.id))
        if current is not None:
            for index, row in enumerate(rows):
                if row.id == current.id:
                    self.move_cursor(row=index, animate=False, scroll=False)
                    break

    def _cells(self, row: LogRow) -> dict[str, str]:
        tr, session = self.session.tr, self.session
        if self.outbox:
            status = OUTBOX_STATUS.get(row.status)
        else:  # the long labels ("deferred, will retry") where there is room
            labels = TRANSMISSION_STATUS if self.wide else SHORT_STATUS
            status = status_label(row.channel, row.status, labels, text=row.text)
        channel = CHANNEL.get(row.channel)
        detail = detail_text(row.detail, tr, row.code) if row.status != "sent" else ""
        reason_width = 60 if self.wide else 40  # the whole text shows below the table
        at = format_datetime(row.at, session.timezone, tr.language, session.country, "short")
        return {
            "at": at,
            "queued": at,
            "number": row.number,
            "channel": tr.gettext(channel) if channel else row.channel,
            "recipient": shorten(row.recipient or "—", RECIPIENT_WIDTH if self.wide else 20),
            "status": tr.gettext(status) if status else row.status,
            "code": row.code or "",
            "attempts": str(row.attempts),
            "provider_id": shorten(row.provider_id or "", 40),
            "detail": shorten(detail, reason_width),
            "reply": shorten(" ".join(part for part in (row.code, detail) if part), reason_width),
            "error": shorten(detail, reason_width),
        }

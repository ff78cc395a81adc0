"""An invoice's transmissions: one row per attempt per channel, newest first; never the content."""

from __future__ import annotations

from locales import L_, N_, LazyText
from locales.formatting import format_datetime
from models.core.enums import Channel, TransmissionStatus
from models.views.invoice_view import TransmissionView
from tui.session import StaffSession
from tui.widgets.plain_table import PlainTable

CHANNEL: dict[str, LazyText] = {
    Channel.EMAIL: L_("email"),
    Channel.SMS: L_("SMS"),
    Channel.PORTAL: L_("portal"),
    Channel.STRIPE: L_("Stripe"),
}
TRANSMISSION_STATUS: dict[str, LazyText] = {
    TransmissionStatus.SENT: L_("sent"),
    TransmissionStatus.DEFERRED: L_("deferred, will retry"),
    TransmissionStatus.FAILED: L_("failed"),
    TransmissionStatus.UNKNOWN: L_("unknown"),
    TransmissionStatus.PUBLISHED: L_("published"),
    TransmissionStatus.DOWNLOADED: L_("downloaded"),
    TransmissionStatus.CREATED: L_("created"),
    TransmissionStatus.EXPIRED: L_("expired"),
    TransmissionStatus.REPLACED: L_("replaced"),
    TransmissionStatus.DELIVERED: L_("delivered"),
    TransmissionStatus.REVOKED: L_("revoked"),
}
# What a step's success is called on its channel: an SMS sent is the PIN sent.
BY_CHANNEL: dict[tuple[str, str], LazyText] = {
    (Channel.SMS, TransmissionStatus.SENT): L_("PIN sent"),
}
COLUMNS = (N_("Time"), N_("Channel"), N_("Recipient"), N_("Status"), N_("Code"), N_("Provider id"))


def status_label(
    channel: str, status: str, labels: dict[str, LazyText] = TRANSMISSION_STATUS, *, text: bool = False
) -> LazyText | None:
    """The status as people read it on its channel (``labels``: the long or the short ones); an SMS
    sent is a PIN sent, unless the message was a text of its own (``text``: a reminder, a link)."""
    return (None if text else BY_CHANNEL.get((channel, status))) or labels.get(status)


class InvoiceTransmissions(PlainTable):
    """``show(rows)`` redraws only when the rows changed, so the cursor stays put on a periodic refresh."""

    DEFAULT_CSS = """
    InvoiceTransmissions { height: auto; max-height: 12; }
    """

    def __init__(self, session: StaffSession, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.session = session
        self.shown: tuple[TransmissionView, ...] | None = None

    def on_mount(self) -> None:
        self.apply_texts()

    def apply_texts(self) -> None:
        tr = self.session.tr
        self.clear(columns=True)
        self.add_columns(*(tr.gettext(title) for title in COLUMNS))
        rows, self.shown = self.shown, None
        if rows is not None:
            self.show(rows)

    def show(self, rows: tuple[TransmissionView, ...]) -> None:
        if rows == self.shown:
            return
        self.shown = rows
        self.clear()
        tr, session = self.session.tr, self.session
        for row in rows:
            status = status_label(row.channel, row.status, text=row.text)
            self.add_row(
                format_datetime(row.at, session.timezone, tr.language, session.country, "short"),
                tr.gettext(CHANNEL[row.channel]) if row.channel in CHANNEL else row.channel,
                row.recipient or "—",
                tr.gettext(status) if status else row.status,
                row.reply_code or "",
                row.provider_id or "",
            )

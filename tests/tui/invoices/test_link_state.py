"""What staff read about a secure delivery: PIN sent, published, downloaded, and the link's state."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from models.core.enums import Channel, TransmissionStatus
from models.links.tables import DownloadLink
from models.messaging.tables import OutboxMessage, Transmission
from tui.screens.invoice_detail import InvoiceDetailScreen
from tui.widgets.link_state import LinkStateLine

from ..conftest import FROZEN_NOW, Clinic_
from .conftest import Billing, open_screen, until


def secure_history(billing: Billing) -> DownloadLink:
    """A secure send of the billed invoice: published, PIN sent, emailed, downloaded twice."""
    invoice = billing.billed
    message = OutboxMessage.create(
        kind="invoice",
        invoice=invoice,
        recipient_email="reclamations@beaulieu.example",
        recipient_phone="+15145559911",
        language="fr",
        pin_mode="sms",
        attach_pdf=False,
        status="sent",
    )
    steps = [
        (Channel.PORTAL, TransmissionStatus.PUBLISHED, "a1b2"),
        (Channel.SMS, TransmissionStatus.SENT, "sms-1"),
        (Channel.PORTAL, TransmissionStatus.DOWNLOADED, "a1b2"),
    ]
    for minutes, (channel, status, provider) in enumerate(steps):
        Transmission.create(
            invoice=invoice,
            message=message,
            channel=channel,
            status=status,
            provider_id=provider,
            created_at=FROZEN_NOW - timedelta(hours=5) + timedelta(minutes=minutes),
        )
    return DownloadLink.create(
        invoice=invoice,
        message=message,
        token_hash="a1b2" * 16,
        pin_hash="c3d4" * 16,
        pin_mode="sms",
        expires_at=FROZEN_NOW + timedelta(days=13),
        download_count=2,
        last_download_at=FROZEN_NOW - timedelta(hours=2),
    )


def table_text(screen: InvoiceDetailScreen) -> str:
    table = screen.query_one("#detail-transmissions")
    return "\n".join(" | ".join(str(cell) for cell in table.get_row_at(i)) for i in range(table.row_count))  # type: ignore[attr-defined]


async def test_the_invoice_shows_pin_sent_published_downloaded_and_the_link_state(
    make_app: Callable[..., object], clinic: Clinic_, billing: Billing
) -> None:
    link = secure_history(billing)
    app = make_app("clerk")  # English
    async with app.run_test(size=(120, 40)) as pilot:  # type: ignore[attr-defined]
        screen = InvoiceDetailScreen(app.session, billing.billed.id)  # type: ignore[attr-defined]
        await open_screen(pilot, screen)
        line = screen.query_one(LinkStateLine)
        await until(pilot, lambda: line.state is not None)
        rows = table_text(screen)
        assert "SMS | +15145559911 | PIN sent" in rows
        assert "portal | reclamations@beaulieu.example | published" in rows
        assert "portal | reclamations@beaulieu.example | downloaded" in rows
        text = str(line.render())
        assert text.startswith("Secure link open until") and "downloaded 2 times, last on" in text
        assert not line.has_class("-attention")
        DownloadLink.update(locked_at=FROZEN_NOW).where(DownloadLink.id == link.id).execute()
        line.reload()
        await until(pilot, lambda: "locked" in str(line.render()))
        assert line.has_class("-attention")
        DownloadLink.update(locked_at=None, expires_at=FROZEN_NOW).where(DownloadLink.id == link.id).execute()
        line.reload()
        await until(pilot, lambda: "expired" in str(line.render()))


async def test_no_line_without_a_link_the_patient_received(
    make_app: Callable[..., object], clinic: Clinic_, billing: Billing
) -> None:
    link = secure_history(billing)
    OutboxMessage.update(status="failed").where(OutboxMessage.id == link.message_id).execute()  # type: ignore[attr-defined]
    app = make_app("clerk")
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        screen = InvoiceDetailScreen(app.session, billing.billed.id)  # type: ignore[attr-defined]
        await open_screen(pilot, screen)
        assert not screen.query_one(LinkStateLine).display

"""Reading the outbox and the transmissions log: filters, keyset paging, stable JSON records.

Newest first; pass the last row's id as ``before_id`` for the next page (keyset
paging stays fast at any depth). The TUI's Transmissions screen and the CLI's
``facteur outbox`` / ``facteur transmissions`` read these.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import peewee

from locales import L_, LazyText
from models.billing.invoice import Invoice
from models.core.enums import Channel, OutboxStatus, TransmissionStatus
from models.database.base import fk_id
from models.messaging.tables import OutboxMessage, Transmission


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def outbox_query(
    *,
    status: OutboxStatus | None = None,
    invoice: Invoice | None = None,
    since: date | None = None,
    until: date | None = None,
    before_id: int | None = None,
    limit: int | None = 100,
) -> peewee.ModelSelect[OutboxMessage]:
    """Outbox messages (with their invoice), newest first; ``since``/``until`` are UTC days of creation."""
    query = OutboxMessage.select(OutboxMessage, Invoice).join(Invoice).order_by(OutboxMessage.id.desc())
    if status is not None:
        query = query.where(OutboxMessage.status == status.value)
    if invoice is not None:
        query = query.where(OutboxMessage.invoice == invoice.id)
    if since is not None:
        query = query.where(OutboxMessage.created_at >= _day_start(since))
    if until is not None:
        query = query.where(OutboxMessage.created_at < _day_start(until + timedelta(days=1)))
    if before_id is not None:
        query = query.where(OutboxMessage.id < before_id)
    return query.limit(limit) if limit else query


def transmission_query(
    *,
    status: TransmissionStatus | None = None,
    channel: Channel | None = None,
    invoice: Invoice | None = None,
    since: date | None = None,
    until: date | None = None,
    before_id: int | None = None,
    limit: int | None = 100,
) -> peewee.ModelSelect[Transmission]:
    """Transmissions (with their message and invoice), newest first; days are UTC."""
    query = (
        Transmission.select(Transmission, OutboxMessage, Invoice)
        .join(OutboxMessage, peewee.JOIN.LEFT_OUTER)
        .switch(Transmission)
        .join(Invoice)
        .order_by(Transmission.id.desc())
    )
    if status is not None:
        query = query.where(Transmission.status == status.value)
    if channel is not None:
        query = query.where(Transmission.channel == channel.value)
    if invoice is not None:
        query = query.where(Transmission.invoice == invoice.id)
    if since is not None:
        query = query.where(Transmission.created_at >= _day_start(since))
    if until is not None:
        query = query.where(Transmission.created_at < _day_start(until + timedelta(days=1)))
    if before_id is not None:
        query = query.where(Transmission.id < before_id)
    return query.limit(limit) if limit else query


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def outbox_record(message: OutboxMessage) -> dict[str, Any]:
    """One outbox message for ``--json`` (never the personal message's text)."""
    return {
        "outbox_id": message.id,
        "kind": message.kind,
        "invoice_id": fk_id(message, "invoice"),
        "invoice_number": message.invoice.number,
        "channel": message.channel.value,
        "recipient": message.recipient_email,
        "payment_link": bool(message.payment_link),
        "link_action": message.link_action,
        "in_window": bool(message.in_window),  # waits for the clinic's sending hours
        "language": message.language,
        "status": message.status,
        "attempts": message.attempts,
        "next_attempt_at": _iso(message.next_attempt_at) if message.status == OutboxStatus.PENDING else None,
        "last_error": message.last_error,
        "provider_id": message.message_id,
        "created_at": _iso(message.created_at),
        "sent_at": _iso(message.sent_at),
        "at": _iso(message.sent_at or message.created_at),
    }


def recipient(transmission: Transmission) -> str | None:
    """The address or number the attempt went to (from its message, per channel)."""
    message = transmission.message
    if message is None:
        return None
    return message.recipient_phone if transmission.channel == Channel.SMS else message.recipient_email


def transmission_record(transmission: Transmission) -> dict[str, Any]:
    """One attempt for ``--json``: what happened, never the content."""
    return {
        "id": transmission.id,
        "outbox_id": fk_id(transmission, "message"),
        "invoice_id": fk_id(transmission, "invoice"),
        "invoice_number": transmission.invoice.number,
        "channel": transmission.channel,
        "recipient": recipient(transmission),
        "status": transmission.status,
        "code": transmission.reply_code,
        "detail": transmission.detail,
        "provider_id": transmission.provider_id,
        "at": _iso(transmission.created_at),
    }


# What people read for the statuses (translated where read: ``tr.gettext(OUTBOX_STATUS[s])``).
OUTBOX_STATUS: dict[str, LazyText] = {
    OutboxStatus.PENDING: L_("pending"),
    OutboxStatus.SENDING: L_("sending"),
    OutboxStatus.SENT: L_("sent"),
    OutboxStatus.FAILED: L_("failed"),
    OutboxStatus.CANCELLED: L_("cancelled"),
    OutboxStatus.REPLACED: L_("replaced"),
}
TRANSMISSION_STATUS: dict[str, LazyText] = {
    TransmissionStatus.SENT: L_("sent"),
    TransmissionStatus.DEFERRED: L_("deferred"),
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

"""SMS delivery receipts: which accepted texts still wait for theirs, and recording what the gateway said.

A text the gateway accepted is an ``sms`` transmission ``sent``, keyed by the gateway's id
(``provider_id``). Its receipt is one more transmission with the same invoice, message, channel and
provider id (the agent asks for it: ``agent.sms_receipts``). The rules:

- *to check*: a ``sent`` SMS transmission with a provider id, at most ``CHECK_WINDOW`` (72 hours)
  old, and no receipt yet (no ``delivered``, ``failed`` or ``unknown`` SMS transmission with its
  provider id), oldest first; past the window gateways forget their texts, and so does Facteur;
- a receipt is ``delivered``, ``failed`` with the gateway's reason, or ``unknown`` (the gateway no
  longer knows the text: nothing more will be learned); it is written once per provider id and
  status: a second pass, or a second agent, writes nothing;
- its detail is the gateway's reason, never the text, never a PIN: the PIN is not known any more
  when the receipt comes, so anything shaped like one (a run of ``PIN_DIGITS`` digits or more) is
  taken out, in case the gateway echoes the text;
- a failed text that carried a PIN (its message's PIN mode is ``sms``) tells whoever queued the
  message, else the admins, as a failed delivery does: the patient has the email but not the PIN
  that opens it.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import peewee

from locales import N_
from models.core.enums import Channel, PinMode, TransmissionStatus
from models.database.base import fk_id
from models.database.db import db, serialize_writers
from models.messaging.notifications import notify_delivery_failed
from models.messaging.secure_link import PIN_DIGITS
from models.messaging.tables import OutboxMessage, Transmission

CHECK_WINDOW = timedelta(hours=72)
RECEIPTS = frozenset({TransmissionStatus.DELIVERED, TransmissionStatus.FAILED, TransmissionStatus.UNKNOWN})
DETAIL_CHARS = 1000
NO_REASON = N_("the SMS gateway gave no reason")
PIN_NOT_DELIVERED_NOTICE = N_(
    "The text with the PIN for invoice {invoice} did not reach {recipient}: {reason}. Check the "
    "number, then send the invoice again: a new PIN goes with it"
)

_PIN_SHAPED = re.compile(rf"\d{{{PIN_DIGITS},}}")


def without_pins(text: str) -> str:
    """``text`` with every run of ``PIN_DIGITS`` digits or more (a PIN, a phone number) made "…"."""
    return _PIN_SHAPED.sub("…", text)


def receipts_to_check(now: datetime, limit: int) -> list[Transmission]:
    """Up to ``limit`` accepted texts still waiting for their receipt, oldest first (the module's rules)."""
    since = now - CHECK_WINDOW
    receipt = Transmission.alias()
    received = receipt.select(receipt.id).where(
        (receipt.channel == Channel.SMS.value)
        & (receipt.provider_id == Transmission.provider_id)
        & receipt.status.in_([status.value for status in RECEIPTS])
        & (receipt.created_at >= since)  # a receipt comes after its text: the index narrows it
    )
    query = (
        Transmission.select()
        .where(
            (Transmission.channel == Channel.SMS.value)
            & (Transmission.status == TransmissionStatus.SENT.value)
            & Transmission.provider_id.is_null(False)
            & (Transmission.created_at >= since)
            & (Transmission.created_at <= now)
            & ~peewee.fn.EXISTS(received)
        )
        .order_by(Transmission.created_at, Transmission.id)
        .limit(limit)
    )
    return list(query)


def record_receipt(
    sent: Transmission | int,
    status: TransmissionStatus,
    detail: str | None,
    now: datetime,
    *,
    code: str | None = None,
) -> bool:
    """Record the receipt ``status`` (delivered, failed or unknown) of the text ``sent`` (its ``sent``
    transmission, or that transmission's id), with the gateway's reason ``detail`` and error ``code``;
    False when that receipt was recorded already (nothing is written)."""
    status = TransmissionStatus(status)
    if status not in RECEIPTS:
        raise ValueError(f"not a receipt: {status}")
    with db.atomic():
        text = sent if isinstance(sent, Transmission) else Transmission.get_by_id(sent)
        if text.channel != Channel.SMS or text.provider_id is None:
            raise ValueError(f"transmission {text.id} is not a text sent")
        serialize_writers(f"sms-receipt:{text.provider_id}")  # two agents asking at once write one
        recorded = Transmission.select(Transmission.id).where(
            (Transmission.channel == Channel.SMS.value)
            & (Transmission.provider_id == text.provider_id)
            & (Transmission.status == status.value)
        )
        if recorded.exists():
            return False
        reason = without_pins(" ".join((detail or "").split()))[:DETAIL_CHARS]
        if not reason and not code and status is TransmissionStatus.FAILED:
            reason = NO_REASON
        Transmission.insert(
            invoice=fk_id(text, "invoice"),
            message=fk_id(text, "message"),
            channel=Channel.SMS.value,
            status=status.value,
            reply_code=code[:16] if code else None,
            provider_id=text.provider_id,
            detail=reason or None,
            created_at=now,
        ).execute()
        if status is TransmissionStatus.FAILED:
            _notify_pin_lost(text, f"{code or ''} {reason}".strip(), now)
    return True


def _notify_pin_lost(text: Transmission, reason: str, now: datetime) -> None:
    """Tell whoever queued the message (else the admins) that its PIN did not reach the patient."""
    message = OutboxMessage.get_or_none(OutboxMessage.id == fk_id(text, "message"))
    if message is None or message.pin_mode != PinMode.SMS:
        return
    notify_delivery_failed(
        message, reason, now, notice=PIN_NOT_DELIVERED_NOTICE, recipient=message.recipient_phone or ""
    )

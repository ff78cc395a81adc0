"""Notices for staff: what the agent tells the people concerned (a delivery failed).

The text is a msgid with JSON placeholders, read in each person's own language:
``tr.format(notice.message, **json.loads(notice.params))``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from locales import N_
from models.billing.invoice import Invoice, describe
from models.core.enums import Channel, Role
from models.messaging.tables import Notification, OutboxMessage
from models.people.clinic import Staff

DELIVERY_FAILED = "delivery_failed"  # Notification.kind
FAILED_NOTICE = N_("Invoice {invoice} could not be delivered to {recipient}: {reason}")
LINK_FAILED_NOTICE = N_("The payment link of invoice {invoice} could not be made: {reason}")
REVOKE_FAILED_NOTICE = N_("The download link of {invoice} could not be revoked: {reason}")
AGENT_BLOCKED = "agent_blocked"
BLOCKED_NOTICE = N_(
    "The agent cannot send: {reason}. Messages wait, none is lost, and they go out by themselves "
    "once this is fixed"
)
PAYMENT_TROUBLE = "payment_trouble"
PAYMENT_TROUBLE_NOTICE = N_(
    "Stripe refuses to make payment links: {reason}. Emails go without their Pay button until this "
    "is fixed (Settings, billing companies; the agent's Stripe key)"
)
PAYMENT_RECEIVED = "payment_received"
PAYMENT_NOTICE = N_("Invoice {invoice} was paid online: {amount}")
PAYMENT_FAILED = "payment_failed"
PAYMENT_FAILED_NOTICE = N_("The online payment of invoice {invoice} failed: the invoice is still unpaid")
PAYMENT_UNAPPLIED = "payment_unapplied"
UNAPPLIED_NOTICE = N_(
    "An online payment of {amount} for invoice {invoice} could not be recorded: the invoice is "
    "{status} with {balance} left to pay. Check it, and refund it in Stripe if it is not owed"
)


def notify_delivery_failed(
    message: OutboxMessage,
    reason: str,
    now: datetime,
    *,
    notice: str | None = None,
    recipient: str | None = None,
) -> list[Notification]:
    """Tell whoever queued ``message`` that it failed for good; the admins when the system queued it.
    ``notice`` and ``recipient`` name what failed where the message's channel does not (its PIN's
    text, to its phone)."""
    invoice = Invoice.get_by_id(message.__data__["invoice"])
    author = message.__data__.get("created_by")
    staff_ids = [author] if author is not None else admin_ids()
    params = {
        "invoice": describe(invoice),
        "recipient": recipient or message.recipient_email or message.recipient_phone or "",
        "reason": reason,
        "outbox_id": message.id,
    }
    # an email or a text that did not reach its recipient (the recipient: its address, else its phone)
    notice = notice or {
        Channel.EMAIL: FAILED_NOTICE,
        Channel.SMS: FAILED_NOTICE,
        Channel.PORTAL: REVOKE_FAILED_NOTICE,
    }.get(message.channel, LINK_FAILED_NOTICE)
    return notify(staff_ids, DELIVERY_FAILED, invoice, notice, params, now=now)


def notify_agent_blocked(reason: str, now: datetime) -> list[Notification]:
    """Tell the admins a server refuses the agent's configuration, once per reason while unread."""
    return _once_while_unread(AGENT_BLOCKED, BLOCKED_NOTICE, {"reason": reason}, now)


def notify_payment_trouble(reason: str, now: datetime) -> list[Notification]:
    """Tell the admins Stripe refuses payment links, once per reason while unread (not per message)."""
    return _once_while_unread(PAYMENT_TROUBLE, PAYMENT_TROUBLE_NOTICE, {"reason": reason}, now)


def _once_while_unread(kind: str, msgid: str, params: dict[str, Any], now: datetime) -> list[Notification]:
    told = Notification.select().where(
        (Notification.kind == kind)
        & (Notification.params == json.dumps(params, ensure_ascii=False))
        & Notification.read_at.is_null()
    )
    if told.exists():
        return []
    return notify(admin_ids(), kind, None, msgid, params, now=now)


def notify(
    staff_ids: Iterable[int],
    kind: str,
    invoice: Invoice | None,
    msgid: str,
    params: dict[str, Any],
    *,
    now: datetime,
) -> list[Notification]:
    """One notification per person (each reads it in their own language)."""
    return [
        Notification.create(
            staff=staff_id,
            kind=kind,
            invoice=invoice.id if invoice is not None else None,
            message=msgid,
            params=json.dumps(params, ensure_ascii=False),
            created_at=now,
        )
        for staff_id in dict.fromkeys(staff_ids)
    ]


def payment_audience(invoice: Invoice) -> list[int]:
    """Who hears of a payment: the rendering provider when they have billing rights, and the admins."""
    ids: list[int] = []
    provider_id = invoice.__data__.get("provider")
    if provider_id is not None:
        provider = Staff.get_or_none(Staff.id == provider_id)
        if provider is not None and provider.active and provider.has_role(Role.BILLING):
            ids.append(provider.id)
    return ids + admin_ids()


def admin_ids() -> list[int]:
    staff = Staff.select().where((Staff.active == True) & Staff.roles.contains(Role.ADMIN.value))  # noqa: E712
    return [s.id for s in staff if s.has_role(Role.ADMIN)]

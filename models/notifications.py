"""Notices for staff: what the agent tells the people concerned (a delivery failed).

The text is a msgid with JSON placeholders, read in each person's own language:
``tr.format(notice.message, **json.loads(notice.params))``.
"""

from __future__ import annotations

import json
from datetime import datetime

from locales import N_
from models.clinic import Staff
from models.enums import Role
from models.invoice import Invoice
from models.invoicing import describe
from models.messaging import Notification, OutboxMessage

DELIVERY_FAILED = "delivery_failed"  # Notification.kind
FAILED_NOTICE = N_("Invoice {invoice} could not be delivered to {recipient}: {reason}")


def notify_delivery_failed(message: OutboxMessage, reason: str, now: datetime) -> list[Notification]:
    """Tell whoever queued ``message`` that it failed for good; the admins when the system queued it."""
    invoice = Invoice.get_by_id(message.__data__["invoice"])
    author = message.__data__.get("created_by")
    staff_ids = [author] if author is not None else admin_ids()
    params = {
        "invoice": describe(invoice),
        "recipient": message.recipient_email or message.recipient_phone or "",
        "reason": reason,
        "outbox_id": message.id,
    }
    return [
        Notification.create(
            staff=staff_id,
            kind=DELIVERY_FAILED,
            invoice=invoice.id,
            message=FAILED_NOTICE,
            params=json.dumps(params, ensure_ascii=False),
            created_at=now,
        )
        for staff_id in staff_ids
    ]


def admin_ids() -> list[int]:
    staff = Staff.select().where((Staff.active == True) & Staff.roles.contains(Role.ADMIN.value))  # noqa: E712
    return [s.id for s in staff if s.has_role(Role.ADMIN)]

"""A staff member's notifications as the TUI shows them: newest first, unread count, mark read.

The text is rendered at read time in the reader's language: ``*_cents`` placeholders become
money in the notice's ``currency``, and ``status`` an invoice status' label.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from locales import Translator
from locales.formatting import format_money
from models.core.enums import InvoiceStatus
from models.core.labels import INVOICE_STATUS
from models.database.base import utcnow
from models.messaging.tables import Notification

SHOWN = 200


@dataclass(frozen=True)
class NoticeView:
    id: int
    kind: str
    invoice_id: int | None
    created_at: datetime
    read: bool
    message: str  # a msgid
    params: dict[str, Any]


def _view(row: Notification) -> NoticeView:
    try:
        params = json.loads(row.params or "{}")
    except ValueError:
        params = {}
    return NoticeView(
        row.id,
        row.kind,
        row.__data__.get("invoice"),
        row.created_at,
        row.read_at is not None,
        row.message,
        params if isinstance(params, dict) else {},
    )


def notices_for(staff_id: int, limit: int = SHOWN) -> list[NoticeView]:
    """The person's notifications, newest first."""
    rows = (
        Notification.select()
        .where(Notification.staff == staff_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(limit)
    )
    return [_view(row) for row in rows]


def unread_count(staff_id: int) -> int:
    return (
        Notification.select().where((Notification.staff == staff_id) & Notification.read_at.is_null()).count()
    )


def latest_id(staff_id: int) -> int:
    """The newest notification's id (0 when none): toasts start after it."""
    row = (
        Notification.select(Notification.id)
        .where(Notification.staff == staff_id)
        .order_by(Notification.id.desc())
        .first()
    )
    return row.id if row is not None else 0


def unread_since(staff_id: int, after_id: int) -> list[NoticeView]:
    """Unread notifications newer than ``after_id``, oldest first (the toasts to show)."""
    rows = (
        Notification.select()
        .where(
            (Notification.staff == staff_id) & (Notification.id > after_id) & Notification.read_at.is_null()
        )
        .order_by(Notification.id)
    )
    return [_view(row) for row in rows]


def mark_read(staff_id: int, ids: Iterable[int], now: datetime | None = None) -> int:
    """Mark some of the person's notifications read (never someone else's)."""
    wanted = list(ids)
    if not wanted:
        return 0
    return (
        Notification.update(read_at=now or utcnow())
        .where(
            (Notification.staff == staff_id) & Notification.id.in_(wanted) & Notification.read_at.is_null()
        )
        .execute()
    )


def mark_all_read(staff_id: int, now: datetime | None = None) -> int:
    return (
        Notification.update(read_at=now or utcnow())
        .where((Notification.staff == staff_id) & Notification.read_at.is_null())
        .execute()
    )


def render_notice(notice: NoticeView, tr: Translator, country: str) -> str:
    """The notice in ``tr``'s language, money and statuses formatted for the reader."""
    params = dict(notice.params)
    currency = str(params.get("currency") or "")
    for key, value in notice.params.items():
        if key.endswith("_cents") and currency and isinstance(value, int):
            params[key.removesuffix("_cents")] = format_money(value, currency, tr.language, country)
    status = params.get("status")
    if isinstance(status, str) and status in INVOICE_STATUS:
        params["status"] = INVOICE_STATUS[InvoiceStatus(status)]
    try:
        return tr.format(notice.message, **params)
    except (KeyError, IndexError, ValueError):  # a reworded catalog wanting a placeholder it lacks
        return tr.gettext(notice.message)

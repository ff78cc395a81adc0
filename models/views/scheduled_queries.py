"""Reading scheduled messages for the Communications screen and ``facteur scheduled``: filters,
keyset paging on ``(due_at, id)``, and stable JSON records.

Two orders: what is still *waiting* comes soonest first (the next to go at the top); every
other row (queued, skipped, cancelled) latest first. Pass the last row's ``(due_at, id)`` as
``after`` for the next page: the ``(status, due_at)`` and ``(due_at, id)`` indexes answer a page
at any depth without sorting the table.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import peewee

from locales import LazyText, Translator
from models.billing.invoice import Invoice
from models.core.enums import OutboxStatus, ScheduleStatus
from models.core.labels import SCHEDULE_STATUS
from models.database.base import fk_id
from models.messaging.schedule_reasons import reason_text
from models.messaging.tables import OutboxMessage, ScheduledMessage, Template
from models.people.patient import Patient
from models.views.outbox_queries import OUTBOX_STATUS

WAITING = (ScheduleStatus.SCHEDULED,)


def scheduled_query(
    *,
    status: ScheduleStatus | None = None,
    delivery: OutboxStatus | None = None,
    invoice: Invoice | int | None = None,
    upcoming: bool | None = None,
    due_before: datetime | None = None,
    after: tuple[datetime, int] | None = None,
    limit: int | None = 100,
) -> peewee.ModelSelect[ScheduledMessage]:
    """Scheduled messages with their template, invoice (and its patient) and outbox message (if
    queued).

    ``upcoming`` True: only waiting ones, soonest first; False: the others, latest first; None:
    every row, latest first. ``status`` narrows further, ``delivery`` to queued messages whose
    outbox status it is (sent, failed…), ``due_before`` to those due before then (the next 30 days).
    """
    ascending = upcoming is True
    query = (
        ScheduledMessage.select(ScheduledMessage, Template, Invoice, Patient, OutboxMessage)
        .join(Template)
        .switch(ScheduledMessage)
        .join(Invoice)
        .join(Patient)
        .switch(ScheduledMessage)
        .join(OutboxMessage, peewee.JOIN.LEFT_OUTER)
    )
    if upcoming is True:
        query = query.where(ScheduledMessage.status == ScheduleStatus.SCHEDULED)
    elif upcoming is False:
        query = query.where(ScheduledMessage.status != ScheduleStatus.SCHEDULED)
    if status is not None:
        query = query.where(ScheduledMessage.status == status.value)
    if delivery is not None:
        query = query.where(OutboxMessage.status == delivery.value)
    if due_before is not None:
        query = query.where(ScheduledMessage.due_at < due_before)
    if invoice is not None:
        query = query.where(ScheduledMessage.invoice == (invoice if isinstance(invoice, int) else invoice.id))
    if after is not None:
        due, row_id = after
        if ascending:
            query = query.where(
                (ScheduledMessage.due_at > due)
                | ((ScheduledMessage.due_at == due) & (ScheduledMessage.id > row_id))
            )
        else:
            query = query.where(
                (ScheduledMessage.due_at < due)
                | ((ScheduledMessage.due_at == due) & (ScheduledMessage.id < row_id))
            )
    if ascending:
        query = query.order_by(ScheduledMessage.due_at, ScheduledMessage.id)
    else:
        query = query.order_by(ScheduledMessage.due_at.desc(), ScheduledMessage.id.desc())
    return query.limit(limit) if limit else query


def outbox_of(row: ScheduledMessage) -> OutboxMessage | None:
    """The queued message of ``row`` (joined by ``scheduled_query``), if there is one."""
    return row.outbox_message if fk_id(row, "outbox_message") is not None else None


def status_label(status: str, message: OutboxMessage | None) -> LazyText:
    """What a person reads for a row: its delivery status once queued (pending, sent, failed…), else
    scheduled, skipped or cancelled (translate it: ``tr.gettext``)."""
    if message is not None:
        return OUTBOX_STATUS[message.status]
    return SCHEDULE_STATUS[status]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def scheduled_record(row: ScheduledMessage, tr: Translator) -> dict[str, Any]:
    """One scheduled message for ``--json`` (``reason`` in the reader's language)."""
    template = row.template
    message = outbox_of(row)
    return {
        "id": row.id,
        "invoice_id": fk_id(row, "invoice"),
        "invoice_number": row.invoice.number,
        "template_id": template.id,
        "template": tr.gettext(template.name) if template.is_system else template.name,
        "template_key": template.system_key,
        "kind": template.kind,
        "due_at": _iso(row.due_at),
        "status": row.status,
        "reason": reason_text(row.reason, tr) or None,
        "outbox_id": message.id if message else None,
        "delivery_status": message.status if message else None,
        "recipient": message.recipient_email if message else None,
        "sent_at": _iso(message.sent_at) if message else None,
        "created_at": _iso(row.created_at),
        "updated_at": _iso(row.updated_at),
    }

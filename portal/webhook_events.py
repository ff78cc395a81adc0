"""Stripe's events the webhook brought, kept in ``portal.db`` until the agent pulls them.

The webhook only makes payments show sooner (the agent's own pull from Stripe is enough), so
what is kept is bounded: each event once (by Stripe's id), for ``KEPT`` (Stripe itself lists 30
days of events, and the agent reads them from there too). Blocking: call from a thread.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from portal.storage import WebhookEvent, portal_db

KEPT = dt.timedelta(days=30)


def store_webhook_event(event_id: str, body: str, now: dt.datetime) -> bool:
    """Keep one checked event; False when it was kept before (Stripe sends again until it hears 2xx)."""
    with portal_db.atomic():
        WebhookEvent.delete().where(WebhookEvent.received_at < now - KEPT).execute()
        created = (
            WebhookEvent.insert(event_id=event_id, body=body, received_at=now).on_conflict_ignore().execute()
        )
    return bool(created)


def webhook_events_after(after: int, limit: int) -> tuple[list[tuple[int, dict[str, Any]]], int]:
    """The events kept after id ``after``, oldest first, and the last id (``after`` when none)."""
    rows = list(WebhookEvent.select().where(WebhookEvent.id > after).order_by(WebhookEvent.id).limit(limit))
    return [(row.id, json.loads(row.body)) for row in rows], (rows[-1].id if rows else after)

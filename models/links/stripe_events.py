"""The Stripe events already applied, by id: a pull, a webhook or a retry meets each one once."""

from __future__ import annotations

from datetime import datetime, timedelta

import peewee

from models.database.base import BaseModel, UTCDateTimeField, utcnow

KEEP = timedelta(days=35)  # Stripe lists events for 30 days and retries webhooks for 3


class StripeEvent(BaseModel):
    event_id = peewee.CharField(max_length=255, unique=True)
    account = peewee.CharField(max_length=64)
    type = peewee.CharField(max_length=100)
    created = UTCDateTimeField(index=True)  # Stripe's time of the event
    applied_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "stripe_event"


def claim_event(event_id: str, account: str, type_: str, created: datetime, now: datetime) -> bool:
    """Record the event as applied; False when it already was. Call it inside the transaction
    that applies it, so a crash leaves it unapplied and unrecorded alike."""
    if StripeEvent.select().where(StripeEvent.event_id == event_id).exists():
        return False
    try:
        with StripeEvent._meta.database.atomic():  # a savepoint: a racing writer loses cleanly
            StripeEvent.create(
                event_id=event_id, account=account, type=type_, created=created, applied_at=now
            )
    except peewee.IntegrityError:
        return False
    return True


def prune_events(now: datetime | None = None) -> int:
    """Forget events older than any feed can bring back."""
    return StripeEvent.delete().where(StripeEvent.created < (now or utcnow()) - KEEP).execute()

"""How far the agent has read each outside feed: portal events, Stripe events per connected account.

A cursor is a name (``portal:events``, ``stripe:acct_…``) and an opaque text value. It
is written in the same transaction as what was applied from the feed, so a crash never
skips an event nor applies one twice.
"""

from __future__ import annotations

import peewee

from models.database.base import BaseModel, UTCDateTimeField, utcnow


class SyncCursor(BaseModel):
    name = peewee.CharField(max_length=100, unique=True)
    value = peewee.TextField(default="")
    updated_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "sync_cursor"


def read_cursor(name: str, default: str = "") -> str:
    """The cursor's value, ``default`` when the feed was never read."""
    row = SyncCursor.get_or_none(SyncCursor.name == name)
    return default if row is None else row.value


def write_cursor(name: str, value: str) -> None:
    """Move the cursor; call it inside the transaction that applied what was read."""
    updated = SyncCursor.update(value=value, updated_at=utcnow()).where(SyncCursor.name == name).execute()
    if not updated:
        SyncCursor.create(name=name, value=value, updated_at=utcnow())

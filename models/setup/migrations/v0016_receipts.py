"""Version 16: receipts. ``clinic.receipts`` says which recorded payments get the patient a receipt
by email (``online`` by default: those made through the Pay button), and an outbox message may be a
``receipt`` (its kind's CHECK constraint widened by that one value)."""

from __future__ import annotations

import peewee

from models.setup.migrations.sqlite_check import widen_sqlite_check

VERSION = 16

# The constraint as it was on the day this was written, and as it is after it.
_KINDS = "kind IN ('invoice', 'reminder')"
_WIDER = "kind IN ('invoice', 'reminder', 'receipt')"


def apply(database: peewee.Database) -> None:
    database.execute_sql(
        "ALTER TABLE clinic ADD COLUMN receipts VARCHAR(6) NOT NULL DEFAULT 'online' "
        "CHECK (receipts IN ('online', 'all', 'none'))"
    )
    if isinstance(database, peewee.SqliteDatabase):
        widen_sqlite_check(database, "outbox_message", _KINDS, _WIDER)
    else:  # PostgreSQL names a column's CHECK "<table>_<column>_check"
        database.execute_sql("ALTER TABLE outbox_message DROP CONSTRAINT outbox_message_kind_check")
        database.execute_sql(
            f"ALTER TABLE outbox_message ADD CONSTRAINT outbox_message_kind_check CHECK ({_WIDER})"
        )

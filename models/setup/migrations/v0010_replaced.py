"""Version 10: the status ``replaced``, for a message (and its portal transmission) whose link a newer
send of the same invoice replaced before it went out: it is not sent, and it did not fail.

The two status columns keep their CHECK constraint, widened by one value. Messages that failed
before this version because the portal refused a link it had already revoked ("this link was
revoked") were replaced too, and now say so.
"""

from __future__ import annotations

import peewee

from models.setup.migrations.sqlite_check import widen_sqlite_check

VERSION = 10

# The constraints as they were on the day this was written, and as they are after it.
_OUTBOX = "'pending', 'sending', 'sent', 'failed', 'cancelled'"
_TRANSMISSION = "'sent', 'deferred', 'failed', 'unknown', 'published', 'downloaded', 'created', 'expired'"


def apply(database: peewee.Database) -> None:
    _widen(database, "outbox_message", _OUTBOX)
    _widen(database, "transmission", _TRANSMISSION)
    outbox = peewee.Table("outbox_message").bind(database)
    status, last_error = outbox.c.status, outbox.c.last_error
    outbox.update({status: "replaced"}).where(
        (status == "failed") & last_error.contains("this link was revoked")
    ).execute()


def _widen(database: peewee.Database, table: str, values: str) -> None:
    old, new = f"status IN ({values})", f"status IN ({values}, 'replaced')"
    if isinstance(database, peewee.SqliteDatabase):
        widen_sqlite_check(database, table, old, new)
    else:  # PostgreSQL names a column's CHECK "<table>_<column>_check"
        database.execute_sql(f"ALTER TABLE {table} DROP CONSTRAINT {table}_status_check")
        database.execute_sql(f"ALTER TABLE {table} ADD CONSTRAINT {table}_status_check CHECK ({new})")

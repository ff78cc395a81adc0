"""Version 10: the status ``replaced``, for a message (and its portal transmission) whose link a newer
send of the same invoice replaced before it went out: it is not sent, and it did not fail.

The two status columns keep their CHECK constraint, widened by one value. Messages that failed
before this version because the portal refused a link it had already revoked ("this link was
revoked") were replaced too, and now say so.
"""

from __future__ import annotations

import peewee

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
        _widen_sqlite(database, table, old, new)
    else:  # PostgreSQL names a column's CHECK "<table>_<column>_check"
        database.execute_sql(f"ALTER TABLE {table} DROP CONSTRAINT {table}_status_check")
        database.execute_sql(f"ALTER TABLE {table} ADD CONSTRAINT {table}_status_check CHECK ({new})")


def _widen_sqlite(database: peewee.Database, table: str, old: str, new: str) -> None:
    """SQLite cannot alter a constraint; a CHECK that only accepts more leaves every stored row valid,
    so the table's definition is edited in place (SQLite's documented way for CHECK constraints)
    rather than the table copied with its indexes and references."""
    (sql,) = database.execute_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).fetchone()
    if old not in sql:
        raise peewee.DatabaseError(f"{table}: its status constraint is not the one this version widens")
    (version,) = database.execute_sql("PRAGMA schema_version").fetchone()
    database.execute_sql("PRAGMA writable_schema = ON")
    try:
        database.execute_sql(
            "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?",
            (sql.replace(old, new), table),
        )
        database.execute_sql(f"PRAGMA schema_version = {int(version) + 1}")
    finally:
        database.execute_sql("PRAGMA writable_schema = OFF")

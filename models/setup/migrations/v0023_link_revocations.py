"""Version 23: staff revoke a patient's live download link through the outbox, and text messages
learn whether they reached the phone. ``outbox_message.revokes`` names the download link (its token
hash) a ``revoke`` link task closes; the link task's CHECK takes ``revoke``, the transmission's
status ``delivered`` (the SMS gateway's receipt) and ``revoked`` (the portal closed the link)."""

from __future__ import annotations

import peewee
from playhouse.migrate import SchemaMigrator, migrate

from models.setup.migrations.sqlite_check import widen_sqlite_check

VERSION = 23

# The constraints as they were on the day this was written, and as they are after it.
_LINK_ACTION = (
    "link_action",
    "link_action IN ('create', 'remove')",
    "link_action IN ('create', 'remove', 'revoke')",
)
_STATUSES = (
    "'sent', 'deferred', 'failed', 'unknown', 'published', 'downloaded', 'created', 'expired', 'replaced'"
)
_STATUS = ("status", f"status IN ({_STATUSES})", f"status IN ({_STATUSES}, 'delivered', 'revoked')")


def apply(database: peewee.Database) -> None:
    migrator = SchemaMigrator.from_database(database)
    migrate(migrator.add_column("outbox_message", "revokes", peewee.CharField(max_length=128, null=True)))
    _widen(database, "outbox_message", *_LINK_ACTION)
    _widen(database, "transmission", *_STATUS)


def _widen(database: peewee.Database, table: str, column: str, old: str, new: str) -> None:
    if isinstance(database, peewee.SqliteDatabase):
        widen_sqlite_check(database, table, old, new)
    else:  # PostgreSQL names a column's CHECK "<table>_<column>_check"
        database.execute_sql(f"ALTER TABLE {table} DROP CONSTRAINT {table}_{column}_check")
        database.execute_sql(f"ALTER TABLE {table} ADD CONSTRAINT {table}_{column}_check CHECK ({new})")

"""Version 11: the pace an agent keeps (``agent_heartbeat.pace``, emails a minute, 0 when nothing
limits it) and until when a provider's daily limit pauses it (``paused_until``), so the TUI's
status bar can tell how long the queue will take."""

from __future__ import annotations

import peewee
from playhouse.migrate import SchemaMigrator, migrate

VERSION = 11


def apply(database: peewee.Database) -> None:
    migrator = SchemaMigrator.from_database(database)
    migrate(
        migrator.add_column("agent_heartbeat", "pace", peewee.IntegerField(default=0)),
        migrator.add_column("agent_heartbeat", "paused_until", peewee.DateTimeField(null=True)),
    )

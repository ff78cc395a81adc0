"""Version 9: ``agent_heartbeat.blocked``, why an agent's channel refuses to work until a setting is
fixed (the server's reply and the setting to check, in the agent's words), so the TUI's status bar
can tell "blocked by its configuration" from "offline"."""

from __future__ import annotations

import peewee
from playhouse.migrate import SchemaMigrator, migrate

VERSION = 9


def apply(database: peewee.Database) -> None:
    migrator = SchemaMigrator.from_database(database)
    migrate(migrator.add_column("agent_heartbeat", "blocked", peewee.TextField(default="")))

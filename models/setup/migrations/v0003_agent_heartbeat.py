"""Version 3: ``agent_heartbeat``, one row per running agent, read by the TUI's status bar."""

from __future__ import annotations

import peewee

from models.database.base import UTCDateTimeField

VERSION = 3


def apply(database: peewee.Database) -> None:
    # The table as it was on the day this was written, not today's model.
    class AgentHeartbeat(peewee.Model):
        id = peewee.AutoField()
        agent_id = peewee.CharField(max_length=100, unique=True)
        hostname = peewee.CharField(max_length=255)
        pid = peewee.IntegerField()
        started_at = UTCDateTimeField()
        seen_at = UTCDateTimeField(index=True)
        online = peewee.BooleanField(default=False)
        last_sync_at = UTCDateTimeField(null=True)
        stopped_at = UTCDateTimeField(null=True)

        class Meta:
            table_name = "agent_heartbeat"

    AgentHeartbeat.bind(database)
    database.create_tables([AgentHeartbeat])

"""Version 5: what secure delivery needs.

- ``clinic``: a phone and an email patients can reach (the portal's "contact the clinic"
  pages and the email's footer), how many days a download link lives (1-30, 14 by
  default), and the PIN mode automatic emails use;
- ``outbox_message``: the link's token while its email is not sent yet (dropped with the
  personal message), the institution PIN's keyed hash (the PIN itself is never stored),
  and when each step of a secure delivery succeeded, so a retry redoes only what is left;
- ``sync_cursor``: how far the agent has read each outside feed (portal events, Stripe
  events per account), so a pull after days offline starts where the last one stopped.
"""

from __future__ import annotations

import peewee
from playhouse.migrate import SchemaMigrator, migrate

from models.database.base import UTCDateTimeField

VERSION = 5


def apply(database: peewee.Database) -> None:
    migrator = SchemaMigrator.from_database(database)
    migrate(
        migrator.add_column("clinic", "phone", peewee.CharField(max_length=32, default="")),
        migrator.add_column("clinic", "email", peewee.CharField(max_length=254, default="")),
        migrator.add_column(
            "clinic",
            "link_days",
            peewee.IntegerField(default=14, constraints=[peewee.Check("link_days BETWEEN 1 AND 30")]),
        ),
        migrator.add_column(
            "clinic",
            "default_pin_mode",
            peewee.CharField(
                max_length=12,
                default="sms",
                constraints=[peewee.Check("default_pin_mode IN ('none', 'sms', 'institution')")],
            ),
        ),
        migrator.add_column("outbox_message", "link_token", peewee.CharField(max_length=64, null=True)),
        migrator.add_column("outbox_message", "pin_hash", peewee.CharField(max_length=128, null=True)),
        migrator.add_column("outbox_message", "published_at", UTCDateTimeField(null=True)),
        migrator.add_column("outbox_message", "pin_sent_at", UTCDateTimeField(null=True)),
    )

    # The table as it was on the day this was written, not today's model.
    class SyncCursor(peewee.Model):
        id = peewee.AutoField()
        name = peewee.CharField(max_length=100, unique=True)
        value = peewee.TextField(default="")
        updated_at = UTCDateTimeField()

        class Meta:
            table_name = "sync_cursor"

    SyncCursor.bind(database)
    database.create_tables([SyncCursor])

"""Version 12: what the agent needs of a link once its token is gone, now that the portal asks for it.

- ``download_link.link_key``: the proof the portal asks for to change or revoke a link. A link
  published before this version has none of its token (the token left with the email): its key
  is derived from its PIN's keyed hash (``secure_link.legacy_link_key``), as the portal's own
  upgrade derives the link's verifier from the same hash;
- ``download_link.event_tag``: how the portal's events name a link now (no longer by its token's
  hash), a one-way function of that hash, indexed to apply the events.
"""

from __future__ import annotations

import peewee
from playhouse.migrate import SchemaMigrator, migrate

from models.messaging.secure_link import event_tag, legacy_link_key

VERSION = 12


def apply(database: peewee.Database) -> None:
    migrator = SchemaMigrator.from_database(database)
    migrate(
        migrator.add_column("download_link", "link_key", peewee.CharField(max_length=64, null=True)),
        migrator.add_column("download_link", "event_tag", peewee.CharField(max_length=64, null=True)),
        migrator.add_index("download_link", ("event_tag",), unique=True),
    )
    links = peewee.Table("download_link").bind(database)
    for row in list(links.select(links.c.id, links.c.token_hash, links.c.pin_hash).dicts()):
        links.update(
            {
                links.c.link_key: legacy_link_key(row["pin_hash"]),
                links.c.event_tag: event_tag(row["token_hash"]),
            }
        ).where(links.c.id == row["id"]).execute()

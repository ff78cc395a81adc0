"""Version 2: ``patient.search_name``, an accent- and case-folded "last first" name
with an index, so staff find "Élise Bélanger" by typing "belanger el"."""

from __future__ import annotations

import peewee
from playhouse.migrate import SchemaMigrator, migrate

from models.core.text import name_key

VERSION = 2


def apply(database: peewee.Database) -> None:
    migrator = SchemaMigrator.from_database(database)
    migrate(migrator.add_column("patient", "search_name", peewee.CharField(max_length=210, default="")))
    patient = peewee.Table("patient").bind(database)  # as it was then, not today's model
    column = patient.c
    for row in patient.select(column.id, column.last_name, column.first_name).dicts():
        key = name_key(row["last_name"], row["first_name"])
        patient.update(search_name=key).where(column.id == row["id"]).execute()
    migrate(migrator.add_index("patient", ("search_name",), False))

"""Version 21: statements of account as a scheduled template kind: ``patient.receive_statements`` (a
statement every period instead of each invoice's reminders), the template kind's CHECK widened by
``statement``, and the shipped monthly statement template (inactive)."""

from __future__ import annotations

from datetime import UTC, datetime

import peewee
from playhouse.migrate import SchemaMigrator, migrate

from models.messaging.system_templates import MONTHLY_STATEMENT, add_missing
from models.setup.migrations.sqlite_check import widen_sqlite_check

VERSION = 21

_KINDS = "kind IN ('invoice', 'reminder')"
_WIDER = "kind IN ('invoice', 'reminder', 'statement')"


def apply(database: peewee.Database) -> None:
    migrator = SchemaMigrator.from_database(database)
    migrate(migrator.add_column("patient", "receive_statements", peewee.BooleanField(default=False)))
    if isinstance(database, peewee.SqliteDatabase):
        widen_sqlite_check(database, "template", _KINDS, _WIDER)
    else:  # PostgreSQL names a column's CHECK "<table>_<column>_check"
        database.execute_sql("ALTER TABLE template DROP CONSTRAINT template_kind_check")
        database.execute_sql(f"ALTER TABLE template ADD CONSTRAINT template_kind_check CHECK ({_WIDER})")
    # The table as it was on the day this was written; times are stored as naive UTC.
    template = peewee.Table(
        "template",
        (
            "id",
            "kind",
            "system_key",
            "name",
            "active",
            "delay_value",
            "delay_unit",
            "attach_invoice",
            "add_payment_link",
            "subject_fr",
            "body_fr",
            "subject_en",
            "body_en",
            "created_at",
            "updated_at",
        ),
    ).bind(database)
    add_missing(template, datetime.now(UTC).replace(tzinfo=None), (MONTHLY_STATEMENT,))

"""Version 7: the shipped templates (invoice email, two payment reminders, all inactive) and an
index for the Communications screen, which lists scheduled messages by time at any depth."""

from __future__ import annotations

from datetime import UTC, datetime

import peewee
from playhouse.migrate import SchemaMigrator, migrate

from models.messaging.system_templates import FIRST_REMINDER, INVOICE_EMAIL, SECOND_REMINDER, add_missing

VERSION = 7


def apply(database: peewee.Database) -> None:
    migrator = SchemaMigrator.from_database(database)
    migrate(migrator.add_index("scheduled_message", ("due_at", "id"), False))
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
    shipped_then = (INVOICE_EMAIL, FIRST_REMINDER, SECOND_REMINDER)
    add_missing(template, datetime.now(UTC).replace(tzinfo=None), shipped_then)

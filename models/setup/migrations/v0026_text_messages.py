"""Version 26: text messages as a channel. ``template.channel`` (``email`` or ``sms``) and the template
kind ``payment`` (a text with the invoice's Pay page, sent when staff choose); ``outbox_message.medium``
(an email, or a text to ``recipient_phone``); the two shipped text templates, inactive."""

from __future__ import annotations

from datetime import UTC, datetime

import peewee
from playhouse.migrate import SchemaMigrator, migrate

from models.messaging.system_templates import SMS_PAYMENT_LINK, SMS_REMINDER, add_missing
from models.setup.migrations.sqlite_check import widen_sqlite_check

VERSION = 26

_KINDS = "kind IN ('invoice', 'reminder', 'statement')"
_WIDER = "kind IN ('invoice', 'reminder', 'statement', 'payment')"


def apply(database: peewee.Database) -> None:
    migrator = SchemaMigrator.from_database(database)
    channel = peewee.CharField(
        max_length=5, default="email", constraints=[peewee.Check("channel IN ('email', 'sms')")]
    )
    medium = peewee.CharField(
        max_length=5, default="email", constraints=[peewee.Check("medium IN ('email', 'sms')")]
    )
    migrate(
        migrator.add_column("template", "channel", channel),
        migrator.add_column("outbox_message", "medium", medium),
    )
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
            "channel",
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
    add_missing(template, datetime.now(UTC).replace(tzinfo=None), (SMS_REMINDER, SMS_PAYMENT_LINK))

"""Version 20: statements of account: ``statement`` and its ``statement_item`` rows (a snapshot of
each invoice it lists), ``statement_door`` (its Pay page), and the outbox messages that send one
(``outbox_message.statement_id``; the kind's CHECK widened by ``statement``)."""

from __future__ import annotations

import peewee

from models.database.base import UTCDateTimeField
from models.setup.migrations.sqlite_check import widen_sqlite_check

VERSION = 20

_KINDS = "kind IN ('invoice', 'reminder', 'receipt')"
_WIDER = "kind IN ('invoice', 'reminder', 'receipt', 'statement')"


def apply(database: peewee.Database) -> None:
    # The tables as they were on the day this was written, not today's models.
    class Invoice(peewee.Model):
        class Meta:
            table_name = "invoice"

    class Patient(peewee.Model):
        class Meta:
            table_name = "patient"

    class BillingCompany(peewee.Model):
        class Meta:
            table_name = "billing_company"

    class Staff(peewee.Model):
        class Meta:
            table_name = "staff"

    class Statement(peewee.Model):
        patient = peewee.ForeignKeyField(Patient, on_delete="RESTRICT")
        billing_company = peewee.ForeignKeyField(BillingCompany, on_delete="RESTRICT")
        currency = peewee.CharField(max_length=3)
        issue_date = peewee.DateField()
        balance_cents = peewee.BigIntegerField()
        created_by = peewee.ForeignKeyField(Staff, null=True, on_delete="SET NULL")
        created_at = UTCDateTimeField()

        class Meta:
            table_name = "statement"

    class StatementItem(peewee.Model):
        statement = peewee.ForeignKeyField(Statement, on_delete="CASCADE")
        invoice = peewee.ForeignKeyField(Invoice, on_delete="RESTRICT")
        position = peewee.IntegerField()
        total_cents = peewee.BigIntegerField()
        credited_cents = peewee.BigIntegerField()
        paid_cents = peewee.BigIntegerField()
        balance_cents = peewee.BigIntegerField()

        class Meta:
            table_name = "statement_item"
            indexes = ((("statement", "position"), True),)

    class StatementDoor(peewee.Model):
        statement = peewee.ForeignKeyField(Statement, unique=True, on_delete="CASCADE")
        token = peewee.CharField(max_length=64)
        token_hash = peewee.CharField(max_length=64, unique=True)
        tag = peewee.CharField(max_length=32, unique=True)
        sign_key = peewee.CharField(max_length=64)
        version = peewee.IntegerField(default=0)
        pushed_state = peewee.TextField(default="")
        created_at = UTCDateTimeField()

        class Meta:
            table_name = "statement_door"

    tables = [Statement, StatementItem, StatementDoor]
    database.bind(tables)
    database.create_tables(tables)
    database.execute_sql(
        "ALTER TABLE outbox_message ADD COLUMN statement_id INTEGER "
        "REFERENCES statement (id) ON DELETE RESTRICT"
    )
    database.execute_sql('CREATE INDEX "outbox_message_statement_id" ON "outbox_message" ("statement_id")')
    if isinstance(database, peewee.SqliteDatabase):
        widen_sqlite_check(database, "outbox_message", _KINDS, _WIDER)
    else:  # PostgreSQL names a column's CHECK "<table>_<column>_check"
        database.execute_sql("ALTER TABLE outbox_message DROP CONSTRAINT outbox_message_kind_check")
        database.execute_sql(
            f"ALTER TABLE outbox_message ADD CONSTRAINT outbox_message_kind_check CHECK ({_WIDER})"
        )

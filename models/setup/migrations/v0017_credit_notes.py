"""Version 17: credit notes. ``credit_note`` with its lines and its own number sequence per billing
company (``billing_company.credit_prefix``); ``invoice.credited_cents``, which the balance and its
History index now subtract; an invoice may be ``credited`` (its status CHECK widened by that value)."""

from __future__ import annotations

import peewee

from models.database.base import UTCDateTimeField
from models.setup.migrations.sqlite_check import widen_sqlite_check

VERSION = 17

_STATUSES = "status IN ('draft', 'billed', 'paid', 'void')"
_WIDER = "status IN ('draft', 'billed', 'paid', 'void', 'credited')"
_BALANCE = (
    'CREATE INDEX IF NOT EXISTS "invoice_balance" ON "invoice" '
    '((CASE WHEN "status" = \'void\' THEN 0 ELSE "total_cents" - "credited_cents" - "paid_cents" END))'
)


def apply(database: peewee.Database) -> None:
    big = "INTEGER" if isinstance(database, peewee.SqliteDatabase) else "BIGINT"  # as peewee declares it
    database.execute_sql(
        f"ALTER TABLE invoice ADD COLUMN credited_cents {big} NOT NULL DEFAULT 0 "
        "CHECK (credited_cents >= 0 AND credited_cents <= total_cents)"
    )
    database.execute_sql(
        "ALTER TABLE billing_company ADD COLUMN credit_prefix VARCHAR(12) NOT NULL DEFAULT ''"
    )
    if isinstance(database, peewee.SqliteDatabase):
        widen_sqlite_check(database, "invoice", _STATUSES, _WIDER)
    else:  # PostgreSQL names a column's CHECK "<table>_<column>_check"
        database.execute_sql("ALTER TABLE invoice DROP CONSTRAINT invoice_status_check")
        database.execute_sql(f"ALTER TABLE invoice ADD CONSTRAINT invoice_status_check CHECK ({_WIDER})")
    database.execute_sql('DROP INDEX IF EXISTS "invoice_balance"')
    database.execute_sql(_BALANCE)

    # The tables as they were on the day this was written, not today's models.
    class Invoice(peewee.Model):
        class Meta:
            table_name = "invoice"

    class InvoiceLine(peewee.Model):
        class Meta:
            table_name = "invoice_line"

    class BillingCompany(peewee.Model):
        class Meta:
            table_name = "billing_company"

    class Staff(peewee.Model):
        class Meta:
            table_name = "staff"

    class CreditNote(peewee.Model):
        number = peewee.CharField(max_length=40, unique=True)
        invoice = peewee.ForeignKeyField(Invoice, on_delete="RESTRICT")
        billing_company = peewee.ForeignKeyField(BillingCompany, on_delete="RESTRICT")
        currency = peewee.CharField(max_length=3)
        reason = peewee.TextField()
        issue_date = peewee.DateField()
        subtotal_cents = peewee.BigIntegerField()
        tax_cents = peewee.BigIntegerField()
        total_cents = peewee.BigIntegerField(constraints=[peewee.Check("total_cents > 0")])
        created_by = peewee.ForeignKeyField(Staff, null=True, on_delete="SET NULL")
        created_at = UTCDateTimeField()

        class Meta:
            table_name = "credit_note"

    class CreditNoteLine(peewee.Model):
        credit_note = peewee.ForeignKeyField(CreditNote, on_delete="CASCADE")
        invoice_line = peewee.ForeignKeyField(InvoiceLine, on_delete="RESTRICT")
        position = peewee.IntegerField()
        code = peewee.CharField(max_length=32, default="")
        description = peewee.CharField(max_length=500)
        tax_rate = peewee.DecimalField(max_digits=7, decimal_places=4, default=0)
        subtotal_cents = peewee.BigIntegerField(constraints=[peewee.Check("subtotal_cents >= 0")])
        tax_cents = peewee.BigIntegerField(constraints=[peewee.Check("tax_cents >= 0")])

        class Meta:
            table_name = "credit_note_line"
            indexes = ((("credit_note", "position"), True),)

    class CreditNoteSequence(peewee.Model):
        billing_company = peewee.ForeignKeyField(BillingCompany, on_delete="CASCADE")
        year = peewee.IntegerField()
        last_value = peewee.IntegerField(default=0)

        class Meta:
            table_name = "credit_note_sequence"
            indexes = ((("billing_company", "year"), True),)

    tables = [CreditNote, CreditNoteLine, CreditNoteSequence]
    database.bind(tables)
    database.create_tables(tables)

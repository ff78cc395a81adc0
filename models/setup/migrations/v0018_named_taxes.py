"""Version 18: named taxes (``models.billing.taxes``, ``models.billing.invoice_taxes``).

- ``tax``: a billing company's taxes (code, names in French and English, rate, registration
  number, the dates a rate applies), defined by an admin;
- ``invoice_tax``: each invoice's taxes as computed and printed (base and amount per tax);
- ``invoice_line.tax_codes``: the codes of a line's taxes (``GST+QST``). Lines written before
  keep their bare ``tax_rate`` and their stored amounts, and print as they did.
"""

from __future__ import annotations

import peewee

from models.database.base import UTCDateTimeField

VERSION = 18


def apply(database: peewee.Database) -> None:
    # The tables as they were on the day this was written, not today's models.
    class BillingCompany(peewee.Model):
        class Meta:
            table_name = "billing_company"

    class Invoice(peewee.Model):
        class Meta:
            table_name = "invoice"

    class Tax(peewee.Model):
        billing_company = peewee.ForeignKeyField(BillingCompany, on_delete="RESTRICT")
        code = peewee.CharField(max_length=12)
        name_fr = peewee.CharField(max_length=60)
        name_en = peewee.CharField(max_length=60)
        rate = peewee.DecimalField(max_digits=7, decimal_places=4)
        registration = peewee.CharField(max_length=40, null=True)
        valid_from = peewee.DateField(null=True)
        valid_until = peewee.DateField(null=True)
        position = peewee.IntegerField(default=0)
        on_new_lines = peewee.BooleanField(default=True)
        created_at = UTCDateTimeField()

        class Meta:
            table_name = "tax"
            indexes = ((("billing_company", "code"), False),)

    class InvoiceTax(peewee.Model):
        invoice = peewee.ForeignKeyField(Invoice, on_delete="CASCADE")
        position = peewee.IntegerField()
        code = peewee.CharField(max_length=12, default="")
        name_fr = peewee.CharField(max_length=60, default="")
        name_en = peewee.CharField(max_length=60, default="")
        rate = peewee.DecimalField(max_digits=7, decimal_places=4)
        registration = peewee.CharField(max_length=40, null=True)
        base_cents = peewee.BigIntegerField()
        tax_cents = peewee.BigIntegerField()

        class Meta:
            table_name = "invoice_tax"
            indexes = ((("invoice", "position"), True),)

    for model in (Tax, InvoiceTax):
        model.bind(database)
    database.create_tables([Tax, InvoiceTax])
    database.execute_sql("ALTER TABLE invoice_line ADD COLUMN tax_codes VARCHAR(64) NOT NULL DEFAULT ''")

"""Version 14: ``refund_request``, the refunds staff ask Facteur to make through Stripe."""

from __future__ import annotations

import peewee

from models.database.base import UTCDateTimeField

VERSION = 14


def apply(database: peewee.Database) -> None:
    # The tables as they were on the day this was written, not today's models.
    class Invoice(peewee.Model):
        class Meta:
            table_name = "invoice"

    class Payment(peewee.Model):
        class Meta:
            table_name = "payment"

    class Staff(peewee.Model):
        class Meta:
            table_name = "staff"

    class RefundRequest(peewee.Model):
        payment = peewee.ForeignKeyField(Payment, on_delete="RESTRICT")
        invoice = peewee.ForeignKeyField(Invoice, on_delete="RESTRICT")
        amount_cents = peewee.BigIntegerField(constraints=[peewee.Check("amount_cents > 0")])
        reason = peewee.CharField(max_length=200, null=True)
        status = peewee.CharField(
            max_length=8, constraints=[peewee.Check("status IN ('pending', 'done', 'failed')")]
        )
        refund_id = peewee.CharField(max_length=200, null=True)
        error = peewee.TextField(null=True)
        requested_by = peewee.ForeignKeyField(Staff, null=True, on_delete="SET NULL")
        created_at = UTCDateTimeField()
        done_at = UTCDateTimeField(null=True)

        class Meta:
            table_name = "refund_request"

    RefundRequest.bind(database)
    database.create_tables([RefundRequest])

"""Version 13: money that moves back (``models.billing.reversals``).

- ``payment_reversal``: a refund, or a lost dispute, taking money back from a payment, once per
  Stripe reference;
- ``payment_dispute``: a contested payment, from its opening to its outcome.
"""

from __future__ import annotations

import peewee

from models.database.base import UTCDateTimeField

VERSION = 13


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

    class PaymentReversal(peewee.Model):
        payment = peewee.ForeignKeyField(Payment, on_delete="RESTRICT")
        invoice = peewee.ForeignKeyField(Invoice, on_delete="RESTRICT")
        kind = peewee.CharField(
            max_length=16, constraints=[peewee.Check("kind IN ('refund', 'dispute_lost')")]
        )
        amount_cents = peewee.BigIntegerField(constraints=[peewee.Check("amount_cents > 0")])
        reference = peewee.CharField(max_length=200, unique=True)
        reason = peewee.CharField(max_length=200, null=True)
        recorded_by = peewee.ForeignKeyField(Staff, null=True, on_delete="SET NULL")
        created_at = UTCDateTimeField()

        class Meta:
            table_name = "payment_reversal"

    class PaymentDispute(peewee.Model):
        payment = peewee.ForeignKeyField(Payment, on_delete="RESTRICT")
        invoice = peewee.ForeignKeyField(Invoice, on_delete="RESTRICT")
        dispute_id = peewee.CharField(max_length=200, unique=True)
        amount_cents = peewee.BigIntegerField()
        reason = peewee.CharField(max_length=100, null=True)
        status = peewee.CharField(
            max_length=8, constraints=[peewee.Check("status IN ('open', 'won', 'lost')")]
        )
        opened_at = UTCDateTimeField()
        closed_at = UTCDateTimeField(null=True)

        class Meta:
            table_name = "payment_dispute"

    for model in (PaymentReversal, PaymentDispute):
        model.bind(database)
    database.create_tables([PaymentReversal, PaymentDispute])

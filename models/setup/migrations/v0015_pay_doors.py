"""Version 15: ``pay_door``, the portal's Pay page of an invoice, which outlives any one Checkout Session."""

from __future__ import annotations

import peewee

from models.database.base import UTCDateTimeField

VERSION = 15


def apply(database: peewee.Database) -> None:
    # The tables as they were on the day this was written, not today's models.
    class Invoice(peewee.Model):
        class Meta:
            table_name = "invoice"

    class PayDoor(peewee.Model):
        invoice = peewee.ForeignKeyField(Invoice, unique=True, on_delete="CASCADE")
        token = peewee.CharField(max_length=64)
        token_hash = peewee.CharField(max_length=64, unique=True)
        tag = peewee.CharField(max_length=32, unique=True)
        sign_key = peewee.CharField(max_length=64)
        version = peewee.IntegerField(default=0)
        pushed_state = peewee.TextField(default="")
        closed_at = UTCDateTimeField(null=True)
        created_at = UTCDateTimeField()

        class Meta:
            table_name = "pay_door"

    PayDoor.bind(database)
    database.create_tables([PayDoor])

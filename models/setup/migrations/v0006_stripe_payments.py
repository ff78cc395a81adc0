"""Version 6: what Stripe payment links and their reconciliation need.

- ``stripe_event``: every Stripe event applied, by its id, so one seen again (the next pull,
  the webhook, a retry) is applied once;
- ``payment_link``: the connected account its session lives on (the company's account may
  change later), and when its session was completed while a delayed payment is awaited;
- ``outbox_message``: a payment-link task queued from the invoice (``link_action``: a new link,
  or removing the link; no email), and the Checkout Session request planned before it is
  sent (idempotency key and expiry), so a retry after a crash repeats it word for word;
- ``agent_heartbeat``: the channels the agent can use (``email,stripe``), so the TUI offers a
  payment link only when the agent has a Stripe key.
"""

from __future__ import annotations

import peewee
from playhouse.migrate import SchemaMigrator, migrate

from models.database.base import UTCDateTimeField

VERSION = 6


def apply(database: peewee.Database) -> None:
    migrator = SchemaMigrator.from_database(database)
    migrate(
        migrator.add_column("payment_link", "account", peewee.CharField(max_length=64, default="")),
        migrator.add_column("payment_link", "completed_at", UTCDateTimeField(null=True)),
        migrator.add_index("payment_link", ("status",), False),
        migrator.add_column(
            "outbox_message",
            "link_action",
            peewee.CharField(
                max_length=8,
                null=True,
                constraints=[peewee.Check("link_action IN ('create', 'remove')")],
            ),
        ),
        migrator.add_column("outbox_message", "stripe_request", peewee.TextField(null=True)),
        migrator.add_column("agent_heartbeat", "channels", peewee.CharField(max_length=64, default="")),
    )

    # The table as it was on the day this was written, not today's model.
    class StripeEvent(peewee.Model):
        id = peewee.AutoField()
        event_id = peewee.CharField(max_length=255, unique=True)
        account = peewee.CharField(max_length=64)
        type = peewee.CharField(max_length=100)
        created = UTCDateTimeField(index=True)
        applied_at = UTCDateTimeField()

        class Meta:
            table_name = "stripe_event"

    StripeEvent.bind(database)
    database.create_tables([StripeEvent])

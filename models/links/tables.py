"""Links handed to patients: secure download links and Stripe payment links."""

from __future__ import annotations

import peewee

from models.billing.invoice import Invoice
from models.core.enums import PaymentLinkStatus, PinMode
from models.database.base import BaseModel, UTCDateTimeField, one_of, utcnow
from models.messaging.tables import OutboxMessage


class DownloadLink(BaseModel):
    """A portal link: only the token's hash and the PIN's keyed hash are kept, with what the agent needs
    once the token is gone (the email sent): the link key, the proof the portal asks for to revoke
    it, and the tag the portal's events name it by (``models.messaging.secure_link``)."""

    invoice = peewee.ForeignKeyField(Invoice, backref="download_links", on_delete="CASCADE")
    message = peewee.ForeignKeyField(OutboxMessage, null=True, backref="+", on_delete="SET NULL")
    token_hash = peewee.CharField(max_length=128, unique=True)
    pin_hash = peewee.CharField(max_length=128)
    link_key = peewee.CharField(max_length=64, null=True)  # opens nothing: it proves a change comes from here
    event_tag = peewee.CharField(max_length=64, null=True, unique=True)
    pin_mode = peewee.CharField(max_length=12, constraints=[one_of("pin_mode", PinMode)])
    expires_at = UTCDateTimeField()
    failed_attempts = peewee.IntegerField(default=0)
    locked_at = UTCDateTimeField(null=True)
    revoked_at = UTCDateTimeField(null=True)
    download_count = peewee.IntegerField(default=0)
    last_download_at = UTCDateTimeField(null=True)
    created_at = UTCDateTimeField(default=utcnow)


class PaymentLink(BaseModel):
    """A Stripe Checkout Session offered for an invoice's balance."""

    invoice = peewee.ForeignKeyField(Invoice, backref="payment_links", on_delete="CASCADE")
    message = peewee.ForeignKeyField(OutboxMessage, null=True, backref="+", on_delete="SET NULL")
    session_id = peewee.CharField(max_length=255, unique=True)
    account = peewee.CharField(max_length=64, default="")  # the connected account it lives on
    url = peewee.TextField()
    amount_cents = peewee.BigIntegerField()
    currency = peewee.CharField(max_length=3)
    expires_at = UTCDateTimeField()
    status = peewee.CharField(
        max_length=8,
        default=PaymentLinkStatus.OPEN.value,
        index=True,
        constraints=[one_of("status", PaymentLinkStatus)],
    )
    completed_at = UTCDateTimeField(null=True)  # paid by a delayed method: open until it clears
    created_at = UTCDateTimeField(default=utcnow)


class PayDoor(BaseModel):
    """The portal's Pay page of one invoice (``/pay/<token>``), the button every email of it carries:
    the portal sends the patient to an open Checkout Session for the balance it was last told,
    making a fresh one when the last expired (``models.links.pay_doors``). The token opens only
    that page (what is due, to whom; no health detail), so it is kept here to go in later emails."""

    invoice = peewee.ForeignKeyField(Invoice, unique=True, backref="+", on_delete="CASCADE")
    token = peewee.CharField(max_length=64)
    token_hash = peewee.CharField(max_length=64, unique=True)
    tag = peewee.CharField(max_length=32, unique=True)  # names the door in Stripe's metadata and the feed
    sign_key = peewee.CharField(max_length=64)  # signs the sessions the portal makes; the portal has it too
    version = peewee.IntegerField(default=0)  # of the state last pushed to the portal
    pushed_state = peewee.TextField(default="")
    closed_at = UTCDateTimeField(null=True)  # staff took the payment link away
    created_at = UTCDateTimeField(default=utcnow)

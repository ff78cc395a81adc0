"""What the agent sends and what it recorded: templates, the outbox, transmissions,
scheduled messages and staff notifications."""

from __future__ import annotations

import peewee

from models.billing.invoice import Invoice
from models.billing.statements import Statement
from models.core.enums import (
    Channel,
    DelayUnit,
    LinkAction,
    MessageKind,
    OutboxStatus,
    PinMode,
    ScheduleStatus,
    TemplateChannel,
    TemplateKind,
    TransmissionStatus,
)
from models.database.base import BaseModel, UTCDateTimeField, one_of, utcnow
from models.people.clinic import Staff


class Template(BaseModel):
    """An email's wording per language, and when and how it goes out."""

    kind = peewee.CharField(max_length=10, constraints=[one_of("kind", TemplateKind)])
    channel = peewee.CharField(  # schema 26: a text message's template has only bodies
        max_length=5, default=TemplateChannel.EMAIL.value, constraints=[one_of("channel", TemplateChannel)]
    )
    system_key = peewee.CharField(max_length=40, null=True, unique=True)  # set on shipped templates
    name = peewee.CharField(max_length=200)
    active = peewee.BooleanField(default=False)
    delay_value = peewee.IntegerField(default=0, constraints=[peewee.Check("delay_value >= 0")])
    delay_unit = peewee.CharField(
        max_length=6, default=DelayUnit.DAYS.value, constraints=[one_of("delay_unit", DelayUnit)]
    )
    attach_invoice = peewee.BooleanField(default=True)
    add_payment_link = peewee.BooleanField(default=False)
    subject_fr = peewee.TextField(default="")
    body_fr = peewee.TextField(default="")
    subject_en = peewee.TextField(default="")
    body_en = peewee.TextField(default="")
    created_at = UTCDateTimeField(default=utcnow)
    updated_at = UTCDateTimeField(default=utcnow)

    @property
    def is_system(self) -> bool:
        return self.system_key is not None


class OutboxMessage(BaseModel):
    """One message to deliver; its rules (claim, lease, retry) live in the agent's outbox."""

    kind = peewee.CharField(max_length=10, constraints=[one_of("kind", MessageKind)])
    invoice = peewee.ForeignKeyField(Invoice, backref="outbox_messages", on_delete="RESTRICT")
    # a statement of account (schema 20): ``invoice`` is then its newest invoice, which it is filed under
    statement = peewee.ForeignKeyField(Statement, null=True, backref="+", on_delete="RESTRICT")
    template = peewee.ForeignKeyField(Template, null=True, backref="+", on_delete="SET NULL")
    recipient_email = peewee.CharField(max_length=254, null=True)
    recipient_phone = peewee.CharField(max_length=20, null=True)
    language = peewee.CharField(max_length=2)
    pin_mode = peewee.CharField(
        max_length=12, default=PinMode.NONE.value, constraints=[one_of("pin_mode", PinMode)]
    )
    payment_link = peewee.BooleanField(default=False)
    attach_pdf = peewee.BooleanField(default=True)
    personal_message = peewee.TextField(null=True)  # dropped once sent
    link_token = peewee.CharField(max_length=64, null=True)  # the secure link's token; dropped once sent
    pin_hash = peewee.CharField(max_length=128, null=True)  # an institution PIN's keyed hash, never the PIN
    published_at = UTCDateTimeField(null=True)  # the document is on the portal
    pin_sent_at = UTCDateTimeField(null=True)  # the PIN's SMS was accepted
    # a link task, no email: a payment link's ('create' a new one, 'remove' it), or 'revoke' (schema
    # 23) the download link whose token hash is ``revokes``
    link_action = peewee.CharField(
        max_length=8, null=True, constraints=[peewee.Check("link_action IN ('create', 'remove', 'revoke')")]
    )
    revokes = peewee.CharField(max_length=128, null=True)
    stripe_request = peewee.TextField(null=True)  # the Checkout Session request planned, as JSON
    # waits for the clinic's sending window (schema 24): automatic messages, or staff chose it
    in_window = peewee.BooleanField(default=False)
    # how it goes (schema 26): an email, or a text message to ``recipient_phone`` (a template's)
    medium = peewee.CharField(
        max_length=5, default=TemplateChannel.EMAIL.value, constraints=[one_of("medium", TemplateChannel)]
    )
    status = peewee.CharField(
        max_length=10, default=OutboxStatus.PENDING.value, constraints=[one_of("status", OutboxStatus)]
    )
    attempts = peewee.IntegerField(default=0)
    next_attempt_at = UTCDateTimeField(default=utcnow)
    lease_owner = peewee.CharField(max_length=100, null=True)
    lease_expires_at = UTCDateTimeField(null=True)
    last_error = peewee.TextField(null=True)
    message_id = peewee.CharField(max_length=255, null=True)  # the email's Message-ID, reused on retry
    created_by = peewee.ForeignKeyField(Staff, null=True, backref="+", on_delete="SET NULL")
    created_at = UTCDateTimeField(default=utcnow)
    sent_at = UTCDateTimeField(null=True)

    class Meta:
        indexes = ((("status", "next_attempt_at"), False),)

    @property
    def sends_email(self) -> bool:
        """False for a link task, whose step (Stripe's, or the portal's revocation) is the whole job,
        and for a text message, whose SMS step is."""
        return self.link_action is None and self.medium == TemplateChannel.EMAIL

    @property
    def channel(self) -> Channel:
        """Where the message goes: its email, or a link task's Stripe or portal (a revocation)."""
        if self.medium == TemplateChannel.SMS:
            return Channel.SMS
        if self.link_action is None:
            return Channel.EMAIL
        return Channel.PORTAL if self.link_action == LinkAction.REVOKE else Channel.STRIPE


class Transmission(BaseModel):
    """One attempt on one channel. Never the content: only what happened."""

    invoice = peewee.ForeignKeyField(Invoice, backref="transmissions", on_delete="RESTRICT")
    message = peewee.ForeignKeyField(OutboxMessage, null=True, backref="transmissions", on_delete="SET NULL")
    channel = peewee.CharField(max_length=8, constraints=[one_of("channel", Channel)])
    status = peewee.CharField(max_length=10, constraints=[one_of("status", TransmissionStatus)])
    reply_code = peewee.CharField(max_length=16, null=True)
    provider_id = peewee.CharField(max_length=255, null=True)  # Message-ID, SMS id, session id
    detail = peewee.TextField(null=True)  # the error's reason, never the message
    created_at = UTCDateTimeField(default=utcnow, index=True)


class ScheduledMessage(BaseModel):
    """A reminder or automatic invoice email waiting for its time."""

    invoice = peewee.ForeignKeyField(Invoice, backref="scheduled_messages", on_delete="CASCADE")
    template = peewee.ForeignKeyField(Template, backref="scheduled_messages", on_delete="CASCADE")
    due_at = UTCDateTimeField()
    status = peewee.CharField(
        max_length=10,
        default=ScheduleStatus.SCHEDULED.value,
        constraints=[one_of("status", ScheduleStatus)],
    )
    outbox_message = peewee.ForeignKeyField(OutboxMessage, null=True, backref="+", on_delete="SET NULL")
    reason = peewee.TextField(null=True)  # why it was cancelled or skipped
    created_at = UTCDateTimeField(default=utcnow)
    updated_at = UTCDateTimeField(default=utcnow)

    class Meta:
        indexes = ((("status", "due_at"), False), (("due_at", "id"), False))  # the second since schema 7


class Notification(BaseModel):
    """Something a staff member should know (a payment arrived, a delivery failed).

    ``message`` is a msgid and ``params`` its JSON placeholders, so each person
    reads it in their own language.
    """

    staff = peewee.ForeignKeyField(Staff, backref="notifications", on_delete="CASCADE")
    kind = peewee.CharField(max_length=32)
    invoice = peewee.ForeignKeyField(Invoice, null=True, backref="+", on_delete="CASCADE")
    message = peewee.TextField()
    params = peewee.TextField(default="{}")
    created_at = UTCDateTimeField(default=utcnow)
    read_at = UTCDateTimeField(null=True)

    class Meta:
        indexes = ((("staff", "read_at"), False),)

"""The closed vocabularies of the data: statuses, roles, channels."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    BILLING = "billing"
    PROVIDER = "provider"


class InvoiceStatus(StrEnum):
    DRAFT = "draft"
    BILLED = "billed"
    PAID = "paid"
    VOID = "void"
    CREDITED = "credited"  # credit notes cancelled what was owed, and nothing was paid


class PaymentMethod(StrEnum):
    CASH = "cash"
    CARD = "card"
    TRANSFER = "transfer"
    STRIPE = "stripe"


class TemplateKind(StrEnum):
    INVOICE = "invoice"
    REMINDER = "reminder"
    STATEMENT = "statement"  # a statement of account, every period, to the patients who chose them
    PAYMENT = "payment"  # a text with the invoice's Pay page, sent when staff choose (SMS only)


class TemplateChannel(StrEnum):
    """How a template's message goes: an email, or a text message (schema 26)."""

    EMAIL = "email"
    SMS = "sms"


class DelayUnit(StrEnum):
    HOURS = "hours"
    DAYS = "days"
    MONTHS = "months"


class PinMode(StrEnum):
    NONE = "none"  # the PDF is attached; no portal link
    SMS = "sms"
    INSTITUTION = "institution"


class MessageKind(StrEnum):
    INVOICE = "invoice"
    REMINDER = "reminder"
    RECEIPT = "receipt"  # a payment was recorded: the patient is told, with the paid invoice
    STATEMENT = "statement"  # a statement of account, with its invoices (``OutboxMessage.statement``)


class ReceiptPolicy(StrEnum):
    """Which recorded payments get the patient a receipt by email (Settings → Clinic)."""

    ONLINE = "online"  # payments through the email's Pay button (Stripe)
    ALL = "all"  # those and the ones recorded at the desk
    NONE = "none"


class LinkAction(StrEnum):
    """A link task staff queue (an outbox message without email): a payment link's, or a revocation."""

    CREATE = "create"  # expire the open link, make a new one
    REMOVE = "remove"  # expire the open link
    REVOKE = "revoke"  # close a secure download link on the portal (``OutboxMessage.revokes``)


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"
    REPLACED = "replaced"  # a newer send of the invoice carries its link: this one is not sent


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    PORTAL = "portal"
    STRIPE = "stripe"


class TransmissionStatus(StrEnum):
    SENT = "sent"
    DEFERRED = "deferred"  # transient failure, will be retried
    FAILED = "failed"
    UNKNOWN = "unknown"  # e.g. a timeout after DATA
    PUBLISHED = "published"
    DOWNLOADED = "downloaded"
    CREATED = "created"
    EXPIRED = "expired"
    REPLACED = "replaced"  # the portal refused a link a newer send had replaced
    DELIVERED = "delivered"  # the SMS gateway's receipt: the text reached the phone
    REVOKED = "revoked"  # staff closed a download link on the portal


class ScheduleStatus(StrEnum):
    SCHEDULED = "scheduled"
    ENQUEUED = "enqueued"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"


class PaymentLinkStatus(StrEnum):
    OPEN = "open"
    PAID = "paid"
    EXPIRED = "expired"
    REMOVED = "removed"


class ReversalKind(StrEnum):
    """How a payment gave money back (``models.billing.reversals``)."""

    REFUND = "refund"
    DISPUTE_LOST = "dispute_lost"


class DisputeStatus(StrEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"


class RefundStatus(StrEnum):
    PENDING = "pending"  # queued by staff; the agent asks Stripe when online
    DONE = "done"
    FAILED = "failed"


class SwissReference(StrEnum):
    """The reference a Swiss QR-bill carries (``models.billing.swiss_bill``): a QR reference goes
    with a QR-IBAN, a creditor reference (ISO 11649, ``RF…``) with a plain IBAN."""

    QR = "qrr"
    CREDITOR = "scor"


class ConsentChannel(StrEnum):
    """What a patient consents to, or withdraws (``models.people.consent``)."""

    ATTACHMENTS = "attachments"  # invoices attached to a plain (unencrypted) email
    SMS = "sms"  # text messages other than a secure send's PIN
    EMAIL = "email"  # email at all: allowed until withdrawn


class ConsentMethod(StrEnum):
    """How a consent was given or withdrawn."""

    IN_PERSON = "in_person"
    FORM = "form"  # a signed form
    PHONE = "phone"
    EMAIL = "email"  # in writing, by email
    UNSTATED = "unstated"  # ticked on the patient's record, how not said
    BEFORE_RECORDS = "before_records"  # the yes/no flag Facteur kept before schema 22

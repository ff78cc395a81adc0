"""What people read for the data's vocabularies: statuses, payment methods, template kinds, delay
units, consent channels and methods, in the catalogs."""

from __future__ import annotations

from locales import L_, LazyText
from models.core.enums import (
    ConsentChannel,
    ConsentMethod,
    DelayUnit,
    InvoiceStatus,
    PaymentMethod,
    ScheduleStatus,
    TemplateChannel,
    TemplateKind,
)

INVOICE_STATUS: dict[str, LazyText] = {
    InvoiceStatus.DRAFT: L_("draft"),
    InvoiceStatus.BILLED: L_("billed"),
    InvoiceStatus.PAID: L_("paid"),
    InvoiceStatus.VOID: L_("void"),
    InvoiceStatus.CREDITED: L_("credited"),
}

PAYMENT_METHOD: dict[str, LazyText] = {
    PaymentMethod.CASH: L_("cash"),
    PaymentMethod.CARD: L_("card"),
    PaymentMethod.TRANSFER: L_("transfer"),
    PaymentMethod.STRIPE: L_("Stripe"),
}
# Money that moved back, and a dispute still open, shown among an invoice's payments
MONEY_BACK: dict[str, LazyText] = {
    "refund": L_("refund"),
    "dispute_lost": L_("dispute lost"),
    "dispute_open": L_("disputed"),
}

SCHEDULE_STATUS: dict[str, LazyText] = {
    ScheduleStatus.SCHEDULED: L_("scheduled"),
    ScheduleStatus.ENQUEUED: L_("queued"),
    ScheduleStatus.CANCELLED: L_("cancelled"),
    ScheduleStatus.SKIPPED: L_("skipped"),
}

TEMPLATE_KIND: dict[str, LazyText] = {
    TemplateKind.INVOICE: L_("invoice"),
    TemplateKind.REMINDER: L_("reminder"),
    TemplateKind.STATEMENT: L_("statement of account"),
    TemplateKind.PAYMENT: L_("payment link"),
}

TEMPLATE_CHANNEL: dict[str, LazyText] = {
    TemplateChannel.EMAIL: L_("email"),
    TemplateChannel.SMS: L_("text message"),
}

CONSENT_CHANNEL: dict[str, LazyText] = {
    ConsentChannel.ATTACHMENTS: L_("attachments to plain email"),
    ConsentChannel.SMS: L_("text messages"),
    ConsentChannel.EMAIL: L_("email"),
}

CONSENT_METHOD: dict[str, LazyText] = {
    ConsentMethod.IN_PERSON: L_("in person"),
    ConsentMethod.FORM: L_("signed form"),
    ConsentMethod.PHONE: L_("by phone"),
    ConsentMethod.EMAIL: L_("in writing, by email"),
    ConsentMethod.UNSTATED: L_("on the patient's record, how not stated"),
    ConsentMethod.BEFORE_RECORDS: L_("recorded before consent records were kept"),
}

DELAY_UNIT: dict[str, LazyText] = {
    DelayUnit.HOURS: L_("hours"),
    DelayUnit.DAYS: L_("days"),
    DelayUnit.MONTHS: L_("months"),
}

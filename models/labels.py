"""What people read for the data's vocabularies: statuses and payment methods, in the catalogs."""

from __future__ import annotations

from locales import L_, LazyText
from models.enums import InvoiceStatus, PaymentMethod

INVOICE_STATUS: dict[str, LazyText] = {
    InvoiceStatus.DRAFT: L_("draft"),
    InvoiceStatus.BILLED: L_("billed"),
    InvoiceStatus.PAID: L_("paid"),
    InvoiceStatus.VOID: L_("void"),
}

PAYMENT_METHOD: dict[str, LazyText] = {
    PaymentMethod.CASH: L_("cash"),
    PaymentMethod.CARD: L_("card"),
    PaymentMethod.TRANSFER: L_("transfer"),
    PaymentMethod.STRIPE: L_("Stripe"),
}

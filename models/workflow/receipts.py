"""The patient's receipt: once a payment is recorded, an email in their language saying so, with
the amount and the invoice (stamped PAID once nothing is left) behind the same secure link and PIN
rules as the invoice email. No health detail: the subject is the clinic's name, the body the
amount, the date and the invoice's number.

Which payments get one is the clinic's choice (Settings → Clinic, ``Clinic.receipts``): those made
through the email's Pay button (the default), every payment, or none. A receipt is queued with the
payment, in its transaction; one that cannot be queued (no email address) costs the payment nothing.
"""

from __future__ import annotations

import logging

from locales import N_, translator
from locales.formatting import format_date, format_money, local_datetime
from models.billing.invoice import Invoice, Payment
from models.core.enums import MessageKind, PaymentMethod, PinMode, ReceiptPolicy
from models.core.errors import FacteurError
from models.database.db import db
from models.messaging.pin_modes import attachment_allowed
from models.messaging.tables import OutboxMessage
from models.people.clinic import Clinic, get_clinic
from models.workflow.automation import Skip, default_pin
from models.workflow.sending import enqueue_invoice_email

log = logging.getLogger("facteur")
RECEIVED = N_("We received your payment of {amount} on {date}.")
RECEIPT_FAILED = N_("the receipt of payment #{payment} could not be queued; the payment is recorded")


def wants_receipt(clinic: Clinic, payment: Payment) -> bool:
    policy = ReceiptPolicy(clinic.receipts)
    online = payment.method == PaymentMethod.STRIPE
    return policy is ReceiptPolicy.ALL or (policy is ReceiptPolicy.ONLINE and online)


def queue_receipt(payment: Payment, invoice: Invoice) -> OutboxMessage | None:
    """Queue the receipt of ``payment`` when the clinic wants one and the invoice has an address;
    None otherwise. With the clinic's PIN mode out of reach (no phone, no PIN), a plain email
    tells of the payment without the document. Whatever goes wrong, the payment stands: the
    receipt is queued in a savepoint of the payment's transaction."""
    try:
        with db.atomic():
            return _queue(payment, invoice)
    except FacteurError:
        return None  # an address the outbox refuses: no receipt
    except Exception:
        log.exception(translator(None).format(RECEIPT_FAILED, payment=payment.id))
        return None


def _queue(payment: Payment, invoice: Invoice) -> OutboxMessage | None:
    clinic = get_clinic()
    if not wants_receipt(clinic, payment) or not (invoice.billed_to_email or "").strip():
        return None
    language = invoice.billed_to_language or invoice.patient.language or clinic.default_language
    tr = translator(language, clinic.default_language)
    day = local_datetime(payment.received_at, clinic.timezone).date()
    sentence = tr.format(
        RECEIVED,
        amount=format_money(payment.amount_cents, invoice.currency, tr.language, clinic.country),
        date=format_date(day, tr.language, clinic.country, "long"),
    )
    try:
        mode, phone, pin = default_pin(invoice, clinic)
    except Skip:
        mode, phone, pin = PinMode.NONE, None, None
    attach = mode is not PinMode.NONE or attachment_allowed(invoice)
    return enqueue_invoice_email(
        invoice,
        message=sentence,
        kind=MessageKind.RECEIPT,
        pin_mode=mode,
        phone=phone,
        pin=pin,
        attach_pdf=attach,
    )

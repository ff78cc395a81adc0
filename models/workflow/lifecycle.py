"""What an invoice's life sets in motion: ``bill``, ``void`` and ``record_payment`` as the product calls them.

Each changes the invoice (``models.billing.invoicing``) and, in the same transaction, what follows from it:
billing opens the invoice's Pay page (``models.links.pay_doors``) and schedules the automatic emails
and reminders of every active template (those due at once go to the outbox), voiding cancels
whatever was still to go, and the payment that settles the balance cancels the pending reminders.
Every way of doing these (the TUI, the CLI, Stripe's reconciliation, the demo) goes through here,
so they all behave alike, and a refused change schedules nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from models.billing import credit_notes, invoicing
from models.billing.credit_notes import CreditNote, LineCredit
from models.billing.invoice import Invoice, Payment
from models.core.enums import InvoiceStatus, PaymentMethod
from models.database.base import fk_id
from models.database.db import db
from models.links.pay_doors import open_door
from models.messaging.schedule_reasons import NOTHING_OWED, PAID, VOIDED
from models.people.clinic import Staff
from models.workflow.automation import on_billed
from models.workflow.receipts import queue_receipt
from models.workflow.reminders import cancel_pending, cancel_pending_reminders
from models.workflow.statement_schedule import plan_statements


def bill(invoice: Invoice, *, now: datetime | None = None) -> Invoice:
    """Bill a draft (its number, issue and due dates), open its Pay page (the QR code its PDF prints
    leads there; the agent tells the portal of it) and schedule what its templates send."""
    with db.atomic():
        billed = invoicing.bill(invoice, now=now)
        open_door(billed.id)
        on_billed(billed, billed.billed_at)
        if billed.patient.receive_statements and not billed.third_party:
            plan_statements(billed.billed_at, patient_id=fk_id(billed, "patient"))
    return Invoice.get_by_id(billed.id)


def void(invoice: Invoice, reason: str = "") -> Invoice:
    """Void a billed invoice without payments; nothing scheduled for it is sent any more."""
    with db.atomic():
        voided = invoicing.void(invoice, reason)
        cancel_pending(voided, VOIDED, now=voided.voided_at)
    return Invoice.get_by_id(voided.id)


def record_payment(
    invoice: Invoice,
    amount_cents: int,
    method: PaymentMethod | str,
    *,
    reference: str | None = None,
    recorded_by: Staff | None = None,
    received_at: datetime | None = None,
) -> Payment:
    """Record a payment; once the balance is 0 the invoice is paid and its reminders are cancelled.
    The patient's receipt is queued with it, where the clinic wants one (``receipts``)."""
    with db.atomic():
        payment = invoicing.record_payment(
            invoice,
            amount_cents,
            method,
            reference=reference,
            recorded_by=recorded_by,
            received_at=received_at,
        )
        current = Invoice.get_by_id(fk_id(payment, "invoice"))
        if current.status == InvoiceStatus.PAID:
            cancel_pending_reminders(current, PAID, now=current.updated_at)
        queue_receipt(payment, current)
    return payment


def credit(
    invoice: Invoice,
    reason: str,
    lines: Sequence[LineCredit] | None = None,
    *,
    staff: Staff | None = None,
    now: datetime | None = None,
) -> CreditNote:
    """Issue a credit note on a billed or paid invoice; once nothing is owed, its pending reminders
    are cancelled (a credit to refund is the clinic's to give back, not the patient's to pay)."""
    with db.atomic():
        note = credit_notes.credit_invoice(invoice, reason, lines, staff=staff, now=now)
        current = Invoice.get_by_id(invoice.id)
        if current.balance_cents <= 0:
            cancel_pending_reminders(current, NOTHING_OWED, now=note.created_at)
    return note

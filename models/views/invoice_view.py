"""One invoice as the detail screen shows it: a plain snapshot read in one go, joins done.

A snapshot holds no peewee model, so the screen renders it on the UI thread without
touching the database; the worker that reads it is the only one that does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import peewee

from locales import N_
from models.billing.credit_notes import CREDITABLE, lines_left, notes_of
from models.billing.invoice import Invoice, InvoiceLine, Payment
from models.billing.invoice_taxes import invoice_taxes
from models.billing.reversals import PaymentReversal, open_disputes, refundable_cents
from models.billing.tax_computation import TaxResult
from models.billing.taxes import split_codes
from models.core.enums import PaymentMethod
from models.core.errors import NotFoundError
from models.messaging.tables import OutboxMessage, Transmission
from models.people.clinic import BillingCompany, Staff
from models.people.patient import Patient

TRANSMISSIONS_SHOWN = 200


@dataclass(frozen=True)
class LineView:
    position: int
    code: str
    description: str
    quantity: Decimal
    unit_price_cents: int
    tax_rate: Decimal
    total_cents: int
    tax_codes: tuple[str, ...] = ()  # none: exempt, unless a bare tax_rate (before named taxes)


@dataclass(frozen=True)
class PaymentView:
    """A payment; or money it gave back (``method`` ``refund``, ``dispute_lost``: a negative
    amount), or a dispute still open (``dispute_open``: its amount, not counted)."""

    received_at: datetime
    method: str
    reference: str | None
    amount_cents: int


@dataclass(frozen=True)
class CreditNoteView:
    """A credit note on the invoice: its number, date, reason and what it took off, tax included."""

    number: str
    issue_date: date
    reason: str
    total_cents: int


@dataclass(frozen=True)
class CreditLineView:
    """What a credit note can still take of one line: before tax (``left_cents``) and its tax; the
    line's own amounts give a part of it its share of tax (``credit_notes.credited_tax``)."""

    position: int
    code: str
    description: str
    subtotal_cents: int
    tax_cents: int
    left_cents: int
    left_tax_cents: int


@dataclass(frozen=True)
class Refundable:
    """The payment a refund takes money from, and how much it can give back: through Stripe for a
    Stripe payment, else recorded as given back by hand (cash, card, transfer)."""

    payment_id: int
    cents: int
    stripe: bool


@dataclass(frozen=True)
class TransmissionView:
    """One attempt on one channel; the recipient comes from its outbox message."""

    at: datetime
    channel: str
    recipient: str | None
    status: str
    reply_code: str | None
    provider_id: str | None
    text: bool = False  # of a text message to the patient (a reminder, a link), not a PIN's


@dataclass(frozen=True)
class InvoiceView:
    id: int
    number: str | None
    status: str
    currency: str
    patient_id: int
    patient_name: str
    third_party: bool
    billed_to_name: str
    billed_to_email: str | None
    billed_to_phone: str | None
    billed_to_language: str | None
    provider_id: int | None
    provider_name: str | None
    company_name: str
    issue_date: date | None
    due_date: date | None
    void_reason: str | None
    subtotal_cents: int
    tax_cents: int
    total_cents: int
    paid_cents: int
    balance_cents: int
    lines: tuple[LineView, ...]
    payments: tuple[PaymentView, ...]
    transmissions: tuple[TransmissionView, ...]
    refundable: Refundable | None = None  # the payment a refund takes money from, if any can
    credited_cents: int = 0
    credit_notes: tuple[CreditNoteView, ...] = ()
    credit_lines: tuple[CreditLineView, ...] = ()  # what each line can still be credited

    @property
    def creditable_cents(self) -> int:
        """What a credit note can still take off, tax included; none on a draft or void invoice."""
        if self.status not in CREDITABLE:
            return 0
        return self.total_cents - self.credited_cents

    taxes: tuple[TaxResult, ...] = ()  # each tax with its base and amount, as billed


def invoice_view(invoice_id: int) -> InvoiceView:
    """The invoice with its patient, company, provider, lines, payments and latest transmissions."""
    Provider = Staff.alias()
    invoice = (
        Invoice.select(Invoice, Patient, BillingCompany, Provider)
        .join(Patient, on=Invoice.patient == Patient.id)
        .switch(Invoice)
        .join(BillingCompany, on=Invoice.billing_company == BillingCompany.id)
        .switch(Invoice)
        .join(Provider, peewee.JOIN.LEFT_OUTER, on=Invoice.provider == Provider.id)
        .where(Invoice.id == invoice_id)
        .first()
    )
    if invoice is None:
        raise NotFoundError(N_("no invoice {invoice}"), invoice=f"#{invoice_id}")
    lines = InvoiceLine.select().where(InvoiceLine.invoice == invoice_id).order_by(InvoiceLine.position)
    payments = list(
        Payment.select().where(Payment.invoice == invoice_id).order_by(Payment.received_at, Payment.id)
    )
    provider = invoice.provider
    return InvoiceView(
        id=invoice.id,
        number=invoice.number,
        status=invoice.status,
        currency=invoice.currency,
        patient_id=invoice.patient.id,
        patient_name=invoice.patient.full_name,
        third_party=invoice.third_party,
        billed_to_name=invoice.billed_to_name,
        billed_to_email=invoice.billed_to_email,
        billed_to_phone=invoice.billed_to_phone,
        billed_to_language=invoice.billed_to_language,
        provider_id=provider.id if provider else None,
        provider_name=provider.display_name if provider else None,
        company_name=invoice.billing_company.name,
        issue_date=invoice.issue_date,
        due_date=invoice.due_date,
        void_reason=invoice.void_reason,
        subtotal_cents=invoice.subtotal_cents,
        tax_cents=invoice.tax_cents,
        total_cents=invoice.total_cents,
        paid_cents=invoice.paid_cents,
        balance_cents=invoice.balance_cents,
        lines=tuple(
            LineView(
                line.position,
                line.code,
                line.description,
                Decimal(line.quantity),
                line.unit_price_cents,
                Decimal(line.tax_rate),
                line.total_cents,
                split_codes(line.tax_codes),
            )
            for line in lines
        ),
        taxes=tuple(invoice_taxes(invoice_id)),
        payments=_money_moves(invoice_id, payments),
        refundable=_refundable(payments, invoice.balance_cents),
        credited_cents=invoice.credited_cents,
        credit_notes=tuple(
            CreditNoteView(note.number, note.issue_date, note.reason, note.total_cents)
            for note in notes_of(invoice)
        ),
        credit_lines=_credit_lines(invoice),
        transmissions=transmissions_of(invoice_id),
    )


def _refundable(payments: Iterable[Payment], balance_cents: int) -> Refundable | None:
    """The payment a refund takes money from: the latest that can still give money back (through
    Stripe for a payment made there, by hand for one recorded at the desk); while a credit is to be
    refunded, the latest that can give all of it back, if one can."""
    candidates = []
    for payment in sorted(payments, key=lambda p: (p.received_at, p.id), reverse=True):
        stripe = payment.method == PaymentMethod.STRIPE
        if stripe and not (payment.reference or "").startswith("pi_"):
            continue  # a Stripe payment Facteur cannot name to Stripe is not refunded here
        left = refundable_cents(payment)
        if left > 0:
            candidates.append(Refundable(payment.id, left, stripe))
    whole = [item for item in candidates if item.cents >= -balance_cents]
    if whole:
        return whole[0]
    return candidates[0] if candidates else None


def _credit_lines(invoice: Invoice) -> tuple[CreditLineView, ...]:
    """Each line that a credit note can still take something of, with what it has left."""
    if invoice.status not in CREDITABLE:
        return ()
    return tuple(
        CreditLineView(
            left.line.position,
            left.line.code,
            left.line.description,
            left.line.subtotal_cents,
            left.line.tax_cents,
            left.subtotal_cents,
            left.tax_cents,
        )
        for left in lines_left(invoice)
        if left.subtotal_cents + left.tax_cents > 0
    )


def _money_moves(invoice_id: int, payments: Iterable[Payment]) -> tuple[PaymentView, ...]:
    """Payments, what they gave back and open disputes, in the order they happened."""
    moves = [PaymentView(p.received_at, p.method, p.reference, p.amount_cents) for p in payments]
    for back in PaymentReversal.select().where(PaymentReversal.invoice == invoice_id):
        moves.append(PaymentView(back.created_at, back.kind, back.reason, -back.amount_cents))
    for dispute in open_disputes(invoice_id):
        moves.append(PaymentView(dispute.opened_at, "dispute_open", dispute.reason, dispute.amount_cents))
    return tuple(sorted(moves, key=lambda move: move.received_at))


def transmissions_of(invoice_id: int, limit: int = TRANSMISSIONS_SHOWN) -> tuple[TransmissionView, ...]:
    """The invoice's latest transmissions, newest first (through the invoice index)."""
    rows = (
        Transmission.select(Transmission, OutboxMessage)
        .join(OutboxMessage, peewee.JOIN.LEFT_OUTER, on=Transmission.message == OutboxMessage.id)
        .where(Transmission.invoice == invoice_id)
        .order_by(Transmission.created_at.desc(), Transmission.id.desc())
        .limit(limit)
    )
    views = []
    for row in rows:
        message = row.message
        recipient = None
        if message is not None:
            recipient = message.recipient_phone if row.channel == "sms" else message.recipient_email
        views.append(
            TransmissionView(
                row.created_at,
                row.channel,
                recipient,
                row.status,
                row.reply_code,
                row.provider_id,
                text=message is not None and message.medium == "sms",
            )
        )
    return tuple(views)

"""Money that moves back: refunds and disputes of a recorded payment.

A refund (made in Stripe's dashboard, or by Facteur) or a lost dispute takes money back from a
payment: a ``PaymentReversal`` row, the invoice's ``paid_cents`` lowered, and a paid invoice
billed again with the balance it has now. A dispute is followed from its opening to its outcome
(``PaymentDispute``); the invoice shows it meanwhile. Each Stripe object is recorded once, by its
reference, however often it is seen.
"""

from __future__ import annotations

import secrets
from datetime import datetime

import peewee

from locales import N_
from locales.formatting import Money
from models.billing.invoice import Invoice, Payment, describe
from models.billing.invoicing import reload_locked, settled_status
from models.core.enums import DisputeStatus, InvoiceStatus, PaymentMethod, RefundStatus, ReversalKind
from models.core.errors import NotFoundError, ValidationError
from models.database.base import BaseModel, UTCDateTimeField, one_of, utcnow
from models.database.db import db
from models.people.clinic import Staff

# the statuses money moving back can change (a void invoice had no payments)
SETTLED_BY_MONEY = frozenset({InvoiceStatus.BILLED, InvoiceStatus.PAID, InvoiceStatus.CREDITED})


class PaymentReversal(BaseModel):
    """Money a payment gave back: refunded, or taken by a lost dispute."""

    payment = peewee.ForeignKeyField(Payment, backref="reversals", on_delete="RESTRICT")
    invoice = peewee.ForeignKeyField(Invoice, backref="reversals", on_delete="RESTRICT")
    kind = peewee.CharField(max_length=16, constraints=[one_of("kind", ReversalKind)])
    amount_cents = peewee.BigIntegerField(constraints=[peewee.Check("amount_cents > 0")])
    reference = peewee.CharField(max_length=200, unique=True)  # Stripe's object, once
    reason = peewee.CharField(max_length=200, null=True)
    recorded_by = peewee.ForeignKeyField(Staff, null=True, backref="+", on_delete="SET NULL")
    created_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "payment_reversal"


class PaymentDispute(BaseModel):
    """A payer's bank contesting a payment: open until Stripe says won or lost."""

    payment = peewee.ForeignKeyField(Payment, backref="disputes", on_delete="RESTRICT")
    invoice = peewee.ForeignKeyField(Invoice, backref="disputes", on_delete="RESTRICT")
    dispute_id = peewee.CharField(max_length=200, unique=True)
    amount_cents = peewee.BigIntegerField()
    reason = peewee.CharField(max_length=100, null=True)
    status = peewee.CharField(max_length=8, constraints=[one_of("status", DisputeStatus)])
    opened_at = UTCDateTimeField(default=utcnow)
    closed_at = UTCDateTimeField(null=True)

    class Meta:
        table_name = "payment_dispute"


class RefundRequest(BaseModel):
    """A refund staff asked Facteur to make through Stripe; the agent makes it once online, under
    an idempotency key of its own (a retry never refunds twice)."""

    payment = peewee.ForeignKeyField(Payment, backref="refund_requests", on_delete="RESTRICT")
    invoice = peewee.ForeignKeyField(Invoice, backref="refund_requests", on_delete="RESTRICT")
    amount_cents = peewee.BigIntegerField(constraints=[peewee.Check("amount_cents > 0")])
    reason = peewee.CharField(max_length=200, null=True)
    status = peewee.CharField(max_length=8, constraints=[one_of("status", RefundStatus)])
    refund_id = peewee.CharField(max_length=200, null=True)  # Stripe's re_…
    error = peewee.TextField(null=True)
    requested_by = peewee.ForeignKeyField(Staff, null=True, backref="+", on_delete="SET NULL")
    created_at = UTCDateTimeField(default=utcnow)
    done_at = UTCDateTimeField(null=True)

    class Meta:
        table_name = "refund_request"

    @property
    def idempotency_key(self) -> str:
        return f"facteur-refund-{self.id}-{self.created_at:%Y%m%d%H%M%S}"


def reversed_cents(payment: Payment, kind: ReversalKind | None = None) -> int:
    """What ``payment`` gave back so far (of one ``kind``, or all)."""
    query = PaymentReversal.select(peewee.fn.COALESCE(peewee.fn.SUM(PaymentReversal.amount_cents), 0)).where(
        PaymentReversal.payment == payment.id
    )
    if kind is not None:
        query = query.where(PaymentReversal.kind == kind)
    return int(query.scalar())


def reverse_payment(
    payment: Payment,
    amount_cents: int,
    kind: ReversalKind,
    reference: str,
    *,
    reason: str | None = None,
    recorded_by: Staff | None = None,
    now: datetime | None = None,
) -> PaymentReversal | None:
    """Take ``amount_cents`` back from ``payment``: the invoice's paid amount goes down and a paid
    invoice is billed again. None when ``reference`` was recorded before (seen again)."""
    now = now or utcnow()
    with db.atomic():
        if PaymentReversal.select().where(PaymentReversal.reference == reference).exists():
            return None
        invoice = reload_locked(Invoice.get_by_id(payment.__data__["invoice"]))
        left = payment.amount_cents - reversed_cents(payment)
        if not 0 < amount_cents <= left:
            raise ValidationError(
                "amount",
                N_("a payment of invoice {invoice} cannot give back more than it brought"),
                invoice=describe(invoice),
            )
        reversal = PaymentReversal.create(
            payment=payment,
            invoice=invoice,
            kind=kind.value,
            amount_cents=amount_cents,
            reference=reference,
            reason=reason,
            recorded_by=recorded_by,
            created_at=now,
        )
        paid = invoice.paid_cents - amount_cents
        status = (
            settled_status(invoice.total_cents, invoice.credited_cents, paid)
            if invoice.status in SETTLED_BY_MONEY
            else InvoiceStatus(invoice.status)
        )
        Invoice.update(
            paid_cents=paid,
            status=status.value,
            updated_at=now,
            version=Invoice.version + 1,
        ).where(Invoice.id == invoice.id).execute()
    return reversal


def refundable_cents(payment: Payment) -> int:
    """What can still be refunded of ``payment``: what it brought, less what went back or is asked."""
    asked = RefundRequest.select(peewee.fn.COALESCE(peewee.fn.SUM(RefundRequest.amount_cents), 0)).where(
        (RefundRequest.payment == payment.id) & (RefundRequest.status == RefundStatus.PENDING)
    )
    return payment.amount_cents - reversed_cents(payment) - int(asked.scalar())


def request_refund(
    payment_id: int,
    amount_cents: int,
    reason: str | None,
    *,
    staff: Staff | None,
    now: datetime | None = None,
) -> RefundRequest:
    """Queue a refund of a Stripe payment (the agent makes it when online): refused with the reason
    for a payment that did not come through Stripe, or more than it can still give back."""
    now = now or utcnow()
    with db.atomic():
        payment = Payment.get_or_none(Payment.id == payment_id)
        if payment is None:
            raise NotFoundError(N_("no payment #{id}"), id=payment_id)
        invoice = Invoice.get_by_id(payment.__data__["invoice"])
        if payment.method != PaymentMethod.STRIPE or not (payment.reference or "").startswith("pi_"):
            raise ValidationError(
                "payment",
                N_("only a payment made through Stripe is refunded from Facteur; refund others by hand"),
            )
        left = refundable_cents(payment)
        if not 0 < amount_cents <= left:
            raise ValidationError(
                "amount",
                N_("a refund of invoice {invoice} must be more than zero and at most {amount}"),
                invoice=describe(invoice),
                amount=Money(left, invoice.currency),
            )
        return RefundRequest.create(
            payment=payment,
            invoice=invoice,
            amount_cents=amount_cents,
            reason=(reason or "").strip()[:200] or None,
            status=RefundStatus.PENDING.value,
            requested_by=staff,
            created_at=now,
        )


def refund_by_hand(
    payment_id: int,
    amount_cents: int,
    reason: str | None,
    *,
    staff: Staff | None,
    now: datetime | None = None,
) -> PaymentReversal:
    """Record money the clinic gave back itself (cash, a transfer, the card terminal) on a payment
    recorded at the desk: the balance reopens by that much, or the credit to refund shrinks. A
    Stripe payment is refunded through Stripe (``request_refund``), never by hand."""
    now = now or utcnow()
    with db.atomic():
        payment = Payment.get_or_none(Payment.id == payment_id)
        if payment is None:
            raise NotFoundError(N_("no payment #{id}"), id=payment_id)
        invoice = Invoice.get_by_id(payment.__data__["invoice"])
        if payment.method == PaymentMethod.STRIPE:
            raise ValidationError(
                "payment", N_("a payment made through Stripe is refunded through Stripe, not by hand")
            )
        left = refundable_cents(payment)
        if not 0 < amount_cents <= left:
            raise ValidationError(
                "amount",
                N_("a refund of invoice {invoice} must be more than zero and at most {amount}"),
                invoice=describe(invoice),
                amount=Money(left, invoice.currency),
            )
        reversal = reverse_payment(
            payment,
            amount_cents,
            ReversalKind.REFUND,
            f"hand-{payment.id}-{secrets.token_hex(8)}",
            reason=(reason or "").strip()[:200] or None,
            recorded_by=staff,
            now=now,
        )
        assert reversal is not None  # a fresh reference is never seen before
        return reversal


def open_dispute(
    payment: Payment, dispute_id: str, amount_cents: int, reason: str | None, now: datetime
) -> PaymentDispute | None:
    """Record a dispute once; None when it was known already."""
    if PaymentDispute.select().where(PaymentDispute.dispute_id == dispute_id).exists():
        return None
    return PaymentDispute.create(
        payment=payment,
        invoice=payment.__data__["invoice"],
        dispute_id=dispute_id,
        amount_cents=amount_cents,
        reason=reason,
        status=DisputeStatus.OPEN.value,
        opened_at=now,
    )


def open_disputes(invoice_id: int) -> list[PaymentDispute]:
    return list(
        PaymentDispute.select().where(
            (PaymentDispute.invoice == invoice_id) & (PaymentDispute.status == DisputeStatus.OPEN)
        )
    )

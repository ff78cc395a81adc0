"""What Stripe's refunds and disputes do to an invoice (the pull and the webhook come here through
``models.workflow.reconcile``).

- ``charge.refunded``: the charge's refunded total grew; the difference is a refund of the
  payment its PaymentIntent recorded (made in Stripe's dashboard, or by Facteur): the balance
  reopens and the people who heard of the payment hear of the refund;
- ``charge.dispute.created``: the admins are told to answer it in Stripe, the invoice shows it;
- ``charge.dispute.closed``: won, the payment stands; lost, its amount is taken back.

Only payments Facteur recorded from Stripe count (by their PaymentIntent, on this account's
company); anything else on the clinic's Stripe account is its own business.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from locales import N_
from models.billing.invoice import Invoice, Payment, describe
from models.billing.reversals import (
    PaymentDispute,
    PaymentReversal,
    RefundRequest,
    open_dispute,
    reverse_payment,
    reversed_cents,
)
from models.core.enums import (
    Channel,
    DisputeStatus,
    PaymentMethod,
    RefundStatus,
    ReversalKind,
    TransmissionStatus,
)
from models.database.base import utcnow
from models.database.db import db
from models.messaging.notifications import admin_ids, notify, payment_audience
from models.messaging.tables import Transmission
from models.people.clinic import BillingCompany

REFUND_DETAIL = "refund"  # a refund's transmission: what happened (Stripe's id is its provider_id)
REFUND_FAILED_NOTICE = N_("The refund of {amount} on invoice {invoice} was refused by Stripe: {reason}")
REFUNDED = "charge.refunded"
DISPUTE_CREATED = "charge.dispute.created"
DISPUTE_CLOSED = "charge.dispute.closed"
MONEY_BACK_TYPES = (REFUNDED, DISPUTE_CREATED, DISPUTE_CLOSED)

REFUND_NOTICE = N_("Invoice {invoice}: {amount} refunded through Stripe; {balance} is left to pay")
DISPUTE_NOTICE = N_(
    "The payment of {amount} for invoice {invoice} is disputed by the payer's bank ({reason}): "
    "answer it in Stripe's dashboard before its deadline"
)
DISPUTE_WON_NOTICE = N_("The dispute over invoice {invoice} was won: the payment of {amount} stands")
DISPUTE_LOST_NOTICE = N_(
    "The dispute over invoice {invoice} was lost: {amount} was taken back; {balance} is left to pay"
)


def apply_money_back(event_type: str, account: str, obj: Mapping[str, Any], now: datetime) -> bool:
    """Apply a refund or dispute event; False when it is about no payment Facteur recorded."""
    payments = _payments_of(account, obj)
    if not payments:
        return False
    if event_type == REFUNDED:
        _refunded(payments, obj, now)
    elif event_type == DISPUTE_CREATED:
        _disputed(payments[0], obj, now)
    else:
        _dispute_closed(payments, obj, now)
    return True


def payment_intent_of(obj: Mapping[str, Any]) -> str | None:
    """The PaymentIntent a session, charge, refund or dispute names (an id, or expanded)."""
    intent = obj.get("payment_intent")
    if isinstance(intent, Mapping):
        intent = intent.get("id")
    return str(intent) if intent else None


def _payments_of(account: str, obj: Mapping[str, Any]) -> list[Payment]:
    """The payments Facteur recorded from the object's PaymentIntent, newest first: one, or one per
    invoice when it paid a statement of account (``models.workflow.statement_payments``)."""
    intent = payment_intent_of(obj)
    if not intent or not account:
        return []
    return list(
        Payment.select()
        .join(Invoice)
        .join(BillingCompany)
        .where(
            (Payment.reference == intent)
            & (Payment.method == PaymentMethod.STRIPE)
            & (BillingCompany.stripe_account_id == account)
        )
        .order_by(Payment.id.desc())
    )


def _take_back(
    payments: list[Payment], amount_cents: int, kind: ReversalKind, reference: str, now: datetime
) -> list[tuple[Payment, int]]:
    """Take ``amount_cents`` back from ``payments``, newest first (a statement's payment unwinds from
    the invoice it paid last); each part once, by its reference. Returns what each gave back now."""
    taken = []
    for payment in payments:
        part = min(amount_cents, payment.amount_cents - reversed_cents(payment))
        if part <= 0:
            continue
        key = reference if len(payments) == 1 else f"{reference}:{payment.id}"
        if reverse_payment(payment, part, kind, key, now=now) is not None:
            taken.append((payment, part))
        amount_cents -= part
        if not amount_cents:
            break
    return taken


def _refunded(payments: list[Payment], charge: Mapping[str, Any], now: datetime) -> None:
    """The charge's refunded total now, less what was recorded: the new refund (once per total).

    A charge that paid a statement of account paid several invoices (one payment each): what it
    brought that no invoice took (they were paid meanwhile; the admins were told) is given back
    first; a refund staff asked Facteur for goes to the payment it was asked on; the rest unwinds
    from the invoice paid last."""
    total = int(charge.get("amount_refunded") or 0)
    unapplied = max(int(charge.get("amount") or 0) - sum(payment.amount_cents for payment in payments), 0)
    reversed_now = sum(reversed_cents(payment, ReversalKind.REFUND) for payment in payments)
    delta = max(total - unapplied, 0) - reversed_now
    if delta <= 0:
        return
    reference = f"{charge.get('id')}:refunded:{total}"
    given: list[tuple[Payment, int]] = []
    if len(payments) > 1:
        given, delta = _asked_refunds(payments, delta, str(charge.get("id")), now)
    if delta > 0:
        given += _take_back(payments, delta, ReversalKind.REFUND, reference, now)
    for payment, part in given:
        invoice = Invoice.get_by_id(payment.__data__["invoice"])
        params = _params(invoice, part)
        notify(payment_audience(invoice), "payment_refunded", invoice, REFUND_NOTICE, params, now=now)


def _asked_refunds(
    payments: list[Payment], amount_cents: int, charge_id: str, now: datetime
) -> tuple[list[tuple[Payment, int]], int]:
    """Refunds staff asked Facteur for on these payments (``request_refund``), not recorded yet:
    each from the payment it was asked on, oldest request first. Returns them and what is left."""
    by_id = {payment.id: payment for payment in payments}
    requests = (
        RefundRequest.select()
        .where(
            RefundRequest.payment.in_(list(by_id))
            & RefundRequest.status.in_([RefundStatus.PENDING.value, RefundStatus.DONE.value])
        )
        .order_by(RefundRequest.id)
    )
    given = []
    for request in requests:
        key = f"{charge_id}:request:{request.id}"
        if amount_cents <= 0 or PaymentReversal.select().where(PaymentReversal.reference == key).exists():
            continue
        payment = by_id[request.__data__["payment"]]
        part = min(amount_cents, request.amount_cents, payment.amount_cents - reversed_cents(payment))
        if part > 0 and reverse_payment(payment, part, ReversalKind.REFUND, key, now=now) is not None:
            given.append((payment, part))
            amount_cents -= part
    return given, amount_cents


def _disputed(payment: Payment, dispute: Mapping[str, Any], now: datetime) -> None:
    amount = int(dispute.get("amount") or payment.amount_cents)
    reason = str(dispute.get("reason") or "")
    if open_dispute(payment, str(dispute["id"]), amount, reason or None, now) is None:
        return
    invoice = Invoice.get_by_id(payment.__data__["invoice"])
    params = {**_params(invoice, amount), "reason": reason}
    notify(admin_ids(), "payment_disputed", invoice, DISPUTE_NOTICE, params, now=now)


def _dispute_closed(payments: list[Payment], dispute: Mapping[str, Any], now: datetime) -> None:
    payment = payments[0]
    lost = dispute.get("status") == "lost"
    amount = int(dispute.get("amount") or payment.amount_cents)
    known = PaymentDispute.get_or_none(PaymentDispute.dispute_id == str(dispute["id"]))
    if known is None:
        known = open_dispute(payment, str(dispute["id"]), amount, dispute.get("reason"), now)
    assert known is not None
    if known.status != DisputeStatus.OPEN:
        return  # its outcome was applied already
    status = DisputeStatus.LOST if lost else DisputeStatus.WON
    PaymentDispute.update(status=status.value, closed_at=now).where(PaymentDispute.id == known.id).execute()
    invoice = Invoice.get_by_id(payment.__data__["invoice"])
    if lost:
        parts = _take_back(payments, amount, ReversalKind.DISPUTE_LOST, f"{dispute['id']}:lost", now)
        taken = sum(part for _, part in parts)
        invoice = Invoice.get_by_id(invoice.id)
        notify(
            admin_ids(), "payment_disputed", invoice, DISPUTE_LOST_NOTICE, _params(invoice, taken), now=now
        )
    else:
        notify(
            admin_ids(), "payment_disputed", invoice, DISPUTE_WON_NOTICE, _params(invoice, amount), now=now
        )


def _params(invoice: Invoice, amount_cents: int) -> dict[str, Any]:
    return {
        "invoice": describe(invoice),
        "amount_cents": amount_cents,
        "balance_cents": invoice.balance_cents,
        "currency": invoice.currency,
    }


def pending_refunds() -> list[tuple[RefundRequest, str, str, str]]:
    """Each refund waiting for Stripe, with its company's account, PaymentIntent and invoice number."""
    query = (
        RefundRequest.select(RefundRequest, Payment, Invoice, BillingCompany)
        .join(Payment)
        .switch(RefundRequest)
        .join(Invoice)
        .join(BillingCompany)
        .where(RefundRequest.status == RefundStatus.PENDING)
        .order_by(RefundRequest.id)
    )
    return [
        (
            r,
            r.invoice.billing_company.stripe_account_id or "",
            str(r.payment.reference),
            str(r.invoice.number),
        )
        for r in query
    ]


def refund_made(request_id: int, refund_id: str, now: datetime | None = None) -> None:
    """Stripe made the refund: done, and a ``stripe sent`` transmission names it. The money moves
    with Stripe's ``charge.refunded``, which the same pull applies (one road, never counted twice)."""
    now = now or utcnow()
    with db.atomic():
        request = RefundRequest.get_by_id(request_id)
        changed = (
            RefundRequest.update(status=RefundStatus.DONE.value, refund_id=refund_id, done_at=now)
            .where((RefundRequest.id == request_id) & (RefundRequest.status == RefundStatus.PENDING))
            .execute()
        )
        if changed:
            Transmission.create(
                invoice=request.__data__["invoice"],
                channel=Channel.STRIPE.value,
                status=TransmissionStatus.SENT.value,
                provider_id=refund_id,
                detail=REFUND_DETAIL,
                created_at=now,
            )


def refund_refused(request_id: int, reason: str, code: str | None, now: datetime | None = None) -> None:
    """Stripe refused the refund: failed with its reason, and whoever asked for it is told."""
    now = now or utcnow()
    with db.atomic():
        request = RefundRequest.get_by_id(request_id)
        changed = (
            RefundRequest.update(status=RefundStatus.FAILED.value, error=reason[:1000], done_at=now)
            .where((RefundRequest.id == request_id) & (RefundRequest.status == RefundStatus.PENDING))
            .execute()
        )
        if not changed:
            return
        invoice = Invoice.get_by_id(request.__data__["invoice"])
        Transmission.create(
            invoice=invoice.id,
            channel=Channel.STRIPE.value,
            status=TransmissionStatus.FAILED.value,
            reply_code=code,
            detail=reason[:1000],
            created_at=now,
        )
        asked = request.__data__.get("requested_by")
        params = {
            "invoice": describe(invoice),
            "amount_cents": request.amount_cents,
            "currency": invoice.currency,
            "reason": reason,
        }
        notify(
            [asked] if asked else admin_ids(), "refund_failed", invoice, REFUND_FAILED_NOTICE, params, now=now
        )

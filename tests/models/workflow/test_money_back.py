"""Refunds and disputes reach the invoice: what Stripe's charge events do, once each."""

from __future__ import annotations

from typing import Any

from models.billing.invoice import Invoice
from models.billing.reversals import PaymentDispute, PaymentReversal
from models.core.enums import InvoiceStatus
from models.database.base import utcnow
from models.messaging.tables import Notification
from models.workflow.reconcile import Outcome, apply_event

from .test_reconcile import ACCOUNT, event, invoice

__all__ = ["invoice"]  # fixtures


def charge_event(id: str, type: str, obj: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": id,
        "type": type,
        "created": int(utcnow().timestamp()),
        "account": ACCOUNT,
        "data": {"object": obj},
    }


def refunded(id: str, total: int, intent: str = "pi_test_1") -> dict[str, Any]:
    charge = {
        "id": "ch_test_1",
        "object": "charge",
        "amount": 8500,
        "amount_refunded": total,
        "payment_intent": intent,
    }
    return charge_event(id, "charge.refunded", charge)


def dispute(id: str, type: str, status: str) -> dict[str, Any]:
    obj = {
        "id": "dp_test_1",
        "object": "dispute",
        "amount": 8500,
        "charge": "ch_test_1",
        "payment_intent": "pi_test_1",
        "reason": "fraudulent",
        "status": status,
    }
    return charge_event(id, type, obj)


def fresh(invoice: Invoice) -> Invoice:
    return Invoice.get_by_id(invoice.id)


def test_a_refund_in_stripe_reopens_the_balance_once(invoice: Invoice) -> None:
    assert apply_event(event(invoice.number)) is Outcome.PAID
    assert fresh(invoice).status == InvoiceStatus.PAID
    assert apply_event(refunded("evt_r1", 2000)) is Outcome.MONEY_BACK  # a partial refund
    assert apply_event(refunded("evt_r1", 2000)) is Outcome.DUPLICATE
    assert apply_event(refunded("evt_r1b", 2000)) is Outcome.MONEY_BACK  # the same total, another event
    current = fresh(invoice)
    assert (current.status, current.paid_cents, current.balance_cents) == (InvoiceStatus.BILLED, 6500, 2000)
    assert apply_event(refunded("evt_r2", 8500)) is Outcome.MONEY_BACK  # the rest
    assert [r.amount_cents for r in PaymentReversal.select().order_by(PaymentReversal.id)] == [2000, 6500]
    assert fresh(invoice).paid_cents == 0
    refund_notices = Notification.select().where(Notification.kind == "payment_refunded")
    assert refund_notices.count() == 2 * len({n.__data__["staff"] for n in refund_notices})
    assert apply_event(refunded("evt_r3", 100, intent="pi_someone_else")) is Outcome.IGNORED


def test_a_dispute_is_told_and_a_lost_one_takes_the_payment_back(invoice: Invoice) -> None:
    apply_event(event(invoice.number))
    assert apply_event(dispute("evt_d1", "charge.dispute.created", "needs_response")) is Outcome.MONEY_BACK
    (opened,) = PaymentDispute.select()
    assert (opened.status, opened.reason, opened.amount_cents) == ("open", "fraudulent", 8500)
    told = Notification.get(Notification.kind == "payment_disputed")
    assert "fraudulent" in told.params and fresh(invoice).status == InvoiceStatus.PAID
    assert apply_event(dispute("evt_d2", "charge.dispute.closed", "lost")) is Outcome.MONEY_BACK
    assert apply_event(dispute("evt_d3", "charge.dispute.closed", "lost")) is Outcome.MONEY_BACK  # once
    (taken,) = PaymentReversal.select()
    assert (taken.kind, taken.amount_cents) == ("dispute_lost", 8500)
    current = fresh(invoice)
    assert (current.status, current.balance_cents) == (InvoiceStatus.BILLED, current.total_cents)
    assert PaymentDispute.get().status == "lost"


def test_a_won_dispute_leaves_the_payment(invoice: Invoice) -> None:
    apply_event(event(invoice.number))
    apply_event(dispute("evt_d1", "charge.dispute.created", "needs_response"))
    apply_event(dispute("evt_d2", "charge.dispute.closed", "won"))
    assert PaymentDispute.get().status == "won" and not PaymentReversal.select().exists()
    assert fresh(invoice).status == InvoiceStatus.PAID

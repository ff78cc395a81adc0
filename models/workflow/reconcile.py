"""Applying what Stripe says happened to a Checkout Session, once: the agent's pull and the
portal's webhook both come here.

An event is applied in one transaction with its id (``models.links.stripe_events``) and the
feed's cursor, so it counts once however often it is seen. A session counts as paid only
when its ``payment_status`` is ``paid``: one completed by a delayed method (a bank debit)
waits, and ``checkout.session.async_payment_succeeded`` (or a later pull of the session)
then records it. A payment is recorded once per reference (the PaymentIntent), whichever
road brings it. Sessions Facteur did not make (no link it recorded, no request it planned) are
ignored, whatever their metadata: the clinic may sell other things on Stripe.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from locales import N_
from models.billing.invoice import Invoice, Payment, describe
from models.billing.statements import Statement, items_of, owing_invoices
from models.core.enums import (
    Channel,
    InvoiceStatus,
    MessageKind,
    OutboxStatus,
    PaymentLinkStatus,
    PaymentMethod,
    ScheduleStatus,
    TransmissionStatus,
)
from models.core.errors import TransitionError, ValidationError
from models.database.base import utcnow
from models.database.db import db
from models.links.checkout import INVOICE_KEY, REQUEST_KEY
from models.links.link_sessions import RequestPlan, close_link, mark_completed
from models.links.pay_doors import adopt_door_session
from models.links.statement_doors import door_statement
from models.links.stripe_events import claim_event
from models.links.sync_cursor import read_cursor, write_cursor
from models.links.tables import PaymentLink
from models.messaging.notifications import (
    PAYMENT_FAILED,
    PAYMENT_FAILED_NOTICE,
    PAYMENT_NOTICE,
    PAYMENT_RECEIVED,
    PAYMENT_UNAPPLIED,
    UNAPPLIED_NOTICE,
    admin_ids,
    notify,
    payment_audience,
)
from models.messaging.tables import OutboxMessage, ScheduledMessage, Transmission
from models.people.clinic import BillingCompany
from models.workflow.lifecycle import record_payment
from models.workflow.money_back import MONEY_BACK_TYPES, apply_money_back, payment_intent_of
from models.workflow.statement_payments import pay_statement

COMPLETED = "checkout.session.completed"
SUCCEEDED = "checkout.session.async_payment_succeeded"
FAILED = "checkout.session.async_payment_failed"
EXPIRED = "checkout.session.expired"
SESSION_TYPES = (COMPLETED, SUCCEEDED, FAILED, EXPIRED)
EVENT_TYPES = (*SESSION_TYPES, *MONEY_BACK_TYPES)
PAID_REMINDER_REASON = N_("paid online (Stripe)")


class Outcome(StrEnum):
    PAID = "paid"  # a payment was recorded
    WAITING = "waiting"  # completed by a delayed method: not paid yet
    FAILED = "failed"  # the delayed payment failed
    EXPIRED = "expired"
    OPEN = "open"  # nothing happened yet
    DUPLICATE = "duplicate"  # seen (or recorded) before
    UNAPPLIED = "unapplied"  # money arrived that the invoice could not take: staff were told
    IGNORED = "ignored"  # not a session Facteur made, or an event it does not use
    MONEY_BACK = "money_back"  # a refund or a dispute of a payment Facteur recorded


def stripe_time(value: Any) -> datetime:
    return datetime.fromtimestamp(int(value), UTC)


def apply_event(
    event: Mapping[str, Any],
    *,
    account: str | None = None,
    cursor: str | None = None,
    now: datetime | None = None,
) -> Outcome:
    """Apply one Stripe event once (by its id), moving ``cursor`` (if given) to its time, all in
    one transaction."""
    now = now or utcnow()
    account = account or str(event.get("account") or "")
    created = stripe_time(event["created"])
    with db.atomic():
        if cursor is not None:
            _advance(cursor, int(event["created"]))
        if not claim_event(str(event["id"]), account, str(event["type"]), created, now):
            return Outcome.DUPLICATE
        if event["type"] in MONEY_BACK_TYPES:
            applied = apply_money_back(str(event["type"]), account, event["data"]["object"], now)
            return Outcome.MONEY_BACK if applied else Outcome.IGNORED
        if event["type"] not in SESSION_TYPES:
            return Outcome.IGNORED
        session = event["data"]["object"]
        if event["type"] == FAILED:
            return _payment_failed(account, session, now)
        return apply_session(account, session, received_at=created, now=now)


RELAYED_CURSOR = "portal:stripe"  # the id of the last Stripe event the portal's webhook relayed


def relayed_after() -> int:
    value = read_cursor(RELAYED_CURSOR, "0")
    return int(value) if value.isdigit() else 0


def apply_relayed_events(events: list[Mapping[str, Any]], last: int, now: datetime | None = None) -> None:
    """Stripe's events the portal's webhook kept, applied once each (a pull may have met them
    already), with the cursor's move, in one transaction."""
    with db.atomic():
        for event in events:
            apply_event(event, now=now)
        write_cursor(RELAYED_CURSOR, str(last))


def _advance(cursor: str, created: int) -> None:
    current = read_cursor(cursor, "0")
    if not current.isdigit() or int(current) < created:
        write_cursor(cursor, str(created))


def apply_session(
    account: str,
    session: Mapping[str, Any],
    *,
    received_at: datetime | None = None,
    now: datetime | None = None,
) -> Outcome:
    """Bring Facteur in line with a session's state (from an event, or a listing of sessions)."""
    now = now or utcnow()
    with db.atomic():
        link = PaymentLink.get_or_none(PaymentLink.session_id == str(session["id"]))
        # a statement's Pay page made it: its invoices are paid oldest first
        statement = door_statement(dict(session.get("metadata") or {})) if link is None else None
        if statement is not None:
            return _statement_session(statement, account, session, received_at or now, now)
        return _invoice_session(account, session, link, received_at or now, now)


def _invoice_session(
    account: str, session: Mapping[str, Any], link: PaymentLink | None, received_at: datetime, now: datetime
) -> Outcome:
    if link is None:  # one the portal's Pay page made, if its door signed it: kept as a link now
        link = adopt_door_session(account, session)
    invoice = _invoice_of(account, session, link)
    if invoice is None:
        return Outcome.IGNORED
    status = session.get("status")
    if status == "expired":
        if link is not None and close_link(link.id, PaymentLinkStatus.EXPIRED, detail="expired", now=now):
            return Outcome.EXPIRED
        return Outcome.DUPLICATE
    if status != "complete":
        return Outcome.OPEN
    if session.get("payment_status") != "paid":
        if link is not None:
            mark_completed(link.id, now)
        return Outcome.WAITING
    return _paid(invoice, link, session, received_at, now)


def _invoice_of(account: str, session: Mapping[str, Any], link: PaymentLink | None) -> Invoice | None:
    """The invoice of a session Facteur made: a link it recorded, one the portal made for the
    invoice's Pay page (signed by the door's key), or (a crash between Stripe's answer and the
    record) a request it planned, named by the session's metadata. Any other session is the
    clinic's own business on Stripe, whatever its metadata says."""
    if link is not None:
        return Invoice.get_by_id(link.__data__["invoice"])
    metadata = session.get("metadata") or {}
    number, key = metadata.get(INVOICE_KEY), metadata.get(REQUEST_KEY)
    if not number or not key or not account:
        return None
    planned = OutboxMessage.select().where(OutboxMessage.stripe_request.contains(f'"{key}"')).first()
    plan = RequestPlan.from_json(planned.stripe_request) if planned is not None else None
    if planned is None or plan is None or plan.key != key:
        return None
    invoice = Invoice.get_by_id(planned.__data__["invoice"])
    company = BillingCompany.get_by_id(invoice.__data__["billing_company"])
    return invoice if invoice.number == str(number) and company.stripe_account_id == account else None


def _paid(
    invoice: Invoice,
    link: PaymentLink | None,
    session: Mapping[str, Any],
    received_at: datetime,
    now: datetime,
) -> Outcome:
    reference = _reference(session)
    if link is not None:
        PaymentLink.update(status=PaymentLinkStatus.PAID.value, completed_at=link.completed_at or now).where(
            PaymentLink.id == link.id
        ).execute()
    already = Payment.select().where(
        (Payment.invoice == invoice.id)
        & (Payment.method == PaymentMethod.STRIPE)
        & (Payment.reference == reference)
    )
    if already.exists():
        return Outcome.DUPLICATE
    amount = int(session.get("amount_total") or 0)
    currency = str(session.get("currency") or "").upper()
    try:
        with db.atomic():  # a savepoint: a refused payment leaves the rest of the event applied
            if currency != invoice.currency:
                raise ValidationError("currency", N_("the payment's currency is not the invoice's"))
            record_payment(
                invoice, amount, PaymentMethod.STRIPE, reference=reference, received_at=received_at
            )
    except (ValidationError, TransitionError):
        current = Invoice.get_by_id(invoice.id)
        params = {
            "invoice": describe(current),
            "amount_cents": amount,
            "balance_cents": current.balance_cents,
            "currency": currency or current.currency,
            "status": current.status,
            "reference": reference,
        }
        notify(admin_ids(), PAYMENT_UNAPPLIED, current, UNAPPLIED_NOTICE, params, now=now)
        return Outcome.UNAPPLIED
    current = Invoice.get_by_id(invoice.id)
    if current.status == InvoiceStatus.PAID:
        cancel_reminders(current.id, PAID_REMINDER_REASON, now)
    params = {
        "invoice": describe(current),
        "amount_cents": amount,
        "currency": currency,
        "reference": reference,
    }
    notify(payment_audience(current), PAYMENT_RECEIVED, current, PAYMENT_NOTICE, params, now=now)
    return Outcome.PAID


def _statement_session(
    statement: Statement, account: str, session: Mapping[str, Any], received_at: datetime, now: datetime
) -> Outcome:
    """A session of a statement's Pay page: paid, its amount goes to the statement's invoices oldest
    first, once (by its PaymentIntent); what they no longer owe (paid at the desk meanwhile) is left
    for the admins to refund, and they are told."""
    if session.get("status") != "complete":
        return Outcome.OPEN if session.get("status") == "open" else Outcome.DUPLICATE
    if session.get("payment_status") != "paid":
        return Outcome.WAITING
    reference = _reference(session)
    company = BillingCompany.get_by_id(statement.__data__["billing_company"])
    if (
        company.stripe_account_id != account
        or str(session.get("currency") or "").upper() != statement.currency
    ):
        return Outcome.IGNORED
    # once per session, whatever became of it (every pull lists it again)
    if not claim_event(f"statement-session:{session['id']}", account, COMPLETED, now, now):
        return Outcome.DUPLICATE
    amount = int(session.get("amount_total") or 0)
    applied = min(amount, sum(invoice.balance_cents for invoice in owing_invoices(statement)))
    payments: list[Payment] = []
    try:
        with db.atomic():  # a savepoint: a payment refused by a race is reported, not lost
            if applied > 0:
                payments = pay_statement(
                    statement, applied, PaymentMethod.STRIPE, reference=reference, received_at=received_at
                )
    except (ValidationError, TransitionError):
        applied, payments = 0, []
    anchor = (
        Invoice.get_by_id(payments[-1].__data__["invoice"]) if payments else items_of(statement)[-1].invoice
    )
    params = {
        "invoice": describe(anchor),
        "amount_cents": amount,
        "currency": statement.currency,
        "reference": reference,
    }
    if amount > applied:
        unapplied = {**params, "amount_cents": amount - applied, "balance_cents": 0, "status": anchor.status}
        notify(admin_ids(), PAYMENT_UNAPPLIED, anchor, UNAPPLIED_NOTICE, unapplied, now=now)
        return Outcome.UNAPPLIED
    notify(payment_audience(anchor), PAYMENT_RECEIVED, anchor, PAYMENT_NOTICE, params, now=now)
    return Outcome.PAID


def _reference(session: Mapping[str, Any]) -> str:
    """The PaymentIntent staff find in Stripe's dashboard, else the session itself."""
    return payment_intent_of(session) or str(session["id"])


def _payment_failed(account: str, session: Mapping[str, Any], now: datetime) -> Outcome:
    """A delayed payment failed: the link is dead (its session can no longer be paid); say so."""
    link = PaymentLink.get_or_none(PaymentLink.session_id == str(session["id"]))
    invoice = _invoice_of(account, session, link)
    if invoice is None:
        return Outcome.IGNORED
    if link is not None:
        changed = (
            PaymentLink.update(status=PaymentLinkStatus.EXPIRED.value, completed_at=link.completed_at or now)
            .where((PaymentLink.id == link.id) & (PaymentLink.status == PaymentLinkStatus.OPEN))
            .execute()
        )
        if not changed:
            return Outcome.DUPLICATE
        Transmission.create(
            invoice=invoice.id,
            message=link.__data__.get("message"),
            channel=Channel.STRIPE.value,
            status=TransmissionStatus.FAILED.value,
            provider_id=link.session_id,
            detail="the delayed payment failed",
            created_at=now,
        )
    notify(
        payment_audience(invoice),
        PAYMENT_FAILED,
        invoice,
        PAYMENT_FAILED_NOTICE,
        {"invoice": describe(invoice)},
        now=now,
    )
    return Outcome.FAILED


def cancel_reminders(invoice_id: int, reason: str, now: datetime | None = None) -> int:
    """A paid invoice's pending reminders go: those scheduled, and those queued but not sent yet."""
    now = now or utcnow()
    scheduled = (
        ScheduledMessage.update(status=ScheduleStatus.CANCELLED.value, reason=reason, updated_at=now)
        .where(
            (ScheduledMessage.invoice == invoice_id) & (ScheduledMessage.status == ScheduleStatus.SCHEDULED)
        )
        .execute()
    )
    queued = (
        OutboxMessage.update(status=OutboxStatus.CANCELLED.value, personal_message=None, link_token=None)
        .where(
            (OutboxMessage.invoice == invoice_id)
            & (OutboxMessage.kind == MessageKind.REMINDER)
            & (OutboxMessage.status == OutboxStatus.PENDING)
        )
        .execute()
    )
    return int(scheduled) + int(queued)

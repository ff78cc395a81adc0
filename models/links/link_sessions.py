"""The Checkout Sessions behind payment links: what the agent's Stripe step and pull read and record.

Every function here runs on the agent's database thread; the Stripe calls are in
``agent.stripe``. A session's request is planned (idempotency key and parameters) and
stored before it is sent, recorded with its ``stripe created`` transmission once Stripe
answered, and closed (``stripe expired``) when its session ends.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import peewee

from models.billing.invoice import Invoice
from models.core.enums import Channel, InvoiceStatus, LinkAction, PaymentLinkStatus, TransmissionStatus
from models.database.base import fk_id, utcnow
from models.database.db import db
from models.links.tables import PaymentLink
from models.messaging.outbox import Reply, holds, mark_step
from models.messaging.tables import OutboxMessage, Transmission
from models.people.clinic import BillingCompany

LINK_LIFETIME = timedelta(hours=24)
CLOCK_MARGIN = timedelta(minutes=5)  # Stripe checks expires_at against its own clock
STRIPE_SHORTEST = timedelta(minutes=30)  # Stripe refuses an expires_at nearer than this
PLAN_REUSE_MARGIN = STRIPE_SHORTEST + CLOCK_MARGIN  # a planned request is replayed while Stripe takes it
FRESH_ENOUGH = timedelta(hours=1)  # a link with less left is replaced rather than emailed


def open_links_of(invoice_id: int) -> list[PaymentLink]:
    """The invoice's links a patient could still pay (not those awaiting a delayed payment)."""
    return list(
        PaymentLink.select()
        .where(
            (PaymentLink.invoice == invoice_id)
            & (PaymentLink.status == PaymentLinkStatus.OPEN)
            & PaymentLink.completed_at.is_null()
        )
        .order_by(PaymentLink.id)
    )


@dataclass(frozen=True)
class LinkRecord:
    id: int
    invoice_id: int
    message_id: int | None
    session_id: str
    account: str
    url: str
    amount_cents: int
    expires_at: datetime

    @classmethod
    def of(cls, link: PaymentLink) -> LinkRecord:
        return cls(
            link.id,
            fk_id(link, "invoice"),
            fk_id(link, "message"),
            link.session_id,
            link.account,
            link.url,
            link.amount_cents,
            link.expires_at,
        )


# The metadata every session Facteur makes carries (``models.links.checkout``): the invoice's number
# and the request's own key, by which the pull knows a session is Facteur's (``models.workflow.reconcile``).


@dataclass(frozen=True)
class RequestPlan:
    """The Checkout Session request decided before it is sent, replayed word for word by every
    retry: Stripe answers a repeated idempotency key with the first session only when the
    parameters are the same, so they are stored, not recomputed."""

    key: str
    generation: int
    params: dict[str, Any]

    @property
    def expires_at(self) -> datetime:
        return datetime.fromtimestamp(int(self.params["expires_at"]), UTC)

    @property
    def amount_cents(self) -> int:
        return int(self.params["line_items"][0]["price_data"]["unit_amount"])

    def to_json(self) -> str:
        return json.dumps({"key": self.key, "n": self.generation, "params": self.params}, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str | None) -> RequestPlan | None:
        if not text:
            return None
        data = json.loads(text)
        return cls(str(data["key"]), int(data["n"]), dict(data["params"]))


@dataclass(frozen=True)
class LinkJob:
    """One message's Stripe work, read in one go: the invoice, its account, the links to deal with."""

    message_id: int
    invoice_id: int
    number: str
    status: str
    balance_cents: int
    currency: str
    company: str
    account: str
    language: str
    action: LinkAction | None
    own_link: LinkRecord | None  # the open link this message already made (a retry)
    links_made: int  # by this message so far: the next request's generation follows them
    others: tuple[LinkRecord, ...]  # the invoice's other open links, expired before a new one
    plan: RequestPlan | None

    @property
    def payable(self) -> bool:
        return self.status == InvoiceStatus.BILLED and self.balance_cents > 0


def link_job(message_id: int) -> LinkJob:
    message = OutboxMessage.get_by_id(message_id)
    invoice = (
        Invoice.select(Invoice, BillingCompany)
        .join(BillingCompany)
        .where(Invoice.id == fk_id(message, "invoice"))
        .get()
    )
    links = [LinkRecord.of(link) for link in open_links_of(invoice.id)]
    own = next((link for link in reversed(links) if link.message_id == message_id), None)
    return LinkJob(
        message_id=message.id,
        invoice_id=invoice.id,
        number=invoice.number or "",
        status=invoice.status,
        balance_cents=invoice.balance_cents,
        currency=invoice.currency,
        company=invoice.billing_company.name,
        account=invoice.billing_company.stripe_account_id or "",
        language=message.language,
        action=LinkAction(message.link_action) if message.link_action else None,
        own_link=own,
        links_made=PaymentLink.select().where(PaymentLink.message == message.id).count(),
        others=tuple(link for link in links if link != own),
        plan=RequestPlan.from_json(message.stripe_request),
    )


def request_key(message: OutboxMessage, generation: int) -> str:
    """The idempotency key of a message's ``generation``-th Checkout Session request: derived from
    the outbox row (its id, and its Message-ID, unique across databases), so a retry repeats it."""
    seed = f"{message.id}:{message.message_id or ''}".encode()
    return f"facteur-{message.id}-{generation}-{hashlib.sha256(seed).hexdigest()[:16]}"


def link_expiry(now: datetime) -> datetime:
    """24 hours out, less a margin for the clocks' difference: always within Stripe's 30 min–24 h."""
    return (now + LINK_LIFETIME - CLOCK_MARGIN).replace(microsecond=0)


def plan_still_usable(plan: RequestPlan, now: datetime) -> bool:
    """Stripe would still take this request (its expiry far enough ahead) and replay its session."""
    return plan.expires_at - now >= PLAN_REUSE_MARGIN


def save_plan(message: OutboxMessage, agent_id: str, plan: RequestPlan) -> bool:
    """Store the plan before sending it; False when the lease was lost meanwhile."""
    return bool(OutboxMessage.update(stripe_request=plan.to_json()).where(holds(message, agent_id)).execute())


@dataclass(frozen=True)
class CreatedSession:
    session_id: str
    url: str
    amount_cents: int
    currency: str
    expires_at: datetime


def record_link(
    message: OutboxMessage,
    agent_id: str,
    invoice_id: int,
    account: str,
    session: CreatedSession,
    *,
    now: datetime | None = None,
) -> LinkRecord | None:
    """The session exists: its link row and a ``stripe created`` transmission, in one transaction
    with the plan's removal. None (nothing written) when the lease was lost meanwhile."""
    now = now or utcnow()
    with db.atomic() as transaction:
        reply = Reply(code="200", provider_id=session.session_id)
        if not mark_step(
            message, agent_id, Channel.STRIPE, TransmissionStatus.CREATED, reply, now=now, stripe_request=None
        ):
            return None
        existing = PaymentLink.get_or_none(PaymentLink.session_id == session.session_id)
        if existing is not None:  # replayed by Stripe for a request already recorded
            transaction.rollback()
            return LinkRecord.of(existing)
        link = PaymentLink.create(
            invoice=invoice_id,
            message=message.id,
            session_id=session.session_id,
            account=account,
            url=session.url,
            amount_cents=session.amount_cents,
            currency=session.currency.upper(),
            expires_at=session.expires_at,
            created_at=now,
        )
    return LinkRecord.of(link)


def close_link(
    link_id: int,
    status: PaymentLinkStatus,
    *,
    message_id: int | None = None,
    detail: str | None = None,
    now: datetime | None = None,
) -> bool:
    """The session is expired on Stripe: the link takes ``status`` (expired, or removed by staff)
    and a ``stripe expired`` transmission says so. False when it was no longer open."""
    now = now or utcnow()
    with db.atomic():
        link = PaymentLink.get_by_id(link_id)
        changed = (
            PaymentLink.update(status=status.value)
            .where((PaymentLink.id == link_id) & (PaymentLink.status == PaymentLinkStatus.OPEN))
            .execute()
        )
        if changed:
            Transmission.create(
                invoice=fk_id(link, "invoice"),
                message=message_id,
                channel=Channel.STRIPE.value,
                status=TransmissionStatus.EXPIRED.value,
                provider_id=link.session_id,
                detail=detail,
                created_at=now,
            )
    return bool(changed)


def mark_completed(link_id: int, now: datetime | None = None) -> None:
    """The session was completed meanwhile (a payment is on its way): it can no longer be expired."""
    PaymentLink.update(completed_at=now or utcnow()).where(
        (PaymentLink.id == link_id) & PaymentLink.completed_at.is_null()
    ).execute()


# What the sync job reads -----------------------------------------------------------------------


def accounts_to_sync() -> list[str]:
    """Connected accounts to pull: every company's, and those of links still open elsewhere."""
    companies = BillingCompany.select(BillingCompany.stripe_account_id).where(
        BillingCompany.stripe_account_id.is_null(False) & (BillingCompany.stripe_account_id != "")
    )
    linked = PaymentLink.select(PaymentLink.account).where(
        (PaymentLink.status == PaymentLinkStatus.OPEN) & (PaymentLink.account != "")
    )
    accounts = {str(row.stripe_account_id) for row in companies} | {str(row.account) for row in linked}
    return sorted(accounts)


def oldest_open_link(account: str) -> datetime | None:
    """When the account's oldest link still open was made: sessions are listed from there."""
    value = (
        PaymentLink.select(peewee.fn.MIN(PaymentLink.created_at))
        .where((PaymentLink.account == account) & (PaymentLink.status == PaymentLinkStatus.OPEN))
        .scalar()
    )
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def links_to_close(now: datetime | None = None) -> list[LinkRecord]:
    """Open links a patient must no longer pay: their invoice was paid, voided, or its balance
    changed since the link was made. Sessions already past their expiry end by themselves."""
    now = now or utcnow()
    rows = (
        PaymentLink.select(PaymentLink, Invoice)
        .join(Invoice)
        .where(
            (PaymentLink.status == PaymentLinkStatus.OPEN)
            & PaymentLink.completed_at.is_null()
            & (PaymentLink.expires_at > now)
        )
    )
    return [
        LinkRecord.of(link)
        for link in rows
        if link.invoice.status != InvoiceStatus.BILLED or link.invoice.balance_cents != link.amount_cents
    ]

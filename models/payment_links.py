"""Payment links: when one is offered, the tasks staff queue, and what the agent records.

A link is a Stripe Checkout Session for an invoice's whole balance, on its billing
company's connected account, living 24 hours. An invoice has at most one open link:
every new one expires the previous first, so a patient never holds two ways to pay
the same balance. Staff act through the outbox (a *link task*: ``link_action``
``create`` or ``remove``, no email), so it works offline and shows in transmissions.
The agent's Stripe step reads a :class:`LinkJob` and records through the functions
below; the Stripe calls themselves live in ``agent.stripe``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import peewee

from locales import N_
from models.agent_state import agent_channels
from models.base import utcnow
from models.clinic import BillingCompany, Staff
from models.config import Config
from models.db import db
from models.enums import (
    Channel,
    InvoiceStatus,
    LinkAction,
    OutboxStatus,
    PaymentLinkStatus,
    TransmissionStatus,
)
from models.errors import FacteurError, NotFoundError
from models.invoice import Invoice
from models.invoicing import describe
from models.labels import INVOICE_STATUS
from models.links import PaymentLink
from models.messaging import OutboxMessage, Transmission
from models.outbox import Reply, fk_id, holds, mark_step

LINK_LIFETIME = timedelta(hours=24)
CLOCK_MARGIN = timedelta(minutes=5)  # Stripe checks expires_at against its own clock
STRIPE_SHORTEST = timedelta(minutes=30)  # Stripe refuses an expires_at nearer than this
PLAN_REUSE_MARGIN = timedelta(minutes=35)  # a planned request is replayed while Stripe would still take it
FRESH_ENOUGH = timedelta(hours=1)  # a link with less left is replaced rather than emailed


NO_ACCOUNT = N_("payment links are off for {company}: it has no Stripe account (Settings, billing companies)")


class LinkRefused(FacteurError):
    """A payment link cannot be offered or changed for this invoice now; the message says why."""


# When a link is offered ---------------------------------------------------------------------------


def stripe_key_configured(config: Config) -> bool:
    """The agent has a Stripe key: it says so in its heartbeat (the TUI's environment may lack the
    secret the service has), or this process sees the key itself (``make run``)."""
    return config.secret(config.stripe.api_key_env) is not None or Channel.STRIPE.value in agent_channels()


def link_refusal(invoice: Invoice, *, key_configured: bool, key_variable: str = "") -> LinkRefused | None:
    """Why ``invoice`` cannot get a payment link now, or None when it can."""
    if not key_configured:
        return LinkRefused(
            N_("payment links are off: no Stripe key is configured (the {variable} variable of the agent)"),
            variable=key_variable or "STRIPE_API_KEY",
        )
    company = BillingCompany.get_by_id(fk_id(invoice, "billing_company"))
    if not company.stripe_account_id:
        return LinkRefused(NO_ACCOUNT, company=company.name)
    if invoice.status != InvoiceStatus.BILLED:
        return LinkRefused(
            N_("invoice {invoice} is {status}: there is nothing to pay online"),
            invoice=describe(invoice),
            status=INVOICE_STATUS[InvoiceStatus(invoice.status)],
        )
    if invoice.balance_cents <= 0:
        return LinkRefused(N_("invoice {invoice} has nothing left to pay"), invoice=describe(invoice))
    return None


def check_link_offered(invoice: Invoice, *, key_configured: bool = True, key_variable: str = "") -> None:
    refusal = link_refusal(invoice, key_configured=key_configured, key_variable=key_variable)
    if refusal is not None:
        raise refusal


# Tasks staff queue -----------------------------------------------------------------------------


def queue_link_task(
    invoice_id: int,
    action: LinkAction,
    *,
    staff: Staff | None = None,
    key_configured: bool = True,
    key_variable: str = "",
    now: datetime | None = None,
) -> OutboxMessage:
    """Queue "new link" (the open one is expired first) or "remove the link"; the agent does it
    when online. A task of the same kind still waiting for this invoice is returned instead."""
    now = now or utcnow()
    with db.atomic():
        invoice = Invoice.get_or_none(Invoice.id == invoice_id)
        if invoice is None:
            raise NotFoundError(N_("no invoice {invoice}"), invoice=f"#{invoice_id}")
        waiting = (
            OutboxMessage.select()
            .where(
                (OutboxMessage.invoice == invoice.id)
                & (OutboxMessage.link_action == action.value)
                & OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING])
            )
            .first()
        )
        if waiting is not None:
            return waiting
        if action is LinkAction.CREATE:
            check_link_offered(invoice, key_configured=key_configured, key_variable=key_variable)
        elif not open_links_of(invoice.id) and not _create_waiting(invoice.id):
            raise LinkRefused(N_("invoice {invoice} has no open payment link"), invoice=describe(invoice))
        return OutboxMessage.create(
            kind="invoice",
            invoice=invoice,
            language=invoice.billed_to_language or invoice.patient.language or "fr",
            payment_link=action is LinkAction.CREATE,
            attach_pdf=False,
            link_action=action.value,
            created_by=staff,
            created_at=now,
            next_attempt_at=now,
        )


def _create_waiting(invoice_id: int) -> bool:
    return (
        OutboxMessage.select()
        .where(
            (OutboxMessage.invoice == invoice_id)
            & (OutboxMessage.payment_link == True)  # noqa: E712 (peewee expression)
            & OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING])
        )
        .exists()
    )


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


# What the agent's step reads and records ----------------------------------------------------------


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

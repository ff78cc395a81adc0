"""Payment links as staff meet them: when one is offered, the tasks they queue, what the invoice shows.

A link is a Stripe Checkout Session for an invoice's whole balance, on its billing
company's connected account, living 24 hours. An invoice has at most one open link:
every new one expires the previous first, so a patient never holds two ways to pay
the same balance. Staff act through the outbox (a *link task*: ``link_action``
``create`` or ``remove``, no email), so it works offline and shows in transmissions;
the agent's side is ``models.links.link_sessions`` and ``agent.stripe``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from locales import N_
from locales.formatting import Money
from models.billing.invoice import Invoice, describe
from models.core.config import Config
from models.core.enums import Channel, InvoiceStatus, LinkAction, OutboxStatus, PaymentLinkStatus
from models.core.errors import FacteurError, NotFoundError
from models.core.labels import INVOICE_STATUS
from models.core.stripe_keys import stripe_keys
from models.database.base import fk_id, utcnow
from models.database.db import db
from models.links.link_sessions import open_links_of
from models.links.tables import PaymentLink
from models.messaging.agent_state import agent_channels
from models.messaging.tables import OutboxMessage
from models.people.clinic import BillingCompany, Staff, get_clinic

NO_ACCOUNT = N_("payment links are off for {company}: it has no Stripe account (Settings, billing companies)")
UNDER_MINIMUM = N_(
    "invoice {invoice} has {balance} left to pay, under the {minimum} Stripe takes at the least"
)
# Stripe's minimum charge per currency (https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts);
# a currency not listed here is held to the common 0.50.
STRIPE_MINIMUM_CENTS = {
    "GBP": 30,
    "HKD": 400,
    "JPY": 50,
    "MXN": 1000,
    "NOK": 300,
    "SEK": 300,
    "DKK": 250,
    "CZK": 1500,
    "HUF": 17500,
    "PLN": 200,
    "RON": 200,
    "BGN": 100,
    "AED": 200,
    "SGD": 50,
    "THB": 1000,
    "INR": 50,
    "MYR": 200,
}
DEFAULT_MINIMUM_CENTS = 50


def stripe_minimum(currency: str) -> int:
    """The smallest amount Stripe charges in ``currency``, in its minor units."""
    return STRIPE_MINIMUM_CENTS.get(currency.upper(), DEFAULT_MINIMUM_CENTS)


class LinkRefused(FacteurError):
    """A payment link cannot be offered or changed for this invoice now; the message says why."""


# When a link is offered ---------------------------------------------------------------------------


def stripe_key_configured(config: Config) -> bool:
    """The agent has a Stripe key: it says so in its heartbeat (the TUI's environment may lack the
    secret the service has), or this process sees the key itself (``make run``)."""
    return stripe_keys(config).configured() or Channel.STRIPE.value in agent_channels()


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
    minimum = stripe_minimum(invoice.currency)
    if invoice.balance_cents < minimum:
        country = get_clinic().country
        return LinkRefused(
            UNDER_MINIMUM,
            invoice=describe(invoice),
            balance=Money(invoice.balance_cents, invoice.currency, country),
            minimum=Money(minimum, invoice.currency, country),
        )
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


# What the invoice shows ------------------------------------------------------------------------


@dataclass(frozen=True)
class LinkPanel:
    """The invoice's latest link, a link task still waiting, and why no new link can be made."""

    status: str | None  # the latest link's: open, paid, expired, removed; "awaiting" a delayed payment
    url: str | None
    expires_at: datetime | None
    waiting: LinkAction | None  # a task (or an email with a link) the agent has not done yet
    refusal: LinkRefused | None

    @property
    def open(self) -> bool:
        return self.status == PaymentLinkStatus.OPEN


def link_panel(invoice_id: int, *, key_configured: bool, key_variable: str = "") -> LinkPanel:
    invoice = Invoice.get_or_none(Invoice.id == invoice_id)
    if invoice is None:
        raise NotFoundError(N_("no invoice {invoice}"), invoice=f"#{invoice_id}")
    latest = (
        PaymentLink.select().where(PaymentLink.invoice == invoice_id).order_by(PaymentLink.id.desc()).first()
    )
    pending = (
        OutboxMessage.select(OutboxMessage.link_action)
        .where(
            (OutboxMessage.invoice == invoice_id)
            & (
                (OutboxMessage.payment_link == True)  # noqa: E712
                | OutboxMessage.link_action.in_([LinkAction.CREATE.value, LinkAction.REMOVE.value])
            )
            & OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING])
        )
        .order_by(OutboxMessage.id.desc())
        .first()
    )
    status = None
    if latest is not None:
        awaiting = latest.status == PaymentLinkStatus.OPEN and latest.completed_at is not None
        status = "awaiting" if awaiting else latest.status
    return LinkPanel(
        status=status,
        url=latest.url if latest is not None and status == PaymentLinkStatus.OPEN else None,
        expires_at=latest.expires_at if latest is not None else None,
        waiting=(LinkAction(pending.link_action) if pending.link_action else LinkAction.CREATE)
        if pending
        else None,
        # a paid or void invoice needs no reason: there is simply nothing to pay
        refusal=link_refusal(invoice, key_configured=key_configured, key_variable=key_variable)
        if invoice.status == InvoiceStatus.BILLED
        else None,
    )

"""``PaymentLinkStep``: the Checkout Session an email's "Pay invoice" button opens, and the
link tasks staff queue from the invoice (a new link, or none).

The session asks for the invoice's whole balance, in its billing company's currency, on
its connected account; it lives 24 hours (less a margin for clock skew: Stripe takes 30 min
to 24 h) and carries nothing but "Invoice <number>" (in the recipient's language) and the
number in its metadata: no line, code or provider. Before the request leaves, it is stored
on the outbox row with its idempotency key (derived from the row); a retry after a crash
sends the same bytes with the same key, and Stripe answers with the same session. Older
open links of the invoice are expired first: a patient never holds two ways to pay one
balance.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Protocol

from agent.errors import DeferredError, RejectedError
from agent.steps import DbRunner, Delivery
from agent.stripe.api import StripeApi
from agent.stripe.errors import is_idempotency_mismatch, is_saved_failure
from agent.stripe.links import expire_link
from locales import N_, translator
from locales.formatting import Money
from models.core.enums import Channel, LinkAction, PaymentLinkStatus
from models.core.errors import DeliveryError
from models.database.base import fk_id, utcnow
from models.links import link_sessions, pay_doors, statement_doors
from models.links.checkout import (
    INVOICE_KEY,
    REQUEST_KEY,
    CheckoutRequest,
    DoorStatus,
    checkout_params,
    paid_url,
)
from models.links.link_sessions import (
    FRESH_ENOUGH,
    LINK_LIFETIME,
    CreatedSession,
    LinkJob,
    LinkRecord,
    RequestPlan,
    link_expiry,
    plan_still_usable,
    request_key,
)
from models.links.payment_links import NO_ACCOUNT, UNDER_MINIMUM, stripe_minimum
from models.messaging.tables import OutboxMessage
from models.workflow.reconcile import stripe_time

log = logging.getLogger("facteur.agent")
ATTEMPTS = 3  # a replayed session that is stale, or a key Stripe refuses, moves to a new request
PLAN_SLACK = 3600  # seconds before a plan's own time that its session may carry (clocks differ)

# a link closed because it no longer asks the right amount, or not long enough (a transmission detail)
STALE = N_("stale: the amount or the expiry changed")


class DoorPortal(Protocol):
    """What the step uses of the portal's client (``agent.channels.portal.PortalClient``)."""

    def pay_url(self, token: str) -> str: ...

    async def put_door(self, state: pay_doors.DoorState) -> int: ...

    async def aclose(self) -> None: ...


class LeaseLost(RuntimeError):
    """Another agent took the message back meanwhile: stop without writing anything."""


class PaymentLinkStep:
    """The ``DeliveryStep`` on channel ``stripe``; see the module's docstring."""

    channel = Channel.STRIPE
    after_email = False

    def __init__(
        self,
        api: StripeApi,
        success_url: str,
        cancel_url: str,
        doors: DoorPortal | None = None,
        *,
        log_language: str | None = None,
    ) -> None:
        self.api = api
        self._tr = translator(log_language)
        self.success_url = success_url
        self.cancel_url = cancel_url
        self.doors = doors

    def wanted(self, message: OutboxMessage) -> bool:
        return bool(message.payment_link) or message.channel is Channel.STRIPE

    async def probe(self) -> None:
        await self.api.probe()

    async def close(self) -> None:
        await self.api.close()
        if self.doors is not None:
            await self.doors.aclose()

    async def run(self, delivery: Delivery, db: DbRunner) -> None:
        message = delivery.message
        statement = fk_id(message, "statement")
        if statement is not None:
            await self._statement_door(statement, delivery, db)
            return
        job = await db(link_sessions.link_job, message.id)
        if job.action is LinkAction.REMOVE:
            await db(pay_doors.close_door, job.invoice_id)  # the Pay page says so at the next push
            for old in (*job.others, *([job.own_link] if job.own_link else [])):
                await expire_link(
                    self.api, db, old, PaymentLinkStatus.REMOVED, message_id=message.id, detail=N_("removed")
                )
            return
        if not job.payable:
            return  # paid or voided meanwhile: nothing to pay, no button (the pull closes old links)
        if not job.account:
            raise RejectedError(NO_ACCOUNT, company=job.company)
        minimum = stripe_minimum(job.currency)
        if job.balance_cents < minimum:  # a partial payment since the send: Stripe would refuse it
            raise RejectedError(
                UNDER_MINIMUM,
                invoice=job.number,
                balance=Money(job.balance_cents, job.currency),
                minimum=Money(minimum, job.currency),
            )
        door = await db(pay_doors.open_door, job.invoice_id) if self.doors is not None else None
        link: LinkRecord | None = await self._usable_own_link(job, message, db)
        if link is None:
            for other in job.others:
                if not await expire_link(
                    self.api,
                    db,
                    other,
                    PaymentLinkStatus.EXPIRED,
                    message_id=message.id,
                    detail=N_("replaced"),
                ):
                    return  # someone is paying that link right now: offer nothing new meanwhile
            link = await self._create(job, delivery, db, door)
            if link is None:
                return
        delivery.payment_url, delivery.payment_expires_at = link.url, link.expires_at
        if door is not None:
            await self._through_door(job, door, delivery, db)

    async def _through_door(
        self, job: LinkJob, door: pay_doors.DoorRecord, delivery: Delivery, db: DbRunner
    ) -> None:
        """The button goes to the invoice's Pay page, told of the session just made, so it works as
        long as the balance is due (the session itself lives a day). A portal that cannot be told
        now leaves the session's own address in the email."""
        assert self.doors is not None
        state = await db(pay_doors.state_of, door.id)
        try:
            kept = await self.doors.put_door(state)
        except DeliveryError as exc:
            log.warning(
                self._tr.format(
                    N_("invoice {invoice}: the Pay button opens the Stripe page directly for now: {reason}"),
                    invoice=job.number,
                    reason=exc.render(self._tr),
                )
            )
            return
        await db(pay_doors.pushed, state, kept)
        delivery.payment_url, delivery.payment_expires_at = self.doors.pay_url(door.token), None

    async def _statement_door(self, statement_id: int, delivery: Delivery, db: DbRunner) -> None:
        """A statement's Pay button goes to its Pay page, for what its invoices owe when clicked (the
        portal makes the session then). Nothing owed any more: no button."""
        if self.doors is None:
            raise RejectedError(N_("a statement's Pay button needs the portal: set [portal] url"))
        door = await db(statement_doors.open_statement_door, statement_id)
        state = await db(statement_doors.statement_state_of, door.id)
        if state.status != DoorStatus.OPEN:
            return
        if not state.account:
            raise RejectedError(NO_ACCOUNT, company=await db(statement_doors.company_name, statement_id))
        kept = await self.doors.put_door(state)  # a portal that cannot be told: the message waits
        await db(statement_doors.pushed_any, state, kept)
        delivery.payment_url, delivery.payment_expires_at = self.doors.pay_url(door.token), None

    async def _usable_own_link(self, job: LinkJob, message: OutboxMessage, db: DbRunner) -> LinkRecord | None:
        """The link an earlier attempt of this message made, if it still asks the right amount long enough."""
        link = job.own_link
        if link is None:
            return None
        if link.amount_cents == job.balance_cents and link.expires_at - utcnow() >= FRESH_ENOUGH:
            return link
        await expire_link(self.api, db, link, PaymentLinkStatus.EXPIRED, message_id=message.id, detail=STALE)
        return None

    async def _create(
        self, job: LinkJob, delivery: Delivery, db: DbRunner, door: pay_doors.DoorRecord | None
    ) -> LinkRecord | None:
        """A new session for the balance; None when a replayed one shows a payment under way."""
        message, agent_id = delivery.message, delivery.agent_id
        plan, made, spent = job.plan, job.links_made, False
        for _ in range(ATTEMPTS):
            now = utcnow()
            if (
                plan is None
                or spent
                or not plan_still_usable(plan, now)
                or plan.amount_cents != job.balance_cents
            ):
                generation = max(plan.generation + 1 if plan else 1, made + 1)
                key = request_key(message, generation)
                plan = RequestPlan(key, generation, self.params(job, now, key, door))
                if not await db(link_sessions.save_plan, message, agent_id, plan):
                    raise LeaseLost(message.id)
                spent = False
            session = await self._ask(job, plan)
            if session is None:
                spent = True
                continue
            record = await db(
                link_sessions.record_link,
                message,
                agent_id,
                job.invoice_id,
                job.account,
                self._facts(session, plan, job),
            )
            if record is None:
                raise LeaseLost(message.id)
            made, spent = made + 1, True
            status = session.get("status")
            if status == "complete":  # replayed, and someone paid it meanwhile
                await db(link_sessions.mark_completed, record.id, utcnow())
                return None
            if status == "open":
                if record.amount_cents == job.balance_cents and record.expires_at - utcnow() >= FRESH_ENOUGH:
                    return record
                # Stripe replayed a session from before a long outage: close it, ask anew
                if not await expire_link(
                    self.api, db, record, PaymentLinkStatus.EXPIRED, message_id=message.id, detail=STALE
                ):
                    return None
            else:
                await db(
                    link_sessions.close_link, record.id, PaymentLinkStatus.EXPIRED, message_id=message.id
                )
        raise RejectedError(
            N_("Stripe did not give a usable payment link for invoice {invoice}"), invoice=job.number
        )

    async def _ask(self, job: LinkJob, plan: RequestPlan) -> dict[str, Any] | None:
        """Stripe's session for ``plan``; None when its key can serve no more: it went to other
        parameters before, or Stripe saved a failure for it (and made no session meanwhile)."""
        try:
            return await self.api.create_session(job.account, plan.params, plan.key)
        except RejectedError as exc:
            if not is_idempotency_mismatch(exc):
                raise
            return None
        except DeferredError as exc:
            if not is_saved_failure(exc):
                raise  # a first 5xx: the outbox retries the same key after its wait
            return await self._made_with(job, plan)

    async def _made_with(self, job: LinkJob, plan: RequestPlan) -> dict[str, Any] | None:
        """The session a request whose failure Stripe saved did make after all, if any: found
        among the account's sessions since the request was planned, by the key in its metadata."""
        planned_at = int(plan.expires_at.timestamp()) - int(LINK_LIFETIME.total_seconds()) - PLAN_SLACK
        for session in await self.api.list_sessions(job.account, planned_at):
            if (session.get("metadata") or {}).get(REQUEST_KEY) == plan.key:
                return session
        return None

    @staticmethod
    def _facts(session: dict[str, Any], plan: RequestPlan, job: LinkJob) -> CreatedSession:
        return CreatedSession(
            session_id=str(session["id"]),
            url=str(session.get("url") or ""),
            amount_cents=int(session.get("amount_total") or plan.amount_cents),
            currency=str(session.get("currency") or job.currency),
            expires_at=stripe_time(session["expires_at"]),
        )

    def params(
        self, job: LinkJob, now: datetime, key: str, door: pay_doors.DoorRecord | None = None
    ) -> dict[str, Any]:
        """The request (``models.links.checkout``): the number and the request's key as metadata
        (the pull counts only sessions Facteur made: ``reconcile``)."""
        tr = translator(job.language)
        return checkout_params(
            CheckoutRequest(
                number=job.number,
                language=tr.language,
                currency=job.currency,
                amount_cents=job.balance_cents,
                expires_at=link_expiry(now),
                success_url=paid_url(self.success_url, door.tag if door else "", tr.language),
                cancel_url=f"{self.cancel_url}?lang={tr.language}",
                metadata={INVOICE_KEY: job.number, REQUEST_KEY: key},
            )
        )

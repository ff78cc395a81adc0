"""``StripeSync``: payments pulled while online, since webhooks cannot reach an offline clinic.

Each run, for every connected account:

1. the Checkout events since the account's cursor (``stripe:acct_…``, an epoch second; a few
   minutes of overlap, Stripe's events may show up late; never before Stripe's 30 days),
   applied oldest first, each once (``models.workflow.reconcile.apply_event``: the event's id, what
   it changes and the cursor in one transaction);
2. the sessions made since the account's oldest open link, so a session whose events were
   missed (offline more than 30 days) or that is still awaiting a delayed payment ends right;

then the links a patient must no longer pay (invoice paid, voided, balance changed) are
expired on Stripe. A failure with one account is logged and the next goes on; no connection
at all stops the run (``OfflineError``) until the next turn.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from agent.errors import OfflineError, RejectedError, SaidOnce
from agent.steps import DbRunner
from agent.stripe.api import StripeApi
from agent.stripe.links import expire_link
from locales import N_, translator
from models.core.enums import PaymentLinkStatus
from models.core.errors import DeliveryError, TransientDeliveryError
from models.database.base import utcnow
from models.links import link_sessions
from models.links.checkout import INVOICE_KEY
from models.links.stripe_events import prune_events
from models.links.sync_cursor import read_cursor
from models.workflow.money_back import pending_refunds, refund_made, refund_refused
from models.workflow.reconcile import EVENT_TYPES, Outcome, apply_event, apply_session, stripe_time

log = logging.getLogger("facteur.agent.stripe")
EVENT_HORIZON = timedelta(days=30) - timedelta(minutes=5)  # what Stripe still lists
OVERLAP = timedelta(minutes=5)  # events can appear a little after their time: read them again
SESSION_MARGIN = timedelta(minutes=1)
LOGGED = {
    Outcome.PAID: N_("Stripe session {session}: payment recorded"),
    Outcome.WAITING: N_("Stripe session {session}: paid by a delayed method, waiting for it to clear"),
    Outcome.FAILED: N_("Stripe session {session}: the delayed payment failed"),
    Outcome.EXPIRED: N_("Stripe session {session}: expired"),
    Outcome.UNAPPLIED: N_("Stripe session {session}: paid, but the invoice could not take it (admins told)"),
    Outcome.MONEY_BACK: N_("Stripe {session}: a refund or a dispute of a recorded payment, applied"),
}


def cursor_name(account: str) -> str:
    return f"stripe:{account}"


class StripeSync:
    """The ``SyncJob`` named ``stripe``; see the module's docstring."""

    name = "stripe"

    def __init__(
        self, api: StripeApi, interval_seconds: float = 60.0, *, log_language: str | None = None
    ) -> None:
        self.api = api
        self.interval_seconds = interval_seconds
        self._tr = translator(log_language)
        self.outcomes: list[Outcome] = []  # what the last run applied (logs and tests read it)
        self._said = SaidOnce()  # a refused pull, per account

    async def run(self, db: DbRunner) -> None:
        self.outcomes = []
        await self._refund(db)  # first: the pull below then brings the refunds' charge.refunded
        for account in await db(link_sessions.accounts_to_sync):
            try:
                await self._pull_events(account, db)
                await self._pull_sessions(account, db)
            except OfflineError:
                raise
            except DeliveryError as exc:
                if self._said.first(account, exc.render(self._tr)):
                    self._log(
                        logging.WARNING, N_("Stripe account {account}: {reason}"), account=account, reason=exc
                    )
            else:
                self._said.cleared(account)
        await self._close_stale(db)
        await db(prune_events)

    async def close(self) -> None:
        await self.api.close()

    async def _refund(self, db: DbRunner) -> None:
        """Make the refunds staff asked for, each under its own idempotency key (a retry after a
        crash gets the same refund); a refusal fails it with Stripe's reason, a busy Stripe waits."""
        for request, account, intent, number in await db(pending_refunds):
            params = {
                "payment_intent": intent,
                "amount": request.amount_cents,
                "reason": "requested_by_customer",
                "metadata": {INVOICE_KEY: number, "facteur_refund": str(request.id)},
            }
            try:
                refund = await self.api.create_refund(account, params, request.idempotency_key)
            except RejectedError as exc:
                reason = exc.reply or exc.render(self._tr)
                await db(refund_refused, request.id, reason, str(exc.code) if exc.code is not None else None)
                continue
            except TransientDeliveryError as exc:
                if isinstance(exc, OfflineError):
                    raise
                self._log(
                    logging.WARNING,
                    N_("refund #{id}: Stripe is busy, tried again later: {reason}"),
                    id=request.id,
                    reason=exc,
                )
                continue
            await db(refund_made, request.id, str(refund["id"]))
            self._log(
                logging.INFO, N_("refund #{id} made: {refund}"), id=request.id, refund=str(refund["id"])
            )

    async def _pull_events(self, account: str, db: DbRunner) -> None:
        cursor = cursor_name(account)
        value = await db(read_cursor, cursor, "")
        since = utcnow() - EVENT_HORIZON
        if value.isdigit():
            since = max(since, stripe_time(value) - OVERLAP)
        events = await self.api.list_events(account, int(since.timestamp()), EVENT_TYPES)
        for event in reversed(events):  # Stripe lists newest first; apply in the order they happened
            outcome = await db(apply_event, event, account=account, cursor=cursor)
            self._applied(outcome, event["data"]["object"])

    async def _pull_sessions(self, account: str, db: DbRunner) -> None:
        oldest = await db(link_sessions.oldest_open_link, account)
        if oldest is None:
            return
        sessions = await self.api.list_sessions(account, int((oldest - SESSION_MARGIN).timestamp()))
        for session in reversed(sessions):
            if session.get("status") != "open":
                outcome = await db(apply_session, account, session)
                self._applied(outcome, session)

    async def _close_stale(self, db: DbRunner) -> None:
        for link in await db(link_sessions.links_to_close):
            try:
                await expire_link(self.api, db, link, PaymentLinkStatus.EXPIRED, detail=N_("invoice changed"))
            except OfflineError:
                raise
            except DeliveryError as exc:
                self._log(
                    logging.WARNING,
                    N_("payment link of invoice #{invoice} not closed yet: {reason}"),
                    invoice=link.invoice_id,
                    reason=exc,
                )

    def _applied(self, outcome: Outcome, session: dict[str, Any]) -> None:
        self.outcomes.append(outcome)
        if outcome in LOGGED:
            self._log(logging.INFO, LOGGED[outcome], session=str(session.get("id")))

    def _log(self, level: int, msgid: str, **params: Any) -> None:
        if log.isEnabledFor(level):
            log.log(level, self._tr.format(msgid, **params))

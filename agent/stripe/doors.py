"""``PayDoorsJob``: keep the portal's Pay pages in line with the invoices (and the statements of
account), and learn the sessions the portal made (``models.links.pay_doors``).

Every ``interval_seconds`` while online: the portal's feed of the sessions it made is read from the
``portal:pay`` cursor and kept as the invoices' payment links; then each page whose state changed
(a payment, a refund, a void, a link taken away) is pushed as its next version, taken right before
its push. A portal out of reach ends the round at the feed, before any page is looked at.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from typing import Protocol

from agent.errors import OfflineError, SaidOnce
from agent.steps import DbRunner
from locales import N_, translator
from models.core.errors import DeliveryError
from models.database.base import utcnow
from models.links import pay_doors, statement_doors
from models.links.sync_cursor import read_cursor

log = logging.getLogger("facteur.agent")
PAY_CURSOR = "portal:pay"
PUSH_LIMIT = 200  # states pushed per round
# every billed invoice has a Pay page: a round looks only at those that can have changed since the
# last one (a few), and all of them once in a while (what no invoice row says: a clinic's new phone,
# a company's Stripe account, a patient's language)
FULL_SWEEP_SECONDS = 600.0
SLACK = timedelta(minutes=1)  # a change committed while the last round was reading
PAGE = 100
MAX_PAGES = 50


class DoorsPortal(Protocol):
    async def put_door(self, state: pay_doors.DoorState) -> int: ...

    async def pay_sessions(
        self, after: int, limit: int = PAGE
    ) -> tuple[list[pay_doors.PortalSession], int]: ...

    async def aclose(self) -> None: ...


def _pay_after() -> int:
    value = read_cursor(PAY_CURSOR, "0")
    return int(value) if value.isdigit() else 0


class PayDoorsJob:
    name = PAY_CURSOR

    def __init__(
        self, portal: DoorsPortal, *, interval_seconds: float = 10.0, log_language: str | None = None
    ) -> None:
        self.portal = portal
        self.interval_seconds = interval_seconds
        self._tr = translator(log_language)
        self._said = SaidOnce()  # a page the portal refused, per page
        self._since: datetime | None = None  # when the last round that pushed everything began
        self._swept = 0.0  # when the last full sweep began (monotonic)

    async def run(self, db: DbRunner) -> None:
        # the portal's feed first: out of reach, the round ends before any page is looked at, and
        # the sessions it made are the invoices' links before their pages are
        await self._pull_sessions(db)
        started, now = time.monotonic(), utcnow()
        full = self._since is None or started - self._swept >= FULL_SWEEP_SECONDS
        since = None if full or self._since is None else self._since - SLACK
        states = await db(statement_doors.every_door_to_push, None, PUSH_LIMIT, since)
        if await self._push(states, db) and len(states) < PUSH_LIMIT:  # all of them are on the portal
            self._since = now
            if full:
                self._swept = started

    async def _push(self, states: list[pay_doors.DoorState], db: DbRunner) -> bool:
        """Push each state; False when one of them waits (the portal refused it: it is tried again)."""
        delivered = True
        for unversioned in states:
            state = await db(statement_doors.reserve_any, unversioned)
            try:
                kept = await self.portal.put_door(state)
            except OfflineError:
                raise
            except DeliveryError as exc:  # this page waits; the others go on
                reason = exc.render(self._tr)
                if self._said.first(state.tag, reason):
                    message = N_("Pay page {page}: not updated on the portal: {reason}")
                    log.warning(self._tr.format(message, page=state.tag, reason=reason))
                delivered = False
                continue
            self._said.cleared(state.tag)
            await db(statement_doors.pushed_any, state, kept)
        return delivered

    async def _pull_sessions(self, db: DbRunner) -> None:
        """The sessions the portal made, kept as the invoices' payment links (its feed, paged)."""
        for _ in range(MAX_PAGES):
            after = await db(_pay_after)
            sessions, last = await self.portal.pay_sessions(after, PAGE)
            if last == after:
                return
            await db(pay_doors.record_portal_sessions, sessions, PAY_CURSOR, last)
            if len(sessions) < PAGE:
                return

    async def close(self) -> None:
        await self.portal.aclose()

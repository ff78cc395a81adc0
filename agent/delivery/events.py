"""``PortalEventsJob``: pull the portal's events (downloads, locks, visits after expiry) while online,
then the Stripe events its webhook kept.

Reads from the ``portal:events`` cursor, a page at a time, and applies each page with
the cursor's move in one transaction (``models.links.download_links.apply_portal_events``);
the Stripe events likewise from ``portal:stripe`` (``models.workflow.reconcile``).
"""

from __future__ import annotations

import logging

from agent.delivery.publish import PortalApi
from agent.steps import DbRunner
from models.links.download_links import EVENTS_CURSOR, apply_portal_events, events_after
from models.workflow.reconcile import apply_relayed_events, relayed_after

log = logging.getLogger("facteur.agent")
PAGE = 500
STRIPE_PAGE = 100
MAX_PAGES = 100  # one run stops after this many; the next turn goes on from the cursor


class PortalEventsJob:
    """Every ``interval_seconds`` while online, and once more at the end of ``facteur agent --once``."""

    name = EVENTS_CURSOR

    def __init__(self, portal: PortalApi, *, interval_seconds: float = 30.0, page: int = PAGE) -> None:
        self.portal = portal
        self.interval_seconds = interval_seconds
        self.page = page

    async def run(self, db: DbRunner) -> None:
        for _ in range(MAX_PAGES):
            after = await db(events_after)
            events, last = await self.portal.events(after, self.page)
            if not events and last == after:
                break
            await db(apply_portal_events, events, last)
            if len(events) < self.page:
                break
        await self._relayed(db)

    async def _relayed(self, db: DbRunner) -> None:
        """Stripe's events the portal's webhook kept: applied like the agent's own pull from
        Stripe (once each, by Stripe's id), the cursor moving with them."""
        for _ in range(MAX_PAGES):
            after = await db(relayed_after)
            events, last = await self.portal.stripe_events(after, STRIPE_PAGE)
            if not events and last == after:
                return
            await db(apply_relayed_events, [event for _, event in events], last)
            if len(events) < STRIPE_PAGE:
                return

    async def close(self) -> None:
        await self.portal.aclose()

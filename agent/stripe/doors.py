"""``PayDoorsJob``: keep the portal's Pay pages in line with the invoices, and learn the sessions
the portal made (``models.links.pay_doors``).

Every ``interval_seconds`` while online: each door whose state changed (a payment, a refund, a
void, a link taken away) is pushed as its next version; then the portal's feed of the sessions it
made is read from the ``portal:pay`` cursor and kept as the invoices' payment links.
"""

from __future__ import annotations

from typing import Protocol

from agent.steps import DbRunner
from models.links import pay_doors
from models.links.sync_cursor import read_cursor

PAY_CURSOR = "portal:pay"
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

    def __init__(self, portal: DoorsPortal, *, interval_seconds: float = 10.0) -> None:
        self.portal = portal
        self.interval_seconds = interval_seconds

    async def run(self, db: DbRunner) -> None:
        for state in await db(pay_doors.doors_to_push):
            await self.portal.put_door(state)
            await db(pay_doors.mark_pushed, state)
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

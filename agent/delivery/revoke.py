"""``PortalRevokeStep``: close a patient's download link on the portal, the whole job of a ``revoke``
link task staff queued from the patient's screen (``models.links.live_links``).

The portal is asked with the link's key, the proof it keeps for changes that come from the clinic;
from then on the link's page says the clinic revoked it and its documents are deleted. Revoking is
idempotent on the portal (a second call answers 200 again), so a retry after a crash is harmless. A
portal that no longer knows the link (404) has nothing left to close: the link is recorded revoked
all the same. A link published before links had keys cannot be proven, so it cannot be revoked:
the task fails with the reason, and the link runs out at its expiry.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from agent.errors import DeferredError, RejectedError
from agent.pacing import Pace
from agent.steps import DbRunner, Delivery
from locales import N_
from models.core.enums import Channel, LinkAction
from models.database.base import utcnow
from models.links.download_links import LinkToRevoke
from models.links.live_links import record_revocation, revocation_of
from models.messaging.outbox import Reply
from models.messaging.tables import OutboxMessage


class RevokingPortal(Protocol):
    """What the step uses of ``agent.channels.portal.PortalClient``."""

    async def probe(self) -> None: ...

    async def revoke(self, link: LinkToRevoke) -> Reply: ...

    async def aclose(self) -> None: ...


class PortalRevokeStep:
    """See the module's docstring; ``portal`` is the agent's ``PortalClient`` (closed with the step)."""

    channel = Channel.PORTAL
    after_email = False

    def __init__(
        self, portal: RevokingPortal, *, pace: Pace | None = None, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.portal = portal
        self.pace = pace or Pace()
        self.clock = clock

    def wanted(self, message: OutboxMessage) -> bool:
        return message.link_action == LinkAction.REVOKE

    async def run(self, delivery: Delivery, db: DbRunner) -> None:
        message = delivery.message
        link = await db(revocation_of, message)
        if link is None:
            raise RejectedError(N_("this link was published before links had keys: it cannot be revoked"))
        await self.pace.turn()
        known = True
        try:
            reply = await self.portal.revoke(LinkToRevoke(link.token_hash, link.link_key))
        except RejectedError as exc:
            if exc.code != "404":
                raise
            known, reply = False, Reply(exc.code, exc.reply, link.token_hash)
        self.pace.accepted()
        if not await db(record_revocation, message, delivery.agent_id, reply, known=known, now=self.clock()):
            raise DeferredError(N_("the message was taken back by the queue meanwhile"))

    async def probe(self) -> None:
        await self.portal.probe()

    async def close(self) -> None:
        await self.portal.aclose()

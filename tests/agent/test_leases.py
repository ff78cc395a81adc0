"""``LeaseKeeper``: what a live agent renews, and when it rescues what a dead one left."""

from __future__ import annotations

import time
from datetime import timedelta

from agent.leases import RESCUE_SECONDS, LeaseKeeper
from models.core.enums import OutboxStatus
from models.database.base import utcnow
from models.messaging.agent_state import AgentHeartbeat
from models.messaging.outbox import claim, rescue
from models.messaging.tables import OutboxMessage
from models.workflow.sending import enqueue_invoice_email
from testbed.invoices import billed_invoice
from tests.conftest import Setup


def test_it_renews_only_what_it_still_works_on(setup: Setup) -> None:
    """A message whose outcome could not be written is let go: its lease runs out, it is rescued."""
    invoice = billed_invoice(setup.company)
    for _ in range(3):
        enqueue_invoice_email(invoice)
    keeper = LeaseKeeper("host:1", "host", 1, lease_seconds=60)
    working, finished, released = (m.id for m in claim("host:1", 3, 30))
    keeper.hold([working, finished, released])
    keeper.done(finished)  # its task ended, its outcome not recorded
    OutboxMessage.update(status=OutboxStatus.PENDING.value, lease_owner=None).where(
        OutboxMessage.id == released
    ).execute()  # given back to the queue (offline)
    keeper.tick(online=True)
    leases = {m.id: m.lease_expires_at for m in OutboxMessage.select()}
    assert leases[working] > leases[finished]  # renewed now, the other kept its first lease
    assert AgentHeartbeat.get(AgentHeartbeat.agent_id == "host:1").online
    assert keeper._held == {working}  # the released one is forgotten too
    assert rescue(utcnow() + timedelta(seconds=31)) == 1  # the finished one; the renewed one is held
    assert OutboxMessage.get_by_id(finished).status == OutboxStatus.PENDING


def test_its_schedule_follows_the_lease(setup: Setup) -> None:
    short = LeaseKeeper("host:1", "host", 1, lease_seconds=3)
    assert (short.renew_every, short.rescue_every) == (1.0, 3.0)
    default = LeaseKeeper("host:1", "host", 1, lease_seconds=600)
    assert (default.renew_every, default.rescue_every) == (5.0, RESCUE_SECONDS)
    assert default.due()  # at once on start
    default.tick(online=False)
    assert not default.due() and default.due(time.monotonic() + RESCUE_SECONDS)


def test_it_rescues_for_an_idle_agent_and_says_how_many(setup: Setup) -> None:
    """Nothing due, nothing claimed: the rescue still runs (an idle agent picks up a dead one's)."""
    invoice = billed_invoice(setup.company)
    now = utcnow()
    enqueue_invoice_email(invoice, now=now - timedelta(seconds=10))
    assert claim("dead:9", 1, 1, now - timedelta(seconds=5))
    said: list[int] = []
    keeper = LeaseKeeper("host:1", "host", 1, lease_seconds=600)
    keeper.tick(online=True, log_rescued=said.append)
    assert said == [1] and keeper.rescued == 1
    assert OutboxMessage.select().where(OutboxMessage.status == OutboxStatus.PENDING).count() == 1

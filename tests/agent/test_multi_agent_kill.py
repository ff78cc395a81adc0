"""Three ``facteur agent`` processes on one outbox, one of them killed with SIGKILL mid-drain: the
others send what it held once its leases run out (a short lease here), and only what it had in
flight can arrive twice. On PostgreSQL and on one machine's SQLite file."""

from __future__ import annotations

import signal
from collections import Counter
from pathlib import Path

import peewee

from models.core.enums import OutboxStatus, TransmissionStatus
from models.messaging.agent_state import AgentHeartbeat
from models.messaging.tables import OutboxMessage, Transmission
from tests.agent.process_helpers import (
    AGENTS,
    CONCURRENCY,
    finish,
    queue_many,
    sent_ids,
    start_agent,
    statuses,
    wait_until,
    write_config,
)
from tests.agent.smtp_server import SmtpServer
from tests.conftest import Setup

MESSAGES = 300  # a quarter sent, then the kill: enough to hold leases at any concurrency


def _leased_by(pid: int) -> set[int]:
    """The ids of the messages the agent with this pid is sending now."""
    owners = [b.agent_id for b in AgentHeartbeat.select() if b.pid == pid]
    query = OutboxMessage.select(OutboxMessage.id).where(
        (OutboxMessage.status == OutboxStatus.SENDING) & OutboxMessage.lease_owner.in_(owners)
    )
    return {m.id for m in query} if owners else set()


def test_a_killed_agent_s_messages_are_sent_by_the_others(
    setup: Setup, database: peewee.Database, backend: str, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    total = MESSAGES
    queue_many(setup, total)
    lease = 3.0  # short, so the test does not wait ten minutes for the rescue
    config = write_config(tmp_path, database, smtp_server.port, lease_seconds=lease)
    agents = [start_agent(config) for _ in range(AGENTS)]
    victim = agents[0]
    try:
        wait_until(lambda: len(smtp_server.handler.received) >= total // 4, 120, "a quarter of the messages")
        # on a busy machine the victim may start after the others sent a quarter: kill it holding leases
        wait_until(lambda: bool(_leased_by(victim.pid)), 60, "the victim to hold leases")
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=30)
        owner = next(b.agent_id for b in AgentHeartbeat.select() if b.pid == victim.pid)
        held = {
            m.id
            for m in OutboxMessage.select(OutboxMessage.id).where(
                (OutboxMessage.status == OutboxStatus.SENDING) & (OutboxMessage.lease_owner == owner)
            )
        }
        assert held, "the agent was killed holding no lease: nothing to rescue"
        wait_until(lambda: statuses() == {"sent": total}, 120, "every message sent")
    finally:
        for agent in agents[1:]:
            agent.send_signal(signal.SIGTERM)
        logs = finish(agents)

    received = Counter(smtp_server.handler.message_ids())
    assert len(received) == total  # nothing lost
    duplicates = sum(received.values()) - total
    assert duplicates <= CONCURRENCY, duplicates  # only what the victim had in flight
    rescued = Transmission.select().where(Transmission.status == TransmissionStatus.UNKNOWN)
    # exactly the victim's leases were rescued: the live agents kept theirs renewed, 3-second lease or not
    assert {t.__data__["message"] for t in rescued} == held
    assert sent_ids(logs[1]) | sent_ids(logs[2]) >= held  # and the others sent them

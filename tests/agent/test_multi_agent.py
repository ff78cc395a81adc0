"""Several ``facteur agent`` processes on one outbox, on PostgreSQL and on one machine's SQLite file.

Three real agents drain the queue into one aiosmtpd on loopback: every message arrives exactly
once. One agent killed with SIGKILL: the others deliver what it held once its leases run out
(a short lease here), and only what it had in flight can arrive twice. On SQLite an agent seen
on another machine makes a new one refuse to start.
"""

from __future__ import annotations

import re
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import peewee
import pytest

from locales import translator
from models.agent_state import AgentHeartbeat
from models.base import utcnow
from models.enums import OutboxStatus, TransmissionStatus
from models.messaging import OutboxMessage, Transmission
from tests.agent.process_helpers import CONCURRENCY, queue_many, start_agent, statuses, write_config
from tests.agent.smtp_server import SmtpServer
from tests.conftest import Setup

AGENTS = 3
# The agents log in the clinic's language (French by default): "message 12 de la facture no 3 envoyé".
SENT_LINE = re.compile(
    re.escape(translator("fr").gettext("message {id} of invoice #{invoice} sent"))
    .replace(re.escape("{id}"), r"(?P<id>\d+)")
    .replace(re.escape("{invoice}"), r"\d+")
)


def messages_for(backend: str) -> int:
    """The issue's 2,000 on PostgreSQL; fewer on SQLite, whose writers take turns."""
    return 2000 if backend == "postgresql" else 600


def sent_ids(log: str) -> set[int]:
    return {int(match["id"]) for match in SENT_LINE.finditer(log)}


def wait_until(condition: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def finish(agents: list[subprocess.Popen[str]], timeout: float = 120) -> list[str]:
    """Each agent's stderr once it has exited (after ``--once``, or SIGTERM)."""
    logs = []
    for agent in agents:
        _, err = agent.communicate(timeout=timeout)
        assert agent.returncode in (0, -signal.SIGKILL), err[-2000:]
        logs.append(err)
    return logs


def test_three_agents_send_every_message_exactly_once(
    setup: Setup, database: peewee.Database, backend: str, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    total = messages_for(backend)
    queue_many(setup, total)
    config = write_config(tmp_path, database, smtp_server.port)
    agents = [start_agent(config, "--once") for _ in range(AGENTS)]
    logs = finish(agents)

    assert statuses() == {"sent": total}
    received = Counter(smtp_server.handler.message_ids())
    assert len(received) == total and set(received.values()) == {1}  # each one, once
    assert {m.message_id for m in OutboxMessage.select(OutboxMessage.message_id)} == set(received)
    by_agent = [sent_ids(log) for log in logs]
    assert all(by_agent), [len(ids) for ids in by_agent]  # all three took part
    assert sum(len(ids) for ids in by_agent) == total  # and no message was sent by two of them
    assert AgentHeartbeat.select().count() == AGENTS
    assert not Transmission.select().where(Transmission.status == TransmissionStatus.UNKNOWN).exists()


def test_a_killed_agent_s_messages_are_sent_by_the_others(
    setup: Setup, database: peewee.Database, backend: str, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    total = messages_for(backend)
    queue_many(setup, total)
    lease = 3.0  # short, so the test does not wait ten minutes for the rescue
    config = write_config(tmp_path, database, smtp_server.port, lease_seconds=lease)
    agents = [start_agent(config) for _ in range(AGENTS)]
    victim = agents[0]
    try:
        wait_until(lambda: len(smtp_server.handler.received) >= total // 4, 120, "a quarter of the messages")
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


@pytest.mark.parametrize("language", ["en", "fr"])
def test_an_agent_of_another_machine_on_sqlite_refuses_the_start(
    setup: Setup,
    database: peewee.Database,
    backend: str,
    smtp_server: SmtpServer,
    tmp_path: Path,
    language: str,
) -> None:
    AgentHeartbeat.create(agent_id="cabinet-2:4242", hostname="cabinet-2", pid=4242, seen_at=utcnow())
    queue_many(setup, 3)
    config = write_config(tmp_path, database, smtp_server.port)
    process = start_agent(config, "--once", lang=language)
    _, err = process.communicate(timeout=60)
    if backend == "postgresql":  # any number of machines: it joins and sends
        assert process.returncode == 0, err
        assert statuses() == {"sent": 3}
        return
    tr = translator(language)
    expected = tr.format(
        "facteur: {message}",
        message=tr.format(
            "an agent on {host} uses this SQLite database (seen {seconds} s ago): SQLite serves "
            "one machine; for agents on several machines use PostgreSQL (see the README)",
            host="cabinet-2",
            seconds=424242,
        ),
    )
    assert process.returncode == 1, err
    assert re.fullmatch(re.escape(expected).replace("424242", r"\d+"), err.strip()), err
    assert statuses() == {"pending": 3}

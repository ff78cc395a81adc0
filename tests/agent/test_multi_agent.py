"""Several ``facteur agent`` processes on one outbox, on PostgreSQL and on one machine's SQLite file.

Three real agents drain the queue into one aiosmtpd on loopback: every message arrives exactly
once. On SQLite an agent seen on another machine makes a new one refuse to start. (One agent
killed: ``test_multi_agent_kill.py``.)
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import peewee
import pytest

from locales import translator
from models.core.enums import TransmissionStatus
from models.database.base import utcnow
from models.messaging.agent_state import AgentHeartbeat
from models.messaging.tables import OutboxMessage, Transmission
from tests.agent.process_helpers import (
    AGENTS,
    finish,
    queue_many,
    sent_ids,
    start_agent,
    statuses,
    write_config,
)
from tests.agent.smtp_server import SmtpServer
from tests.conftest import Setup


def messages_for(backend: str) -> int:
    """The issue's 2,000 on PostgreSQL; fewer on SQLite, whose writers take turns."""
    return 2000 if backend == "postgresql" else 400


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

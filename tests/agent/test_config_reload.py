"""A serving ``facteur agent`` takes an edited ``facteur.toml`` without a restart: the backlog that
waited on a STARTTLS misconfiguration goes out by itself once the setting is fixed."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import peewee
import pytest

from locales import translator
from models.core.enums import OutboxStatus
from models.messaging.agent_state import AgentState, agent_summary
from models.messaging.tables import OutboxMessage
from tests.agent.certificates import self_signed, server_context
from tests.agent.process_helpers import queue_many, start_agent, statuses, wait_until, write_config
from tests.agent.smtp_server import SmtpServer
from tests.conftest import Setup

CHANGED = "{file} changed: the agent takes its new settings"  # the agent's log line, in French


@pytest.fixture
def starttls_required(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SmtpServer:
    certificate = self_signed(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))  # the agent process trusts it
    server = SmtpServer(require_starttls=True, tls_context=server_context(certificate)).start()
    yield server  # type: ignore[misc]
    server.stop()


def test_a_fixed_setting_sends_the_backlog_with_no_restart(
    setup: Setup, database: peewee.Database, starttls_required: SmtpServer, tmp_path: Path
) -> None:
    queue_many(setup, 8)
    config = write_config(tmp_path, database, starttls_required.port, offline_probe_max_seconds=0.5)
    agent = start_agent(config)
    try:
        wait_until(lambda: agent_summary().state is AgentState.BLOCKED, 60, "the agent to say it is blocked")
        assert statuses() == {OutboxStatus.PENDING: 8}
        assert {m.attempts for m in OutboxMessage.select()} == {0}  # a setting to fix spends none
        assert starttls_required.handler.received == []

        text = config.read_text(encoding="utf-8")
        config.write_text(text.replace('security = "none"', 'security = "starttls"'), encoding="utf-8")
        wait_until(lambda: statuses() == {OutboxStatus.SENT: 8}, 90, "the backlog to go out")
        assert agent.poll() is None  # the same process: no restart
        wait_until(lambda: agent_summary().state is AgentState.ONLINE, 30, "the agent to say it is online")
        assert {m.attempts for m in OutboxMessage.select()} == {1}
        assert len(starttls_required.handler.received) == 8
    finally:
        os.kill(agent.pid, signal.SIGTERM)
        _, log = agent.communicate(timeout=60)
    assert agent.returncode == 0, log[-2000:]
    changed = translator("fr").format(CHANGED, file=str(config))
    assert changed in log

"""A server that refuses the agent's settings blocks the channel: the messages wait with no attempt
spent, the agent says why once (log, heartbeat, one notification to the admins), and the backlog
goes out by itself once the server takes it. A refusal about one recipient fails that one alone."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from agent.pdf import InvoicePdfs
from agent.service import build_agent
from models.core.config import parse_config
from models.core.enums import OutboxStatus, TransmissionStatus
from models.messaging.agent_state import AgentHeartbeat, AgentState, agent_summary
from models.messaging.notifications import AGENT_BLOCKED
from models.messaging.tables import Notification, OutboxMessage, Transmission
from models.people.clinic import Staff
from models.workflow.sending import enqueue_invoice_email
from testbed.invoices import billed_invoice
from tests.agent.smtp_server import SmtpServer
from tests.conftest import Setup

BLOCKED_LOG = "envoi impossible tant qu’un réglage n’est pas corrigé"


@pytest.fixture
def admin(setup: Setup) -> Staff:
    return Staff.create(login="anne", display_name="Anne Admin", roles="admin,billing")


@pytest.fixture
def starttls_only() -> Iterator[SmtpServer]:
    """A server that answers MAIL FROM with 530 until the session is encrypted (aiosmtpd's own)."""
    import ssl

    server = SmtpServer(require_starttls=True, tls_context=ssl.create_default_context()).start()
    yield server
    server.stop()


def settings(tmp_path: Path, port: int):  # type: ignore[no-untyped-def]
    return parse_config(
        {
            "email": {"backend": "smtp", "host": "127.0.0.1", "port": port, "security": "none", "timeout": 5},
            "agent": {"retry_base_seconds": 0.05, "offline_probe_max_seconds": 0.2, "poll_seconds": 0.1},
            "locales": {"watch": False},
        },
        tmp_path / "f.toml",
    )


def queue(setup: Setup, count: int) -> list[int]:
    return [enqueue_invoice_email(billed_invoice(setup.company)).id for _ in range(count)]


def blocked_notices() -> list[Notification]:
    return list(Notification.select().where(Notification.kind == AGENT_BLOCKED))


async def test_a_server_requiring_starttls_blocks_the_channel_and_spends_nothing(
    setup: Setup,
    admin: Staff,
    starttls_only: SmtpServer,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    ids = queue(setup, 20)
    with caplog.at_level(logging.INFO, logger="facteur"):
        for _ in range(2):  # a second run meets the same refusal: nothing more is said to the admins
            agent = build_agent(settings(tmp_path, starttls_only.port), pdfs=InvoicePdfs(tmp_path / "pdf"))
            assert await agent.run(once=True) is False
    waiting = list(OutboxMessage.select().where(OutboxMessage.id.in_(ids)))
    assert {(m.status, m.attempts) for m in waiting} == {(OutboxStatus.PENDING, 0)}
    assert not Transmission.select().where(Transmission.status == TransmissionStatus.FAILED).exists()
    (notice,) = blocked_notices()  # the admin alone, once
    assert notice.__data__["staff"] == admin.id and "530" in notice.params
    summary = agent_summary()
    assert summary.state is AgentState.STOPPED  # --once ended; the reason stays on its heartbeat
    assert "530" in AgentHeartbeat.select().order_by(AgentHeartbeat.id.desc()).get().blocked
    assert caplog.text.count(BLOCKED_LOG) == 2  # once per run, not once per message
    assert "security" in caplog.text  # the setting to check is named
    assert starttls_only.handler.received == []


async def wait_until(condition: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"still waiting for {what}")
        await asyncio.sleep(0.02)


async def test_a_blocked_agent_shows_it_then_sends_by_itself_once_the_server_takes_it(
    setup: Setup, admin: Staff, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    server = SmtpServer().start()
    try:
        # the server refuses every sender until its admin fixes its side
        server.handler.script(*["mail:530"] * 1000)
        ids = queue(setup, 12)
        agent = build_agent(settings(tmp_path, server.port), pdfs=InvoicePdfs(tmp_path / "pdf"))
        with caplog.at_level(logging.INFO, logger="facteur"):
            running = asyncio.create_task(agent.run())
            await wait_until(
                lambda: agent_summary().state is AgentState.BLOCKED, "the heartbeat to say blocked"
            )
            assert "530" in agent_summary().blocked
            refused = 1000 - len(server.handler.modes)
            await wait_until(lambda: 1000 - len(server.handler.modes) > refused, "a try after a wait")
            assert agent_summary().state is AgentState.BLOCKED  # still, though it tried again
            with server.handler.lock:
                server.handler.modes.clear()  # fixed: the agent finds out by itself
            await wait_until(lambda: len(server.handler.received) == 12, "every email")
            await wait_until(lambda: agent_summary().state is AgentState.ONLINE, "the agent back online")
            agent.stop()
            await asyncio.wait_for(running, 30)
    finally:
        server.stop()
    sent = list(OutboxMessage.select().where(OutboxMessage.id.in_(ids)))
    assert {m.status for m in sent} == {OutboxStatus.SENT}
    assert all(m.attempts <= 1 for m in sent)  # the refused tries were not attempts
    assert len(blocked_notices()) == 1
    assert caplog.text.count(BLOCKED_LOG) == 1
    assert "envoi repris" in caplog.text
    assert AgentHeartbeat.select().order_by(AgentHeartbeat.id.desc()).get().blocked == ""


async def test_a_sender_refused_at_mail_from_blocks_but_a_refused_recipient_fails_alone(
    setup: Setup, admin: Staff, tmp_path: Path
) -> None:
    server = SmtpServer().start()
    try:
        server.handler.script("rcpt:550")
        ids = queue(setup, 2)
        agent = build_agent(settings(tmp_path, server.port), pdfs=InvoicePdfs(tmp_path / "pdf"))
        assert await agent.run(once=True) is True
        ended = sorted(m.status for m in OutboxMessage.select().where(OutboxMessage.id.in_(ids)))
        assert ended == [OutboxStatus.FAILED, OutboxStatus.SENT]  # the refused recipient's alone
        assert blocked_notices() == []

        server.handler.script("mail:553")
        waiting = queue(setup, 1)[0]
        agent = build_agent(settings(tmp_path, server.port), pdfs=InvoicePdfs(tmp_path / "pdf"))
        assert await agent.run(once=True) is False
        message = OutboxMessage.get_by_id(waiting)
        assert (message.status, message.attempts) == (OutboxStatus.PENDING, 0)
        (notice,) = blocked_notices()
        assert "from_address" in notice.params
    finally:
        server.stop()


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 200 KB tmpfs: a few PDFs fill it. Mounting needs root (CI runs as root)."""
    import os
    import subprocess

    folder = tmp_path / "small-disk"
    folder.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root: the full-disk case is not checked here")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=200k", "tmpfs", str(folder)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.decode().strip()}): full disk not checked")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=False)


async def test_a_full_cache_disk_spends_no_attempt_and_is_said_once(
    setup: Setup, admin: Staff, small_disk: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    server = SmtpServer().start()
    try:
        ids = queue(setup, 30)  # thirty invoices, thirty PDFs of some 12 KB each: the disk fills
        agent = build_agent(settings(tmp_path, server.port), pdfs=InvoicePdfs(small_disk))
        with caplog.at_level(logging.INFO, logger="facteur"):
            assert await agent.run(once=True) is False
    finally:
        server.stop()
    messages = list(OutboxMessage.select().where(OutboxMessage.id.in_(ids)))
    waiting = [m for m in messages if m.status == OutboxStatus.PENDING]
    assert waiting, "the disk never filled"
    assert {m.attempts for m in waiting} == {0}  # the full disk was no try at a server
    assert not [m for m in messages if m.status == OutboxStatus.FAILED]
    assert caplog.text.count(BLOCKED_LOG) == 1
    (notice,) = blocked_notices()
    assert "cache_dir" in notice.params

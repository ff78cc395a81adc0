"""The agent's seams: delivery steps before the email, and feeds pulled while online.

The steps here are small real implementations of the protocol (they record through
``outbox.mark_step`` like the portal and Stripe steps do); the email goes to aiosmtpd.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from agent.errors import DeferredError, OfflineError, RejectedError, ThrottledError
from agent.service import build_agent
from agent.steps import DbRunner, Delivery
from models.core.enums import Channel, OutboxStatus, TransmissionStatus
from models.database.base import utcnow
from models.messaging import outbox
from models.messaging.outbox import Reply
from models.messaging.tables import OutboxMessage, Transmission
from tests.agent.conftest import agent_config
from tests.agent.smtp_server import SmtpServer
from tests.agent.test_delivery import queue, real_pdfs, reload
from tests.conftest import Setup


@dataclass
class PublishStep:
    """Publishes once per message (``published_at``), failing first as scripted."""

    failures: list[Exception] = field(default_factory=list)
    reachable: bool = True
    channel: Channel = Channel.PORTAL
    after_email: bool = False
    runs: int = 0
    probes: int = 0
    closed: bool = False

    def wanted(self, message: OutboxMessage) -> bool:
        return message.published_at is None

    async def run(self, delivery: Delivery, db: DbRunner) -> None:
        self.runs += 1
        if self.failures:
            raise self.failures.pop(0)
        await db(
            outbox.mark_step,
            delivery.message,
            delivery.agent_id,
            self.channel,
            TransmissionStatus.PUBLISHED,
            Reply(code="201", provider_id="link-1"),
            published_at=utcnow(),
        )
        delivery.download_url = "https://portal.example/l/token"

    async def probe(self) -> None:
        self.probes += 1
        if not self.reachable:
            raise OfflineError("portal down")

    async def close(self) -> None:
        self.closed = True


@dataclass
class CountingFeed:
    name: str = "test:feed"
    interval_seconds: float = 3600.0
    failure: Exception | None = None
    runs: int = 0
    closed: bool = False

    async def run(self, db: DbRunner) -> None:
        self.runs += 1
        await db(OutboxMessage.select().count)
        if self.failure is not None:
            raise self.failure

    async def close(self) -> None:
        self.closed = True


def rows(message: OutboxMessage) -> list[tuple[str, str]]:
    query = Transmission.select().where(Transmission.message == message.id).order_by(Transmission.id)
    return [(row.channel, row.status) for row in query]


async def drain(tmp_path: Path, port: int, **parts: object) -> bool:
    agent = build_agent(agent_config(port, tmp_path), pdfs=real_pdfs(tmp_path), **parts)  # type: ignore[arg-type]
    return await agent.run(once=True)


async def test_a_step_runs_before_the_email_and_records_on_its_channel(
    setup: Setup, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    step, feed = PublishStep(), CountingFeed()
    message = queue(setup)
    assert await drain(tmp_path, smtp_server.port, steps=[step], syncs=[feed]) is True
    sent = reload(message)
    assert sent.status == OutboxStatus.SENT and sent.published_at is not None
    assert rows(message) == [("portal", "published"), ("email", "sent")]
    assert len(smtp_server.handler.received) == 1
    assert step.closed and feed.closed and feed.runs == 1  # --once pulls every feed once


async def test_a_transient_step_failure_defers_on_its_channel_and_the_retry_skips_what_was_done(
    setup: Setup, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    step = PublishStep(failures=[DeferredError("busy", code=503, reply="busy")])
    message = queue(setup)
    await drain(tmp_path, smtp_server.port, steps=[step])
    deferred = reload(message)
    assert deferred.status == OutboxStatus.PENDING and deferred.last_error == "503 busy"
    assert rows(message) == [("portal", "deferred")] and not smtp_server.handler.received
    OutboxMessage.update(next_attempt_at=utcnow()).where(OutboxMessage.id == message.id).execute()
    await drain(tmp_path, smtp_server.port, steps=[step])
    assert reload(message).status == OutboxStatus.SENT
    assert rows(message) == [("portal", "deferred"), ("portal", "published"), ("email", "sent")]
    OutboxMessage.update(status=OutboxStatus.PENDING.value).where(OutboxMessage.id == message.id).execute()
    assert not step.wanted(reload(message))  # published once; a later retry would not publish again


async def test_a_permanent_step_failure_fails_the_message_without_an_email(
    setup: Setup, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    message = queue(setup)
    await drain(tmp_path, smtp_server.port, steps=[PublishStep(failures=[RejectedError("no", code=400)])])
    assert reload(message).status == OutboxStatus.FAILED
    assert rows(message) == [("portal", "failed")] and not smtp_server.handler.received


async def test_an_unreachable_step_takes_the_agent_offline_and_the_probe_asks_that_step(
    setup: Setup, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    step = PublishStep(failures=[OfflineError("portal down")], reachable=False)
    message = queue(setup)
    assert await drain(tmp_path, smtp_server.port, steps=[step]) is False
    released = reload(message)
    assert released.status == OutboxStatus.PENDING and released.attempts == 0  # no attempt spent
    assert step.probes == 1  # the portal was probed, not the (reachable) email server
    assert not smtp_server.handler.received and rows(message) == []


async def test_an_unreachable_feed_does_not_take_the_agent_offline(
    setup: Setup, smtp_server: SmtpServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    feed = CountingFeed(failure=OfflineError("stripe down"))
    broken = CountingFeed(name="test:broken", failure=RuntimeError("bug"))
    throttled = CountingFeed(name="test:throttled", failure=ThrottledError("slow down"))  # a portal's 429
    message = queue(setup)
    with caplog.at_level(logging.INFO):
        assert await drain(tmp_path, smtp_server.port, syncs=[feed, broken, throttled]) is True
    assert reload(message).status == OutboxStatus.SENT
    assert feed.runs == 1 and broken.runs == 1 and throttled.runs == 1
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert any("test:broken" in e for e in errors) and not any("test:throttled" in e for e in errors)
    assert any("test:throttled" in r.getMessage() for r in caplog.records)  # said, at its next turn again


async def test_a_serving_agent_pulls_each_feed_on_its_interval_one_run_at_a_time(
    setup: Setup, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    import asyncio

    @dataclass
    class SlowFeed(CountingFeed):
        running: int = 0
        most: int = 0

        async def run(self, db: DbRunner) -> None:
            self.running += 1
            self.most = max(self.most, self.running)
            await asyncio.sleep(0.12)  # longer than the interval: the next turn must wait for it
            self.runs += 1
            self.running -= 1

    feed = SlowFeed(interval_seconds=0.05)
    config = agent_config(smtp_server.port, tmp_path, poll_seconds=0.1)
    agent = build_agent(config, pdfs=real_pdfs(tmp_path), syncs=[feed])
    serving = asyncio.create_task(agent.run())
    await asyncio.sleep(0.9)
    agent.stop()
    await serving
    assert feed.runs >= 3 and feed.most == 1 and feed.closed

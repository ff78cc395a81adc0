"""A channel paced as one: spaced sends, a daily limit, a throttling reply that pauses and slows the
whole channel, a daily quota reply that pauses it; through ``agent --once`` against aiosmtpd
relays that limit their senders, minutes scaled down to a second so the tests run in seconds."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import aiosmtplib
import pytest

from agent.channels.smtp import classify
from agent.errors import BlockedError, DeferredError, PausedError, ThrottledError
from agent.pacing import MAX_PAUSE_MINUTES, Pace
from agent.pdf import InvoicePdfs
from agent.service import build_agent
from models.core.config import Config
from models.core.enums import OutboxStatus, TransmissionStatus
from models.database.base import utcnow
from models.messaging.agent_state import AgentState, agent_summary
from models.messaging.tables import Notification, OutboxMessage, Transmission
from models.workflow.sending import enqueue_invoice_email
from testbed.invoices import billed_invoice
from tests.agent.smtp_server import SmtpServer
from tests.agent.test_blocked import settings
from tests.conftest import Setup

SECOND = 1.0  # the pace's minute in these tests


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_throttling_reply_pauses_the_channel_and_keeps_it_under_what_the_server_took() -> None:
    clock = Clock()
    pace = Pace(minute=60.0, clock=clock)
    for _ in range(20):  # 20 taken in the last minute
        pace.accepted()
        clock.now += 1
    assert pace.per_minute == 0  # nothing limits it yet
    assert pace.slow_down() == 60.0
    assert pace.per_minute == 18.0  # 90 % of what it took
    assert pace.slow_down() is None  # a reply from a send in flight adds no pause
    clock.now += 61
    assert pace.slow_down() == 120.0  # still refusing at the learned pace: the pause doubles
    assert pace.per_minute == pytest.approx(16.2)  # and the pace slows a little more
    clock.now += 121
    pace.accepted()
    clock.now += 1
    assert pace.slow_down() == 60.0  # a success resets the doubling
    for _ in range(10):
        clock.now += 10_000
        pace.slow_down()
    assert pace.paused_for == 60.0 * MAX_PAUSE_MINUTES


def test_the_configured_pace_is_a_ceiling_and_a_full_day_says_how_long_to_wait() -> None:
    clock = Clock()
    pace = Pace(30, 3, clock=clock)
    assert pace.per_minute == 30
    pace.learned = 45
    assert pace.per_minute == 30  # learning never speeds it past the setting
    for _ in range(3):
        asyncio.run(_turn_now(pace, clock))
        clock.now += 2
    assert pace.day_full_for() == pytest.approx(24 * 3600 - 6)  # the first of the three ages out then
    assert asyncio.run(pace.turn()) == pytest.approx(24 * 3600 - 6)  # no turn: the wait, at once
    clock.now += 24 * 3600
    assert pace.day_full_for() == 0


async def _turn_now(pace: Pace, clock: Clock) -> None:
    pace._next_start = clock.now  # this test looks at the day, not at the spacing
    await pace.turn()


async def test_turns_are_spaced_evenly() -> None:
    pace = Pace(300, minute=SECOND)  # one every 1/300 of a second-long minute: every 3.3 ms
    started = time.monotonic()
    for _ in range(31):
        await pace.turn()
    assert time.monotonic() - started >= 30 * SECOND / 300


@pytest.mark.parametrize(
    ("code", "answer", "step", "kind"),
    [
        (421, "4.7.0 Try again later, closing connection.", "mail", ThrottledError),
        (451, "4.7.1 Sending rate exceeded", "rcpt", ThrottledError),
        (452, "4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded", "data", ThrottledError),
        (450, "4.2.1 The user is receiving mail too quickly", "rcpt", DeferredError),  # that recipient
        (550, "5.4.5 Daily user sending quota exceeded.", "mail", PausedError),
        (554, "5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException", "data", PausedError),
        (553, "5.7.1 Sender address rejected", "mail", BlockedError),
    ],
)
def test_a_providers_limit_is_told_from_a_refusal(code: int, answer: str, step: str, kind: type) -> None:
    error = classify(aiosmtplib.SMTPResponseException(code, answer), step)  # type: ignore[arg-type]
    assert type(error) is kind


@pytest.fixture
def relay() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


def paced(tmp_path: Path, relay: SmtpServer, **email: int) -> Config:
    config = settings(tmp_path, relay.port)
    return replace(config, email=replace(config.email, **email))


def attempts_match_tries(ids: list[int]) -> bool:
    """Each message's attempts are the tries that reached the server: its email transmissions."""
    for message in OutboxMessage.select().where(OutboxMessage.id.in_(ids)):
        tries = Transmission.select().where(
            (Transmission.message == message.id) & (Transmission.channel == "email")
        )
        if message.attempts != tries.count():
            return False
    return True


async def test_a_throttling_relay_is_learned_and_nothing_fails(
    setup: Setup, relay: SmtpServer, tmp_path: Path
) -> None:
    """A relay taking 8 a (scaled) minute, 421 past it, the agent told nothing about it: the
    refusals stay under twice the concurrency, every message goes, none on its own clock. (No
    PDF to render: a loaded machine still sends far faster than 8 a second.)"""
    relay.handler.rate = (8, 2 * SECOND)
    ids = [enqueue_invoice_email(billed_invoice(setup.company), attach_pdf=False).id for _ in range(14)]
    agent = build_agent(paced(tmp_path, relay), pdfs=InvoicePdfs(tmp_path / "pdf"), minute=2 * SECOND)
    assert await agent.run(once=True) is True
    assert [m.status for m in OutboxMessage.select()] == [OutboxStatus.SENT] * 14
    assert len(relay.handler.received) == 14
    assert 0 < relay.handler.refusals < 2 * agent.options.concurrency
    deferred = Transmission.select().where(Transmission.status == TransmissionStatus.DEFERRED)
    assert deferred.count() == relay.handler.refusals and attempts_match_tries(ids)
    assert Notification.select().count() == 0


async def test_a_configured_pace_meets_no_refusal(setup: Setup, relay: SmtpServer, tmp_path: Path) -> None:
    relay.handler.rate = (10, SECOND)
    for _ in range(12):  # no PDF to render: the time measured is the pace's
        enqueue_invoice_email(billed_invoice(setup.company), attach_pdf=False)
    config = paced(tmp_path, relay, max_per_minute=9)
    agent = build_agent(config, pdfs=InvoicePdfs(tmp_path / "pdf"), minute=SECOND)
    started = time.monotonic()
    assert await agent.run(once=True) is True
    assert len(relay.handler.received) == 12 and relay.handler.refusals == 0
    assert time.monotonic() - started >= 11 * SECOND / 9  # evenly spaced: no burst


async def test_a_daily_quota_reply_pauses_the_channel_with_no_attempt_spent(
    setup: Setup, relay: SmtpServer, tmp_path: Path
) -> None:
    relay.handler.quota = 3  # then 550 5.4.5 to every MAIL FROM (those begun before may go)
    ids = [enqueue_invoice_email(billed_invoice(setup.company), attach_pdf=False).id for _ in range(8)]
    agent = build_agent(paced(tmp_path, relay), pdfs=InvoicePdfs(tmp_path / "pdf"), minute=SECOND)
    assert await agent.run(once=True) is False  # ended paused
    statuses = [m.status for m in OutboxMessage.select().order_by(OutboxMessage.id)]
    sent = statuses.count(OutboxStatus.SENT)
    assert sent >= 3 and statuses.count(OutboxStatus.PENDING) == 8 - sent  # none failed
    waiting = OutboxMessage.select().where(OutboxMessage.status == OutboxStatus.PENDING)
    assert {m.attempts for m in waiting} == {0}
    assert attempts_match_tries([i for i in ids if OutboxMessage.get_by_id(i).status == "sent"])
    summary = agent_summary()
    assert summary.state is AgentState.STOPPED  # --once ended: the pause is said while an agent runs


async def test_a_full_day_pauses_a_running_agent_and_the_status_bar_says_until_when(
    setup: Setup, relay: SmtpServer, tmp_path: Path
) -> None:
    for _ in range(5):
        enqueue_invoice_email(billed_invoice(setup.company), attach_pdf=False)
    agent = build_agent(paced(tmp_path, relay, max_per_day=2), pdfs=InvoicePdfs(tmp_path / "pdf"))
    running = asyncio.create_task(agent.run())
    try:
        for _ in range(1200):  # until the pause is told (an event of the agent's, polled)
            summary = agent_summary()
            if summary.state is AgentState.PAUSED:
                break
            await asyncio.sleep(0.05)
        assert summary.state is AgentState.PAUSED and summary.paused_until is not None
        assert summary.paused_until > utcnow() + timedelta(hours=23)
        assert len(relay.handler.received) == 2 and summary.pending == 3
    finally:
        agent.stop()
        await asyncio.wait_for(running, 30)
    assert [m.attempts for m in OutboxMessage.select().where(OutboxMessage.status == "pending")] == [0, 0, 0]

"""A provider that limits its senders: a backlog drained through an SMTP relay that takes at most
``per_minute`` messages in any 60 seconds and answers 421 4.7.0 past it (as Google and Microsoft
do), as a ratio to the floor that limit allows (``count / per_minute`` minutes).

Two agents: one told the limit (``[email] max_per_minute``), which should meet no refusal and
drain within 10 % of the floor; one told nothing, which learns the limit from the refusals and
should meet fewer of them than twice its concurrency.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from typing import Any

from aiosmtpd.controller import Controller

from bench.common import Result, free_port, scratch
from bench.outbox_load import agent_settings, queue_emails

WINDOW = 60.0


class ThrottlingRelay:
    """aiosmtpd handler: at most ``per_minute`` transactions begun in any ``WINDOW`` seconds."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self.accepted = 0
        self.refusals = 0
        self._begun: deque[float] = deque()
        self._lock = threading.Lock()

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        with self._lock:
            now = time.monotonic()
            while self._begun and self._begun[0] <= now - WINDOW:
                self._begun.popleft()
            if len(self._begun) >= self.per_minute:
                self.refusals += 1
                return "421 4.7.0 Try again later, closing connection."
            self._begun.append(now)
        envelope.mail_from = address
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            self.accepted += 1
        return "250 2.0.0 OK queued"


def drain(count: int, per_minute: int, *, told: bool) -> tuple[float, int, int]:
    """Seconds to drain ``count`` emails through a relay taking ``per_minute``, its refusals, and
    the agent's concurrency; ``told``: the agent's ``max_per_minute`` says the limit."""
    from agent.service import build_agent
    from models.core.config import parse_config
    from models.database.db import close_database
    from models.messaging.tables import OutboxMessage

    work = scratch("pace")
    relay = ThrottlingRelay(per_minute)
    controller = Controller(relay, hostname="127.0.0.1", port=free_port(), ready_timeout=10)
    controller.start()
    try:
        url = queue_emails(work, count, attach=False)
        settings = agent_settings(url, controller.port, work / "cache")
        del settings["agent"]["concurrency"]  # the clinic's default
        if told:
            settings["email"]["max_per_minute"] = per_minute
        config = parse_config(settings)
        agent = build_agent(config)
        started = time.perf_counter()
        asyncio.run(agent.run(once=True))
        elapsed = time.perf_counter() - started
        sent = OutboxMessage.select().where(OutboxMessage.status == "sent").count()
        close_database()
    finally:
        controller.stop()
    if sent != count or relay.accepted != count:
        raise RuntimeError(f"{sent} of {count} messages sent, {relay.accepted} taken by the relay")
    return elapsed, relay.refusals, config.agent.concurrency


def run(
    count: int = 1000, per_minute: int = 30, learning: int = 120, learning_per_minute: int = 60
) -> list[Result]:
    results = []
    for told, size, rate in ((True, count, per_minute), (False, learning, learning_per_minute)):
        elapsed, refusals, concurrency = drain(size, rate, told=told)
        floor = size / rate * 60
        ratio = floor / elapsed
        how = "max_per_minute set" if told else "nothing set: learned"
        results += [
            Result(
                "pace",
                f"drain {size} emails, relay taking {rate}/min, {how} (ratio: floor / time)",
                elapsed,
                "s",
                baseline=floor,
                ratio=ratio,
                goal="ratio >= 0.9" if told else "ratio >= 0.85",
                ok=ratio >= (0.9 if told else 0.85),
            ),
            Result(
                "pace",
                "  the relay's 421 refusals",
                refusals,
                "",
                goal="0" if told else f"< {2 * concurrency}",
                ok=refusals == 0 if told else refusals < 2 * concurrency,
            ),
        ]
    return results

"""A week offline: the time the agent takes to drain a backlog of secure invoice emails (each
published to the portal, emailed, its PIN texted) once the clinic is back online, against servers
a network away (``bench.latency``: 100 ms round trips to the SMTP relay, the portal and the SMS
gateway), as a ratio to the floor that latency and the agent's configured concurrency allow.

The floor: every email costs the SMTP relay four answers (MAIL, RCPT, DATA, the message's end),
one round trip each, and the agent sends ``concurrency`` emails at once, so ``count`` emails take
at least ``ceil(count / concurrency) * 4`` round trips, whatever else it does meanwhile (publishing
and texting go beside the emails). Goal: the drain within 0.8 of it. The PDFs are rendered ahead,
as an agent offline for a week has them by the time it is back (its renderer runs while offline).

Reported beside it: the portal's CPU per published link, read from its process.
"""

from __future__ import annotations

import asyncio
import math
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.common import Portal, Result, SinkSmtp, SmsGateway, scratch
from bench.latency import Distant
from bench.outbox_load import agent_env, agent_settings, queue_emails, warm_pdf_cache

ROUND_TRIP = 0.1
SMTP_ROUND_TRIPS = 4  # MAIL, RCPT, DATA and the message's end, each answered before the next


def cpu_seconds(pid: int) -> float:
    """User and system CPU the process ``pid`` has used so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def floor_seconds(count: int, concurrency: int, round_trip: float = ROUND_TRIP) -> float:
    """The least time ``count`` emails take over ``concurrency`` connections ``round_trip`` away."""
    return math.ceil(count / concurrency) * SMTP_ROUND_TRIPS * round_trip


@contextmanager
def far_away(work: Path, url: str, smtp_port: int) -> Iterator[tuple[dict[str, Any], Portal]]:
    """The agent's settings (the clinic's defaults) for the SMTP server on ``smtp_port``, a portal
    and an SMS gateway, each ``ROUND_TRIP`` away; their secrets in the environment."""
    with (
        SmsGateway() as sms,
        Portal(work) as portal,
        Distant(smtp_port, ROUND_TRIP) as far_smtp,
        Distant(portal.port, ROUND_TRIP) as far_portal,
        Distant(sms.port, ROUND_TRIP) as far_sms,
    ):
        settings = agent_settings(url, far_smtp.port, work / "cache", portal=portal, sms=sms)
        del settings["agent"]["concurrency"]  # the clinic's default
        settings["portal"]["url"] = far_portal.url
        settings["sms"]["url"] = far_sms.url
        os.environ.update(agent_env(portal, sms))
        yield settings, portal


def drain(count: int, *, invoices: int = 200) -> tuple[float, float, int, float]:
    """Seconds to drain ``count`` secure messages, the floor, the concurrency, the portal's CPU
    seconds per published link."""
    from agent.service import build_agent
    from models.core.config import parse_config
    from models.database.db import close_database
    from models.messaging.tables import OutboxMessage

    work = scratch("backlog")
    with SinkSmtp() as smtp:
        url = queue_emails(work, count, invoices=min(invoices, count), secure=count)
        warm_pdf_cache(work / "cache")
        with far_away(work, url, smtp.port) as (settings, portal):
            config = parse_config(settings)
            agent = build_agent(config)
            portal_cpu = cpu_seconds(portal.process.pid)
            started = time.perf_counter()
            asyncio.run(agent.run(once=True))
            elapsed = time.perf_counter() - started
            portal_cpu = cpu_seconds(portal.process.pid) - portal_cpu
        sent = OutboxMessage.select().where(OutboxMessage.status == "sent").count()
        close_database()
    if sent != count:
        raise RuntimeError(f"only {sent} of {count} messages were sent")
    concurrency = config.agent.concurrency
    return elapsed, floor_seconds(count, concurrency), concurrency, portal_cpu / count


def run(count: int = 5000) -> list[Result]:
    elapsed, floor, concurrency, portal_cpu = drain(count)
    ratio = floor / elapsed
    return [
        Result(
            "backlog",
            f"drain {count} secure messages, 100 ms away, {concurrency} at once (ratio: floor / time)",
            elapsed,
            "s",
            baseline=floor,
            ratio=ratio,
            goal="ratio >= 0.8",
            ok=ratio >= 0.8,
        ),
        Result("backlog", "  portal CPU per published link", portal_cpu * 1000, "ms"),
    ]

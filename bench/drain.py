"""Agent drain: 2,000 queued invoice emails to aiosmtpd on loopback vs a plain aiosmtplib loop
sending the same number of prepared messages over one connection.

With PDFs already rendered (the cache warmed, as the agent does before a big drain) the goal is
at least 0.7 of the plain loop's rate; the rate when every PDF must be rendered is reported too.
"""

from __future__ import annotations

import asyncio
import time
from email.message import EmailMessage

from bench.common import Result, SinkSmtp, ratio_row, scratch
from bench.outbox_load import queue_emails, warm_pdf_cache


async def _plain_loop(port: int, emails: list[EmailMessage]) -> float:
    import aiosmtplib

    client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, use_tls=False, start_tls=False)
    started = time.perf_counter()
    await client.connect()
    for email in emails:
        await client.send_message(email)
    await client.quit()
    return time.perf_counter() - started


def _prepared(count: int) -> list[EmailMessage]:
    """What the plain loop sends: the agent's own emails for the first messages, composed ahead."""
    from agent.compose import Composer
    from agent.pdf import InvoicePdfs
    from models.messaging import OutboxMessage

    composer = Composer(InvoicePdfs(scratch("plain-cache")), "facturation@clinique.example")
    sample = [
        composer.compose(message) for message in OutboxMessage.select().order_by(OutboxMessage.id).limit(50)
    ]
    return [sample[n % len(sample)] for n in range(count)]


def _drain(url: str, port: int, cache_dir: object, *, warm: bool) -> float:
    from agent.service import build_agent
    from models.config import parse_config
    from models.messaging import OutboxMessage

    config = parse_config(
        {
            "database": {"url": url},
            "email": {
                "backend": "smtp",
                "host": "127.0.0.1",
                "port": port,
                "security": "none",
                "from_address": "facturation@clinique.example",
            },
            "agent": {"concurrency": 8, "cache_dir": str(cache_dir)},
            "locales": {"watch": False},
        }
    )
    if warm:
        warm_pdf_cache(config.resolve(config.agent.cache_dir))
    agent = build_agent(config)
    started = time.perf_counter()
    asyncio.run(agent.run(once=True))
    elapsed = time.perf_counter() - started
    sent = OutboxMessage.select().where(OutboxMessage.status == "sent").count()
    if sent != OutboxMessage.select().count():
        raise RuntimeError(f"only {sent} messages were sent")
    return elapsed


def run(count: int = 2000) -> list[Result]:
    from models.db import close_database

    results: list[Result] = []
    with SinkSmtp() as smtp:
        work = scratch("drain")
        url = queue_emails(work, count)
        emails = _prepared(count)
        plain = asyncio.run(_plain_loop(smtp.port, emails))
        warm = _drain(url, smtp.port, work / "cache", warm=True)
        close_database()
        # every PDF rendered during the drain: a tenth as many messages, each a different invoice
        cold_count = max(count // 10, 20)
        cold_work = scratch("drain-cold")
        url = queue_emails(cold_work, cold_count, invoices=cold_count)
        cold = _drain(url, smtp.port, cold_work / "cache", warm=False)
        close_database()
    results.append(
        ratio_row(
            "drain",
            f"{count} emails/s, PDFs rendered ahead",
            count / warm,
            count / plain,
            "msg/s",
            at_least=0.7,
        )
    )
    results.append(
        ratio_row(
            "drain",
            f"{cold_count} emails/s, each PDF rendered during the drain",
            cold_count / cold,
            count / plain,
            "msg/s",
        )
    )
    return results

"""Agent drain: 2,000 queued invoice emails, half with the PDF attached and half as a secure link
with its PIN by SMS, to aiosmtpd, a real ``facteur portal`` and the tests' fake SMS gateway on
loopback (each in its own process), vs a plain aiosmtplib loop sending as many prepared messages
over one connection.

With PDFs already rendered (the cache warmed, as the agent does before a big drain) the goal is
at least 0.7 of the plain loop's rate, both halves together. The attached half goes first, then the
secure one, so each half's rate is read from when its last email was sent. Reported beside it: the
secure half against what the portal, the gateway and aiosmtpd take on their own (``bench.servers``,
its ceiling on this machine), and the agent against a plain loop sending bytes already flattened
(no ``EmailMessage`` to flatten per send). The rate when every PDF must be rendered during the
drain (each message a different invoice) is reported too.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

from bench.common import Portal, Result, SinkSmtp, SmsGateway, ratio_row, scratch
from bench.outbox_load import agent_env, agent_settings, queue_emails, warm_pdf_cache
from bench.servers import secure_ceiling

SAMPLE = 50  # distinct prepared emails the plain loop cycles through


async def _plain_loop(port: int, emails: Sequence[EmailMessage | bytes]) -> float:
    """Seconds to send ``emails`` one after the other over one connection: ``EmailMessage`` objects
    with ``send_message`` (the issue's baseline), or bytes already flattened with ``sendmail``."""
    import aiosmtplib

    client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, use_tls=False, start_tls=False)
    started = time.perf_counter()
    await client.connect()
    for n, email in enumerate(emails):
        if isinstance(email, EmailMessage):
            await client.send_message(email)
        else:
            await client.sendmail("facturation@clinique.example", [f"patient{n}@example.org"], email)
    await client.quit()
    return time.perf_counter() - started


def _prepared(count: int, cache_dir: Path) -> tuple[list[EmailMessage], list[bytes]]:
    """What the plain loops send: the agent's own emails for the first messages of each half (the
    secure ones with a link as the portal gives one), prepared ahead. As ``EmailMessage`` objects
    they are built with the standard library's API, as a plain program (and the agent, until it
    wrote its emails as bytes) builds them; as bytes, they are the agent's own."""
    from agent.compose import Composer, is_secure
    from agent.pdf import InvoicePdfs
    from agent.steps import Delivery
    from models.database.base import utcnow
    from models.messaging.tables import OutboxMessage

    composer = Composer(InvoicePdfs(cache_dir), "facturation@clinique.example")
    query = OutboxMessage.select().order_by(OutboxMessage.id)
    attached = [m for m in query if not is_secure(m)][: SAMPLE // 2]
    secure = [m for m in query if is_secure(m)][: SAMPLE // 2]
    built, flat = [], []
    for message in attached + secure:
        delivery = Delivery(message, "plain-loop")
        if is_secure(message):
            delivery.download_url = f"http://127.0.0.1:8088/l/{message.link_token}?lang={message.language}"
            delivery.link_expires_at = utcnow() + timedelta(days=14)
        flat.append(composer.compose_bytes(message, delivery).data)
        built.append(_standard(composer.compose(message, delivery)))
    return [built[n % len(built)] for n in range(count)], [flat[n % len(flat)] for n in range(count)]


def _standard(email: EmailMessage) -> EmailMessage:
    """``email`` built again part by part with ``EmailMessage``'s own API."""
    built = EmailMessage()
    for name in ("Subject", "From", "To", "Date", "Message-ID"):
        built[name] = str(email[name])
    text, html = email.get_body(("plain",)), email.get_body(("html",))
    assert text is not None and html is not None
    built.set_content(text.get_content())
    built.add_alternative(html.get_content(), subtype="html")
    for part in email.iter_attachments():
        built.add_attachment(
            part.get_content(), maintype="application", subtype="pdf", filename=part.get_filename()
        )
    built["Content-Language"] = str(email["Content-Language"])
    return built


def _drain(
    url: str, smtp: SinkSmtp, portal: Portal, sms: SmsGateway, cache_dir: Path, *, warm: bool
) -> float:
    from agent.service import build_agent
    from models.core.config import parse_config
    from models.messaging.tables import OutboxMessage

    config = parse_config(agent_settings(url, smtp.port, cache_dir, portal=portal, sms=sms))
    os.environ.update(agent_env(portal, sms))
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


def _halves(elapsed: float) -> tuple[float, float]:
    """Seconds the attached half took from the start, and the secure half after it (sent times)."""
    from models.core.enums import PinMode
    from models.messaging.tables import OutboxMessage

    def last(*condition: object) -> datetime:
        query = OutboxMessage.select(OutboxMessage.sent_at).where(*condition)
        sent_at: datetime = query.order_by(OutboxMessage.sent_at.desc()).get().sent_at
        return sent_at

    attached_end = last(OutboxMessage.pin_mode != PinMode.SMS)
    secure_end = last(OutboxMessage.pin_mode == PinMode.SMS)
    secure_seconds = (secure_end - attached_end).total_seconds()
    return elapsed - secure_seconds, secure_seconds


def run(count: int = 2000) -> list[Result]:
    from models.database.db import close_database

    secure = count // 2
    work = scratch("drain")
    with SinkSmtp() as smtp, SmsGateway() as sms, Portal(work) as portal:
        url = queue_emails(work, count, secure=secure)
        warm_pdf_cache(work / "cache")
        built, flat = _prepared(count, work / "cache")
        plain = asyncio.run(_plain_loop(smtp.port, built))
        plain_bytes = asyncio.run(_plain_loop(smtp.port, flat))
        pdf = next((work / "cache").glob("*.pdf")).read_bytes()
        ceiling = secure_ceiling(portal, sms, smtp, flat[count - secure :], pdf)
        warm = _drain(url, smtp, portal, sms, work / "cache", warm=True)
        attached_seconds, secure_seconds = _halves(warm)
        close_database()
        # every PDF rendered during the drain: a tenth as many messages, each a different invoice
        cold_count = max(count // 10, 20)
        cold_work = scratch("drain-cold")
        url = queue_emails(cold_work, cold_count, invoices=cold_count, secure=cold_count // 2)
        cold = _drain(url, smtp, portal, sms, cold_work / "cache", warm=False)
        close_database()
    plain_rate = count / plain
    return [
        ratio_row(
            "drain",
            f"{count} emails/s, half secure (portal + SMS PIN), PDFs rendered ahead",
            count / warm,
            plain_rate,
            "msg/s",
            at_least=0.7,
        ),
        ratio_row(
            "drain",
            f"  of which {count - secure} attached",
            (count - secure) / attached_seconds,
            plain_rate,
            "msg/s",
        ),
        ratio_row(
            "drain",
            f"  of which {secure} secure (portal + SMS)",
            secure / secure_seconds,
            plain_rate,
            "msg/s",
        ),
        ratio_row(
            "drain",
            "  the secure half vs what its 3 servers take from a bare client",
            secure / secure_seconds,
            ceiling,
            "msg/s",
        ),
        ratio_row(
            "drain",
            "  both halves vs a plain loop sending bytes already flattened",
            count / warm,
            count / plain_bytes,
            "msg/s",
        ),
        ratio_row(
            "drain",
            f"{cold_count} emails/s, half secure, each PDF rendered during the drain",
            cold_count / cold,
            plain_rate,
            "msg/s",
        ),
    ]

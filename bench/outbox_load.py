"""A clinic database with a queue of invoice emails, and the agent's config, for the drain benchmarks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.common import Portal, SmsGateway, demo_database

PORTAL_TOKEN_ENV = "FACTEUR_BENCH_PORTAL_TOKEN"  # noqa: S105 (variables' names)
SMS_TOKEN_ENV = "FACTEUR_BENCH_SMS_TOKEN"  # noqa: S105


def queue_emails(
    folder: Path, count: int, *, invoices: int = 200, attach: bool = True, secure: int = 0
) -> str:
    """``count`` pending invoice emails over ``invoices`` different billed invoices; returns the URL.

    The first ``count - secure`` carry the PDF attached (or nothing, without ``attach``); the last
    ``secure`` are secure links with an SMS PIN (published to the portal, the PIN texted)."""
    from models.billing.invoice import Invoice
    from models.core.enums import InvoiceStatus, PinMode
    from models.database.db import db
    from models.messaging.secure_link import new_token
    from models.messaging.tables import OutboxMessage

    url = demo_database(folder, patients=100, invoices=invoices * 2)
    billed = [
        invoice.id
        for invoice in Invoice.select(Invoice.id)
        .where(Invoice.status.in_([InvoiceStatus.BILLED, InvoiceStatus.PAID]))
        .order_by(Invoice.id)
        .limit(invoices)
    ]

    def row(n: int) -> dict[str, Any]:
        # every row has the same keys: insert_many takes its columns from the first one
        invoice = n % len(billed)
        common = {
            "kind": "invoice",
            "invoice": billed[invoice],
            "recipient_email": f"patient{n}@example.org",
            "language": "fr" if invoice % 3 else "en",  # one language per invoice: one PDF to render
        }
        if n < count - secure:
            return {
                **common,
                "attach_pdf": attach,
                "pin_mode": PinMode.NONE.value,
                "recipient_phone": None,
                "link_token": None,
                "personal_message": "Vous trouverez ci-joint votre facture.",
            }
        return {
            **common,
            "attach_pdf": False,
            "pin_mode": PinMode.SMS.value,
            "recipient_phone": f"+1514555{n % 10_000:04d}",
            "link_token": new_token(),
            "personal_message": "Votre facture vous attend sur notre portail sécurisé.",
        }

    rows = [row(n) for n in range(count)]
    with db.atomic():
        for start in range(0, len(rows), 500):
            OutboxMessage.insert_many(rows[start : start + 500]).execute()
    return url


def warm_pdf_cache(cache_dir: Path, limit: int | None = None) -> None:
    """Render the queued messages' PDFs into ``cache_dir`` ahead of a drain (the first ``limit``)."""
    from bench.pdf_batch import render_many
    from models.database.base import fk_id
    from models.messaging.tables import OutboxMessage

    query = OutboxMessage.select(OutboxMessage.invoice, OutboxMessage.language)
    keys = sorted({(int(fk_id(message, "invoice")), str(message.language)) for message in query})
    render_many(keys[:limit], workers=2, cache_dir=cache_dir)


def agent_settings(
    url: str,
    smtp_port: int,
    cache_dir: Path,
    *,
    concurrency: int = 8,
    portal: Portal | None = None,
    sms: SmsGateway | None = None,
) -> dict[str, Any]:
    """What a benchmark's agent reads: SMTP on loopback without TLS, the portal and the SMS gateway
    (tokens in ``PORTAL_TOKEN_ENV`` and ``SMS_TOKEN_ENV``: see ``agent_env``)."""
    settings: dict[str, Any] = {
        "database": {"url": url},
        "email": {
            "backend": "smtp",
            "host": "127.0.0.1",
            "port": smtp_port,
            "security": "none",
            "from_address": "facturation@clinique.example",
        },
        "agent": {"concurrency": concurrency, "cache_dir": str(cache_dir)},
        "locales": {"watch": False},
    }
    if portal is not None:
        settings["portal"] = {"url": portal.url, "token_env": PORTAL_TOKEN_ENV}
    if sms is not None:
        settings["sms"] = {
            "backend": "http",
            "url": sms.url,
            "token_env": SMS_TOKEN_ENV,
            "sender": "Clinique",
        }
    return settings


def agent_env(portal: Portal | None = None, sms: SmsGateway | None = None) -> dict[str, str]:
    """The secrets ``agent_settings`` names, for the agent's environment."""
    env = {PORTAL_TOKEN_ENV: portal.token} if portal is not None else {}
    if sms is not None:
        env[SMS_TOKEN_ENV] = sms.token
    return env


def agent_config_text(
    url: str,
    smtp_port: int,
    cache_dir: Path,
    *,
    concurrency: int = 8,
    portal: Portal | None = None,
    sms: SmsGateway | None = None,
) -> str:
    """``agent_settings`` as the TOML a real ``facteur agent`` reads."""
    return settings_toml(
        agent_settings(url, smtp_port, cache_dir, concurrency=concurrency, portal=portal, sms=sms)
    )


def settings_toml(settings: dict[str, Any]) -> str:
    """Settings (one table of plain values per section) as TOML."""
    lines = []
    for table, values in settings.items():
        lines.append(f"[{table}]")
        for key, value in values.items():
            lines.append(f"{key} = {_toml(value)}")
    return "\n".join(lines) + "\n"


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'

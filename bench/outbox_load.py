"""A clinic database with a queue of invoice emails, and the agent's config, for the drain benchmarks."""

from __future__ import annotations

from pathlib import Path

from bench.common import demo_database


def queue_emails(folder: Path, count: int, *, invoices: int = 200, attach: bool = True) -> str:
    """``count`` pending invoice emails over ``invoices`` different billed invoices; returns the URL."""
    from models.db import db
    from models.enums import InvoiceStatus
    from models.invoice import Invoice
    from models.messaging import OutboxMessage

    url = demo_database(folder, patients=100, invoices=invoices * 2)
    billed = [
        invoice.id
        for invoice in Invoice.select(Invoice.id)
        .where(Invoice.status.in_([InvoiceStatus.BILLED, InvoiceStatus.PAID]))
        .order_by(Invoice.id)
        .limit(invoices)
    ]
    rows = [
        {
            "kind": "invoice",
            "invoice": billed[n % len(billed)],
            "recipient_email": f"patient{n}@example.org",
            "language": "fr" if n % 3 else "en",
            "attach_pdf": attach,
            "personal_message": "Vous trouverez ci-joint votre facture.",
        }
        for n in range(count)
    ]
    with db.atomic():
        for start in range(0, len(rows), 500):
            OutboxMessage.insert_many(rows[start : start + 500]).execute()
    return url


def warm_pdf_cache(cache_dir: Path, limit: int | None = None) -> None:
    """Render the queued messages' PDFs into ``cache_dir`` ahead of a drain (the first ``limit``)."""
    from agent.pdf import render_many
    from models.messaging import OutboxMessage

    query = OutboxMessage.select(OutboxMessage.invoice, OutboxMessage.language)
    keys = sorted({(message.invoice_id, message.language) for message in query})
    render_many(keys[:limit], workers=2, cache_dir=cache_dir)


def agent_config_text(url: str, smtp_port: int, cache_dir: Path, *, concurrency: int = 8) -> str:
    """The TOML a real ``facteur agent`` reads for a benchmark: SMTP on loopback, no TLS."""
    return (
        f'[database]\nurl = "{url}"\n'
        f'[email]\nbackend = "smtp"\nhost = "127.0.0.1"\nport = {smtp_port}\nsecurity = "none"\n'
        f'from_address = "facturation@clinique.example"\n'
        f'[agent]\nconcurrency = {concurrency}\ncache_dir = "{cache_dir}"\n'
        f"[locales]\nwatch = false\n"
    )

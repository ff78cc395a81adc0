"""How many messages per second the agent delivers to aiosmtpd on loopback.

    .venv/bin/python bench/agent_smtp.py [--messages 2000] [--concurrency 4] [--pdf]

A temp SQLite database (WAL, synchronous=FULL, as in production), one billed invoice,
N outbox messages, then one ``Agent.run(once=True)`` timed from the first claim to
the last outcome written. The server (aiosmtpd's Sink) runs in its own process.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agent.pdf import InvoicePdfs
from agent.service import build_agent
from models.clinic import BillingCompany, Clinic
from models.config import parse_config
from models.db import db, open_database
from models.messaging import OutboxMessage
from models.schema import ensure_schema
from tests.agent.smtp_server import free_port
from tests.outbox_helpers import billed_invoice


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument(
        "--pdf",
        action="store_true",
        help="attach the invoice PDF to each message (rendered once, then from the cache)",
    )
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    database = open_database(f"sqlite:///{folder / 'bench.db'}")
    ensure_schema(database)
    clinic = Clinic.create(name="Clinique du Parc")
    company = BillingCompany.create(clinic=clinic, name="Clinique du Parc inc.", number_prefix="CDP")
    invoice = billed_invoice(company)
    rows = [
        {
            "kind": "invoice",
            "invoice": invoice.id,
            "recipient_email": f"p{n}@example.org",
            "language": "fr",
            "attach_pdf": args.pdf,
            "personal_message": "Bonjour",
        }
        for n in range(args.messages)
    ]
    with db.atomic():
        for start in range(0, len(rows), 500):
            OutboxMessage.insert_many(rows[start : start + 500]).execute()
    port = free_port()
    # the server in its own process, as a real one would be: it does not share the agent's GIL
    server = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}", "-c", "aiosmtpd.handlers.Sink"]
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.05)
    config = parse_config(
        {
            "email": {"backend": "smtp", "host": "127.0.0.1", "port": port, "security": "none"},
            "agent": {"concurrency": args.concurrency},
            "locales": {"watch": False},
        }
    )
    agent = build_agent(config, pdfs=InvoicePdfs(folder / "pdf-cache"))
    started = time.perf_counter()
    asyncio.run(agent.run(once=True))
    elapsed = time.perf_counter() - started
    server.terminate()
    server.wait()
    sent = OutboxMessage.select().where(OutboxMessage.status == "sent").count()
    print(
        f"{sent} of {args.messages} sent in {elapsed:.2f} s, "
        f"concurrency {args.concurrency}: {sent / elapsed:.0f} messages/s"
    )


if __name__ == "__main__":
    main()

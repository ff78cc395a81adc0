"""End to end, as staff run it: ``facteur invoice send`` then ``facteur agent --once`` against aiosmtpd."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import peewee

from models.messaging.tables import OutboxMessage
from models.people.patient import Patient
from testbed.invoices import billed_invoice
from tests.agent.conftest import pdf_text
from tests.agent.process_helpers import start_agent, write_config
from tests.agent.smtp_server import SmtpServer
from tests.conftest import Setup


def facteur(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FACTEUR_CONFIG": str(config), "FACTEUR_LANG": "en"}
    command = [str(Path(sys.executable).parent / "facteur"), *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)


def test_send_then_agent_once_delivers_the_rendered_invoice(
    setup: Setup, database: peewee.Database, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    invoice = billed_invoice(setup.company, price_cents=12345)
    Patient.update(consent_email_attachments=True).where(Patient.id == invoice.patient_id).execute()  # type: ignore[attr-defined]
    config = write_config(tmp_path, database, smtp_server.port)

    # the PDF attached: the patient consented (secure links: tests/agent/test_secure_delivery.py)
    sent = facteur(
        config, "invoice", "send", invoice.number, "--email", "marie@example.org", "--pin-mode", "none"
    )
    assert sent.returncode == 0, sent.stderr
    assert smtp_server.handler.received == []  # queued only: the agent delivers

    agent = start_agent(config, "--once")
    _, err = agent.communicate(timeout=60)
    assert agent.returncode == 0, err

    (received,) = smtp_server.handler.received
    assert received.envelope_to == ["marie@example.org"]
    (attachment,) = list(received.email.iter_attachments())
    assert attachment.get_filename() == f"facture-{invoice.number}.pdf"
    text = pdf_text(attachment.get_content())
    assert invoice.number in text
    assert "Marie Tremblay" in text
    assert "123,45" in text  # the total, in French
    (message,) = OutboxMessage.select()
    assert (message.status, message.message_id) == ("sent", received.message_id)

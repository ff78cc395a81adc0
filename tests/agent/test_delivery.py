"""The agent against aiosmtpd on loopback: accepted, 4xx retried, 5xx failed, disconnects, offline."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from agent.pdf import InvoicePdfs
from agent.service import build_agent
from models.core.enums import ConsentChannel, ConsentMethod, OutboxStatus
from models.messaging.tables import Notification, OutboxMessage, Transmission
from models.people.clinic import Staff
from models.people.consent import record_consent
from models.workflow.sending import enqueue_invoice_email
from testbed.invoices import billed_invoice
from tests.agent.conftest import agent_config, pdf_text
from tests.agent.smtp_server import SmtpServer
from tests.conftest import Setup


def queue(setup: Setup, *, staff: Staff | None = None, **kwargs: object) -> OutboxMessage:
    invoice = billed_invoice(setup.company, created_by=staff)
    return enqueue_invoice_email(invoice, staff=staff, **kwargs)  # type: ignore[arg-type]


def reload(message: OutboxMessage) -> OutboxMessage:
    return OutboxMessage.get_by_id(message.id)


def attempts_of(message: OutboxMessage) -> list[Transmission]:
    return list(Transmission.select().where(Transmission.message == message.id).order_by(Transmission.id))


def real_pdfs(tmp_path: Path) -> InvoicePdfs:
    """The real renderer, its cache in the test's folder (one render per invoice across drains)."""
    return InvoicePdfs(tmp_path / "pdf-cache")


async def drain(tmp_path: Path, port: int, **agent: object) -> bool:
    return await build_agent(agent_config(port, tmp_path, **agent), pdfs=real_pdfs(tmp_path)).run(once=True)


async def test_accepted(setup: Setup, smtp_server: SmtpServer, tmp_path: Path) -> None:
    staff = setup.provider
    message = queue(setup, staff=staff, message="Bonne journée !")
    assert await drain(tmp_path, smtp_server.port) is True
    (received,) = smtp_server.handler.received
    sent = reload(message)
    assert sent.status == OutboxStatus.SENT and sent.sent_at is not None
    assert sent.personal_message is None  # dropped once sent
    assert sent.message_id == received.message_id
    email = received.email
    assert email["Subject"] == setup.clinic.name
    assert email["From"] == f"{staff.display_name} <facturation@clinique.example>"
    assert received.envelope_to == ["marie.tremblay@example.org"]
    body = email.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Bonne journée !" in body
    (attachment,) = list(email.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content().startswith(b"%PDF-")
    text = pdf_text(attachment.get_content())
    invoice = sent.invoice
    assert invoice.number in text and "Marie Tremblay" in text  # the real invoice, rendered
    assert attachment.get_filename() == f"facture-{invoice.number}.pdf"
    (row,) = attempts_of(message)
    assert (row.channel, row.status, row.reply_code, row.provider_id) == (
        "email",
        "sent",
        "250",
        sent.message_id,
    )
    assert "Bonne journée" not in (row.detail or "")  # never the content


@pytest.mark.parametrize(
    "mode",
    ["rcpt:450", "rcpt:451", "rcpt:452", "data:451", "data:452", "drop"],  # 421: test_pacing
)
async def test_transient_replies_retry_with_backoff(
    setup: Setup, smtp_server: SmtpServer, tmp_path: Path, mode: str
) -> None:
    message = queue(setup)
    smtp_server.handler.script(mode)
    before = time.time()
    await drain(tmp_path, smtp_server.port, retry_base_seconds=0.3, retry_cap_seconds=1)
    deferred = reload(message)
    assert deferred.status == OutboxStatus.PENDING and deferred.attempts == 1
    (row,) = attempts_of(message)
    backoff = (deferred.next_attempt_at - row.created_at).total_seconds()
    assert 0.2 <= backoff <= 0.5, backoff  # the 0.3 s base, jittered by ±20 %, from the attempt
    wait = deferred.next_attempt_at.timestamp() - before
    assert row.status == "deferred"
    if mode != "drop":
        assert row.reply_code == mode.split(":")[1] and row.detail.startswith(row.reply_code)
    await asyncio.sleep(wait + 0.1)
    await drain(tmp_path, smtp_server.port)
    assert reload(message).status == OutboxStatus.SENT
    assert [r.status for r in attempts_of(message)] == ["deferred", "sent"]
    assert len(smtp_server.handler.received) == 1


@pytest.mark.parametrize("mode", ["rcpt:550", "rcpt:553", "data:554"])
async def test_permanent_replies_fail_at_once_and_notify(
    setup: Setup, smtp_server: SmtpServer, tmp_path: Path, mode: str
) -> None:
    staff = setup.provider
    message = queue(setup, staff=staff)
    smtp_server.handler.script(mode)
    await drain(tmp_path, smtp_server.port)
    failed = reload(message)
    assert failed.status == OutboxStatus.FAILED and failed.attempts == 1
    code = mode.split(":")[1]
    assert failed.last_error.startswith(code) and not failed.last_error.startswith(f"{code} {code}")
    (row,) = attempts_of(message)
    assert (row.status, row.reply_code) == ("failed", mode.split(":")[1])
    (notice,) = Notification.select().where(Notification.staff == staff.id)
    assert notice.kind == "delivery_failed" and '"recipient": "marie.tremblay@example.org"' in notice.params


@pytest.mark.parametrize("address", ["not an address", "marié@exemple.ca"])  # SMTP takes ASCII only
async def test_invalid_address_fails_without_a_connection(
    setup: Setup, smtp_server: SmtpServer, tmp_path: Path, address: str
) -> None:
    message = queue(setup)
    OutboxMessage.update(recipient_email=address).where(OutboxMessage.id == message.id).execute()
    await drain(tmp_path, smtp_server.port)
    failed = reload(message)
    assert failed.status == OutboxStatus.FAILED
    # no server said anything: Facteur's reason is kept in the clinic's language (French by default)
    assert failed.last_error == f"adresse de destinataire invalide : {address}"
    assert smtp_server.handler.connections == 0


async def test_timeout_after_data_is_unknown_and_retried_with_the_same_message_id(
    setup: Setup, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    message = queue(setup)
    smtp_server.handler.script("stall")
    await drain(tmp_path, smtp_server.port)
    unknown = reload(message)
    assert unknown.status == OutboxStatus.PENDING
    assert [r.status for r in attempts_of(message)] == ["unknown"]
    await asyncio.sleep(0.3)
    await drain(tmp_path, smtp_server.port)
    assert reload(message).status == OutboxStatus.SENT
    first, second = smtp_server.wait_for(2)
    assert first.message_id == second.message_id == unknown.message_id


async def test_server_down_is_offline_without_spending_attempts(
    setup: Setup, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    from models.messaging.agent_state import AgentHeartbeat

    messages = [queue(setup) for _ in range(3)]
    smtp_server.stop()
    config = agent_config(smtp_server.port, tmp_path)
    agent = build_agent(config, pdfs=real_pdfs(tmp_path))
    assert await agent.run(once=True) is False  # --once while offline: nothing sent
    for message in messages:
        waiting = reload(message)
        assert (waiting.status, waiting.attempts) == (OutboxStatus.PENDING, 0)
        assert attempts_of(message) == []
    (beat,) = AgentHeartbeat.select()
    assert beat.online is False

    # the service keeps probing and delivers when the server is back
    agent = build_agent(config, pdfs=real_pdfs(tmp_path))
    agent.online = False
    running = asyncio.create_task(agent.run())
    await asyncio.sleep(0.5)
    assert all(reload(m).status == OutboxStatus.PENDING for m in messages)
    smtp_server.start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not all(reload(m).status == OutboxStatus.SENT for m in messages):
        await asyncio.sleep(0.05)
    agent.stop()
    await running
    assert [reload(m).attempts for m in messages] == [1, 1, 1]
    assert len(smtp_server.handler.received) == 3


async def test_a_message_picked_up_within_two_seconds(
    setup: Setup, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    pdfs = real_pdfs(tmp_path)
    invoice = billed_invoice(setup.company)
    pdfs.get(invoice, "fr")  # rendered beforehand: this measures the pick-up, not WeasyPrint's start
    agent = build_agent(agent_config(smtp_server.port, tmp_path, poll_seconds=1.0), pdfs=pdfs)
    running = asyncio.create_task(agent.run())
    await asyncio.sleep(0.3)
    queued_at = time.monotonic()
    message = enqueue_invoice_email(invoice)
    while reload(message).status != OutboxStatus.SENT and time.monotonic() - queued_at < 5:
        await asyncio.sleep(0.02)
    picked = time.monotonic() - queued_at
    agent.stop()
    await running
    assert picked < 2.0, picked


async def test_a_bad_message_does_not_stop_the_loop(
    setup: Setup, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    class BrokenPdfs(InvoicePdfs):
        def get(self, invoice, language):  # type: ignore[no-untyped-def]
            if invoice.total_cents == 1:
                raise RuntimeError("renderer bug")
            return super().get(invoice, language)

    bad = enqueue_invoice_email(billed_invoice(setup.company, price_cents=1))
    good = queue(setup)
    await build_agent(agent_config(smtp_server.port, tmp_path), pdfs=BrokenPdfs(tmp_path / "pdf-cache")).run(
        once=True
    )
    assert reload(bad).status == OutboxStatus.FAILED
    assert "renderer bug" in reload(bad).last_error
    assert reload(good).status == OutboxStatus.SENT


async def test_reused_connections(setup: Setup, smtp_server: SmtpServer, tmp_path: Path) -> None:
    invoice = billed_invoice(setup.company)
    for _ in range(10):  # one invoice: one render, ten messages
        enqueue_invoice_email(invoice)
    await drain(tmp_path, smtp_server.port, concurrency=2)
    assert len(smtp_server.handler.received) == 10
    assert smtp_server.handler.connections <= 2


async def test_a_database_error_does_not_stop_the_loop(
    setup: Setup, smtp_server: SmtpServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import peewee

    from models.messaging import outbox as rules

    real = rules.due_exists
    failures = iter([True, True])

    def locked_twice(now=None):  # type: ignore[no-untyped-def]
        if next(failures, False):
            raise peewee.OperationalError("database is locked")
        return real(now)

    monkeypatch.setattr(rules, "due_exists", locked_twice)
    message = queue(setup)
    assert await drain(tmp_path, smtp_server.port) is True
    assert reload(message).status == OutboxStatus.SENT


async def test_a_patient_who_withdrew_email_after_it_was_queued_gets_none(
    setup: Setup, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    """The agent honours the consent as it is when it sends: that message fails alone, saying why;
    the next patient's goes."""
    withdrawn, other = queue(setup), queue(setup)
    patient = OutboxMessage.get_by_id(withdrawn.id).invoice.patient
    record_consent(patient.id, ConsentChannel.EMAIL, False, ConsentMethod.PHONE, staff=None)
    await drain(tmp_path, smtp_server.port)
    failed = reload(withdrawn)
    assert failed.status == OutboxStatus.FAILED
    assert failed.last_error == (
        "Marie Tremblay a retiré son consentement au courriel : imprimez plutôt la facture ou "
        "remettez-la en main propre"
    )
    assert reload(other).status == OutboxStatus.SENT and len(smtp_server.handler.received) == 1

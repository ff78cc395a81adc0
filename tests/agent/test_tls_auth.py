"""SMTP security: STARTTLS and implicit TLS with a certificate the client checks, and authentication."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword

from agent.pdf import InvoicePdfs
from agent.service import build_agent
from models.core.config import parse_config
from models.messaging.tables import OutboxMessage
from models.workflow.sending import enqueue_invoice_email
from testbed.invoices import billed_invoice
from tests.agent.certificates import self_signed, server_context
from tests.agent.smtp_server import SmtpServer
from tests.conftest import Setup

PASSWORD = "s3cret-Pa55"


@pytest.fixture
def certificate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, trusted by the client through SSL_CERT_FILE."""
    cert_file, key_file = self_signed(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_file))
    return cert_file, key_file


def authenticator(server, session, envelope, mechanism, auth_data):  # type: ignore[no-untyped-def]
    ok = isinstance(auth_data, LoginPassword) and auth_data.password == PASSWORD.encode()
    return AuthResult(success=ok)


@pytest.fixture
def starttls_server(certificate: tuple[Path, Path]) -> Iterator[SmtpServer]:
    server = SmtpServer(
        tls_context=server_context(certificate),
        require_starttls=True,
        authenticator=authenticator,
        auth_require_tls=True,
    ).start()
    yield server
    server.stop()


def config(tmp_path: Path, port: int, security: str, **email: object):  # type: ignore[no-untyped-def]
    email = {"timeout": 5, **email}
    return parse_config(
        {
            "email": {
                "backend": "smtp",
                "host": "127.0.0.1",
                "port": port,
                "security": security,
                "timeout": 5,
                **email,
            },
            "agent": {"retry_base_seconds": 0.05, "offline_probe_max_seconds": 0.2},
            "locales": {"watch": False},
        },
        tmp_path / "f.toml",
    )


async def test_starttls_with_authentication(
    setup: Setup, starttls_server: SmtpServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FACTEUR_SMTP_PASSWORD", PASSWORD)
    message = enqueue_invoice_email(billed_invoice(setup.company))
    settings = config(
        tmp_path, starttls_server.port, "starttls", username="clinic", password_env="FACTEUR_SMTP_PASSWORD"
    )
    assert await build_agent(settings, pdfs=InvoicePdfs(tmp_path / "pdf-cache")).run(once=True) is True
    assert OutboxMessage.get_by_id(message.id).status == "sent"
    assert len(starttls_server.handler.received) == 1


async def test_a_wrong_password_is_offline_and_never_logged(
    setup: Setup,
    starttls_server: SmtpServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("FACTEUR_SMTP_PASSWORD", "wrong-" + PASSWORD)
    message = enqueue_invoice_email(billed_invoice(setup.company))
    # aiosmtpd answers a refused AUTH PLAIN with silence (real servers say 535): a short timeout
    settings = config(
        tmp_path,
        starttls_server.port,
        "starttls",
        username="clinic",
        password_env="FACTEUR_SMTP_PASSWORD",
        timeout=1,
    )
    with caplog.at_level(logging.DEBUG, logger="facteur"):
        assert await build_agent(settings, pdfs=InvoicePdfs(tmp_path / "pdf-cache")).run(once=True) is False
    waiting = OutboxMessage.get_by_id(message.id)
    assert (waiting.status, waiting.attempts) == ("pending", 0)
    assert "hors ligne" in caplog.text and "impossible de joindre le serveur SMTP" in caplog.text
    assert PASSWORD not in caplog.text


async def test_plain_connection_refused_by_a_server_requiring_starttls(
    setup: Setup, starttls_server: SmtpServer, tmp_path: Path
) -> None:
    message = enqueue_invoice_email(billed_invoice(setup.company))
    await build_agent(
        config(tmp_path, starttls_server.port, "none"), pdfs=InvoicePdfs(tmp_path / "pdf-cache")
    ).run(once=True)
    assert OutboxMessage.get_by_id(message.id).status != "sent"
    assert starttls_server.handler.received == []


async def test_implicit_tls(setup: Setup, certificate: tuple[Path, Path], tmp_path: Path) -> None:
    server = SmtpServer(ssl_context=server_context(certificate)).start()
    try:
        message = enqueue_invoice_email(billed_invoice(setup.company))
        assert (
            await build_agent(
                config(tmp_path, server.port, "tls"), pdfs=InvoicePdfs(tmp_path / "pdf-cache")
            ).run(once=True)
            is True
        )
        assert OutboxMessage.get_by_id(message.id).status == "sent"
    finally:
        server.stop()

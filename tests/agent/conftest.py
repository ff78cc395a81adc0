"""Agent fixtures: aiosmtpd on loopback, a config pointing at it, the PDF renderer with its cache."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from agent.pdf import InvoicePdfs
from models.core.config import Config, parse_config
from testbed.sms_gateway import SmsGateway
from tests.agent.smtp_server import SmtpServer
from tests.portal.conftest import portal, start_portal  # noqa: F401 (the real portal, for PortalClient)


@pytest.fixture(autouse=True)
def _fonts_stamped_alike(monkeypatch: pytest.MonkeyPatch) -> None:
    """fontTools stamps each embedded font subset with the current second (its ``head.modified``):
    two renders of one page a second apart differ in bytes. Tests that compare bytes fix the stamp
    (fontTools reads ``SOURCE_DATE_EPOCH``, as reproducible builds do); render processes inherit it."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")


@pytest.fixture
def pdfs(tmp_path: Path) -> InvoicePdfs:
    """The real renderer with a cache of its own: each invoice is rendered once per test."""
    return InvoicePdfs(tmp_path / "pdf-cache")


def pdf_text(data: bytes) -> str:
    """The text of every page of a PDF (pypdf), to check what a patient receives."""
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


def agent_config(port: int, tmp_path: Path, **agent: Any) -> Config:
    """SMTP to 127.0.0.1:``port`` without TLS, with short timeouts and backoff for tests."""
    settings = {
        "poll_seconds": 0.2,
        "concurrency": 2,
        "retry_base_seconds": 0.05,
        "retry_cap_seconds": 0.2,
        "offline_probe_max_seconds": 0.2,
        "lease_seconds": 30.0,
        **agent,
    }
    return parse_config(
        {
            "email": {
                "backend": "smtp",
                "host": "127.0.0.1",
                "port": port,
                "security": "none",
                "timeout": 1,
                "from_address": "facturation@clinique.example",
            },
            "agent": settings,
            "locales": {"watch": False},
        },
        tmp_path / "facteur.toml",
    )


@pytest.fixture
def sms_gateway() -> Iterator[SmsGateway]:
    """The fake SMS gateway on loopback (testbed/sms_gateway.py)."""
    gateway = SmsGateway().start()
    yield gateway
    gateway.stop()

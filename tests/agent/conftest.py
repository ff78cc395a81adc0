"""Agent fixtures: an aiosmtpd server on loopback, a config pointing at it, a small PDF provider."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from models.config import Config, parse_config
from models.invoice import Invoice
from tests.agent.smtp_server import SmtpServer


def tiny_pdf(text: str) -> bytes:
    """A valid one-page PDF showing ``text`` (stands in until the ``agent.pdf`` renderer is merged)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


class TinyPdfs:
    """A ``PdfProvider`` for the tests: the invoice number in a valid PDF."""

    def __init__(self) -> None:
        self.calls = 0

    def get(self, invoice: Invoice, language: str) -> bytes:
        self.calls += 1
        return tiny_pdf(f"{invoice.number} {language}")

    def filename(self, invoice: Invoice, language: str) -> str:
        return f"{invoice.number}.pdf"


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

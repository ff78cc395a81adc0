"""What the agent needs from the invoice PDF renderer (``agent.pdf.InvoicePdfs`` satisfies it)."""

from __future__ import annotations

from typing import Protocol

from models.invoice import Invoice


class PdfProvider(Protocol):
    """Renders (or returns from its cache) an invoice's PDF in a language."""

    def get(self, invoice: Invoice, language: str) -> bytes: ...

    def filename(self, invoice: Invoice, language: str) -> str: ...

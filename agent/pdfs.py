"""What the agent needs from the invoice PDF renderer (``agent.pdf.InvoicePdfs`` satisfies it), and
what a renderer that works ahead offers besides (``agent.render_pool.RenderPool``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, runtime_checkable

from models.billing.invoice import Invoice


class PdfProvider(Protocol):
    """Renders (or returns from its cache) an invoice's PDF in a language."""

    def get(self, invoice: Invoice, language: str) -> bytes: ...

    def filename(self, invoice: Invoice, language: str) -> str: ...


@runtime_checkable
class PdfPrefetcher(Protocol):
    """A provider that renders ahead and holds helpers (``agent.render_pool.RenderPool``)."""

    def prepare(self, items: Iterable[tuple[Invoice, str]]) -> dict[tuple[int, str], bytes]:
        """The PDFs of these (invoice, language) already rendered, by (invoice id, language); the
        others start rendering now. Returns at once."""

    def keep_one_ready(self) -> None:
        """Keep a helper started from now on, so a lone render does not wait for one to start."""

    def trim(self) -> None:
        """Release what an idle provider holds (but the helper kept ready)."""

    def close(self) -> None: ...

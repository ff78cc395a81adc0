"""``InvoicePdfs``: invoice PDFs rendered once per invoice version and language, kept on disk.

A file's name holds the invoice id, its version, the language, the wording
fingerprint (template, stylesheet, catalog text) and a digest of the clinic,
company, patient and provider names it prints, so a payment, a reworded label,
an upgraded template or a renamed clinic re-renders; a hit costs a few reads.
Invoices are health data: the folder is 0700, the files 0600, written to a
temporary file and renamed, so two processes rendering the same invoice at
once both succeed and a reader never sees half a file.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from pathlib import Path

from agent.pdf.document import invoice_translator, related_digest
from agent.pdf.render import render_invoice_pdf, wording_fingerprint
from locales import N_
from models.billing.invoice import Invoice
from models.core.enums import InvoiceStatus

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_NAME = re.compile(r"^(?P<id>\d+)-v(?P<version>\d+)-(?P<lang>[a-z]{2})-(?P<fp>[0-9a-f]+)\.pdf$")


def write_private(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` atomically, readable by its owner only from the first byte.

    A temporary file beside ``target`` (``mkstemp`` creates it 0600) is renamed over it:
    readers see the old file or the new one, never half of one.
    """
    handle, temporary = tempfile.mkstemp(prefix=".tmp-", suffix=".pdf", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        Path(temporary).replace(target)
    except BaseException:
        with contextlib.suppress(OSError):
            Path(temporary).unlink()
        raise


class InvoicePdfs:
    """The PDF cache in ``cache_dir`` (created, owner-only, at first write)."""

    def __init__(self, cache_dir: Path) -> None:
        self.cache_dir = Path(cache_dir)

    def path(self, invoice: Invoice, language: str) -> Path:
        """Where ``invoice``'s PDF in ``language`` is (or will be) cached."""
        lang = invoice_translator(invoice, language).language
        key = f"{wording_fingerprint(lang)}{related_digest(invoice)}"
        return self.cache_dir / f"{invoice.id}-v{invoice.version}-{lang}-{key}.pdf"

    def get(self, invoice: Invoice, language: str) -> bytes:
        """The PDF of ``invoice`` as it is now (its ``version``), rendered at most once."""
        target = self.path(invoice, language)
        try:
            return target.read_bytes()
        except FileNotFoundError:
            pass
        pdf = render_invoice_pdf(invoice, language)
        self._store(target, pdf)
        return pdf

    def filename(self, invoice: Invoice, language: str) -> str:
        """What to call the file for its reader: ``facture-CDP-2026-00001.pdf``, ``invoice-…``."""
        tr = invoice_translator(invoice, language)
        if invoice.number and invoice.status != InvoiceStatus.DRAFT:
            name = tr.format(N_("invoice-{number}.pdf"), number=invoice.number)
        else:
            name = tr.format(N_("invoice-draft-{id}.pdf"), id=invoice.id)
        return _UNSAFE.sub("-", name).strip("-.") or f"{invoice.id}.pdf"

    def _store(self, target: Path, pdf: bytes) -> None:
        self.cache_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        write_private(target, pdf)
        self._prune(target)

    def _prune(self, current: Path) -> None:
        """Drop this invoice's older versions and stale wordings in the same language."""
        mine = _NAME.match(current.name)
        if mine is None:
            return
        for other in self.cache_dir.glob(f"{mine['id']}-v*-{mine['lang']}-*.pdf"):
            theirs = _NAME.match(other.name)
            if theirs is None or other == current or theirs["id"] != mine["id"]:
                continue
            older = int(theirs["version"]) < int(mine["version"])
            reworded = theirs["version"] == mine["version"] and theirs["fp"] != mine["fp"]
            if older or reworded:
                with contextlib.suppress(OSError):
                    other.unlink()

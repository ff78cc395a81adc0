"""``InvoicePdfs``: invoice PDFs rendered once per invoice version and language, kept on disk.

A file's name holds the invoice id, its version, the language, the wording
fingerprint (template, stylesheet, catalog text) and a digest of the clinic,
company, patient and provider names it prints and where its QR code leads, so a
payment, a reworded label, an upgraded template, a renamed clinic or a moved
portal re-renders; a hit costs a few reads.
Invoices are health data: the folder is 0700, the files 0600, written to a
temporary file and renamed, so two processes rendering the same invoice at
once both succeed and a reader never sees half a file.

The folder has a size bound (``[agent] cache_max_mb``): past it, a store drops the least
recently used files (a read touches its file) until the folder is back under 90 % of the bound.
Each process counts what it adds and counts the folder again past the bound or every
``RECOUNT_EVERY`` stores, since the agent and its render processes all write to it.
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


RECOUNT_EVERY = 50
KEEP_SHARE = 0.9  # past the bound, drop the least recently used files down to this share of it
# per process and folder: (bytes the folder held when last counted plus what this process added
# since, stores since that count)
_held: dict[Path, tuple[int, int]] = {}


def read_cached(target: Path) -> bytes:
    """A cached file's bytes (``FileNotFoundError`` when absent), its time touched: used recently."""
    data = target.read_bytes()
    with contextlib.suppress(OSError):
        os.utime(target)
    return data


class InvoicePdfs:
    """The PDF cache in ``cache_dir`` (created, owner-only, at first write), at most ``max_bytes``
    (0: unbounded); ``pay_base``, the portal's address, for the QR code to each invoice's Pay page."""

    def __init__(self, cache_dir: Path, max_bytes: int = 0, *, pay_base: str = "") -> None:
        self.cache_dir = Path(cache_dir)
        self.max_bytes = max_bytes
        self.pay_base = pay_base

    def path(self, invoice: Invoice, language: str) -> Path:
        """Where ``invoice``'s PDF in ``language`` is (or will be) cached."""
        lang = invoice_translator(invoice, language).language
        key = f"{wording_fingerprint(lang)}{related_digest(invoice, self.pay_base)}"
        return self.cache_dir / f"{invoice.id}-v{invoice.version}-{lang}-{key}.pdf"

    def get(self, invoice: Invoice, language: str) -> bytes:
        """The PDF of ``invoice`` as it is now (its ``version``), rendered at most once."""
        target = self.path(invoice, language)
        try:
            return read_cached(target)
        except FileNotFoundError:
            pass
        pdf = render_invoice_pdf(invoice, language, self.pay_base)
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
        if self.max_bytes:
            self._bound(target, len(pdf))

    def _bound(self, current: Path, added: int) -> None:
        """Keep the folder under ``max_bytes``: see the module's docstring."""
        held, stores = _held.get(self.cache_dir, (-1, 0))
        held, stores = held + added, stores + 1
        if held < 0 or held > self.max_bytes or stores >= RECOUNT_EVERY:
            files = []
            for entry in os.scandir(self.cache_dir):
                with contextlib.suppress(OSError):  # removed meanwhile by another process
                    if entry.name.endswith(".pdf") and entry.is_file():
                        stat = entry.stat()
                        files.append((stat.st_mtime, stat.st_size, Path(entry.path)))
            held, stores = sum(size for _, size, _ in files), 0
            if held > self.max_bytes:
                for _, size, path in sorted(files):
                    if held <= self.max_bytes * KEEP_SHARE:
                        break
                    if path == current:
                        continue
                    with contextlib.suppress(FileNotFoundError):
                        path.unlink()
                    held -= size
        _held[self.cache_dir] = (held, stores)

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

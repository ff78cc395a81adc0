"""WeasyPrint kept warm: a thread's renders share one font configuration and the invoice stylesheet,
parsed once.

A plain ``HTML(...).write_pdf()`` builds a new Fontconfig configuration (every system font looked
up again), registers the ``@font-face`` files and parses the stylesheet for every page: about a third
of what an invoice costs. Here each thread keeps them (WeasyPrint's font maps are not for sharing
between threads) until the stylesheet or a font file changes on disk.

The invoice stylesheet is handed to WeasyPrint as a parsed stylesheet of the *user* origin instead of
a ``<style>`` of the page's (author) origin. That gives the same page as long as the page's own
``<style>`` only sets ``@page`` margin-box content (what ``document.html``, the page every document
extends, keeps there: the running header, which changes with each document): the tests compare the
bytes with the plain render's.
WeasyPrint itself is imported at the first render (a second of start-up the TUI does not pay).

Every PDF made here (invoices, PIN slips) is PDF/A-3b and tagged: kept for years by clinics and
read aloud by screen readers. WeasyPrint writes the XMP metadata (the PDF/A identification, the
page's ``<title>``), an sRGB output intent, the structure tree and the document's language (the
page's ``lang``); the fonts are embedded as they always were.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

Stamp = tuple[str, int, int]
PDF_VARIANT = "pdf/a-3b"  # archival (ISO 19005-3, level B), and tagged (``pdf_tags``)


@dataclass(frozen=True)
class _Warm:
    """What a thread keeps between renders, valid while the files it was made from are unchanged."""

    stamps: tuple[Stamp, ...]
    font_config: FontConfiguration
    stylesheet: CSS | None


_local = threading.local()


def write_pdf(
    html: str, base_url: str, *, stylesheet: Path | None = None, fonts: tuple[Path, ...] = ()
) -> bytes:
    """``html`` as PDF bytes; ``stylesheet`` (a file under ``base_url``) applies to it as if it were
    the page's first ``<style>``, parsed once per thread. ``fonts`` are the files its ``@font-face``
    rules load: a change to one starts a new font configuration."""
    from weasyprint import HTML

    warm = _warm(base_url, stylesheet, fonts)
    sheets = [warm.stylesheet] if warm.stylesheet is not None else []
    pdf = HTML(string=html, base_url=base_url).write_pdf(
        font_config=warm.font_config, stylesheets=sheets, pdf_variant=PDF_VARIANT, pdf_tags=True
    )
    assert pdf is not None  # no target given: the bytes are returned
    return pdf


def _warm(base_url: str, stylesheet: Path | None, fonts: tuple[Path, ...]) -> _Warm:
    stamps = tuple(_stamp(path) for path in (*([stylesheet] if stylesheet else []), *fonts))
    kept = _kept()
    key = (base_url, str(stylesheet) if stylesheet else None)
    warm = kept.get(key)
    if warm is None or warm.stamps != stamps:
        from weasyprint import CSS
        from weasyprint.text.fonts import FontConfiguration

        font_config = FontConfiguration()
        parsed = (
            CSS(string=stylesheet.read_text(encoding="utf-8"), base_url=base_url, font_config=font_config)
            if stylesheet
            else None
        )
        warm = kept[key] = _Warm(stamps, font_config, parsed)
    return warm


def _kept() -> dict[tuple[str, str | None], _Warm]:
    """This thread's warm renderers, by base URL and stylesheet."""
    kept: dict[tuple[str, str | None], _Warm] | None = getattr(_local, "kept", None)
    if kept is None:
        kept = _local.kept = {}
    return kept


def _stamp(path: Path) -> Stamp:
    status = path.stat()
    return str(path), status.st_mtime_ns, status.st_size

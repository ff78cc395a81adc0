"""Rendering an invoice: the Jinja2 template to HTML, WeasyPrint to PDF.

WeasyPrint takes about a second to import, so it is imported at the first
render only (``agent.pdf.engine``): importing this module stays cheap for the TUI.
The invoice, credit note and statement templates extend ``document.html`` (the page they
share) and import macros from ``parts.html``. Their words go through the catalogs: they call
``_("…")`` (and ``format("… {x}", x=…)``), which ``make locales-extract`` finds in them.
"""

from __future__ import annotations

import hashlib
import re
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent.pdf.document import InvoiceDocument, build_document
from locales import Translator, translator
from models.billing.invoice import Invoice
from models.core.labels import INVOICE_STATUS, PAYMENT_METHOD

if TYPE_CHECKING:
    import jinja2
    from markupsafe import Markup

TEMPLATES = Path(__file__).resolve().parent / "templates"
TEMPLATE = "invoice.html"
STYLESHEET = "invoice.css"
BASE_URL = TEMPLATES.as_uri() + "/"  # what the page's relative URLs (its fonts) start from
FONTS = ("fonts/DejaVuSansCondensed-Latin.ttf", "fonts/DejaVuSansCondensed-Bold-Latin.ttf")
LAYOUT_VERSION = (
    "4"  # bump when document.py or the engine changes the PDF (2: PDF/A-3b; 3: contact; 4: tax bases)
)


@cache
def _environment() -> jinja2.Environment:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,  # names, descriptions and addresses are typed by people
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_document_html(document: InvoiceDocument, tr: Translator, *, inline_stylesheet: bool = True) -> str:
    """The HTML of an already built document, in ``tr``'s language; without ``inline_stylesheet``
    the page leaves ``invoice.css`` out (``invoice_html_to_pdf`` applies it, parsed once)."""
    return render_page(TEMPLATE, document, tr, inline_stylesheet=inline_stylesheet)


def render_page(template: str, document: object, tr: Translator, *, inline_stylesheet: bool = True) -> str:
    """``template`` (the invoice's, a credit note's, a statement's: each laid out with ``invoice.css``)
    filled with ``document`` in ``tr``'s language."""
    stylesheet = (TEMPLATES / STYLESHEET).read_text(encoding="utf-8") if inline_stylesheet else ""
    return (
        _environment()
        .get_template(template)
        .render(
            doc=document,
            stylesheet=stylesheet,
            _=tr.gettext,
            format=tr.format,
            css_string=css_string,
            page_counter=page_counter,
        )
    )


def css_string(text: str) -> Markup:
    """``text`` as a quoted CSS string safe inside ``<style>``: every character beyond
    plain letters, digits and a few marks is a CSS escape, so no quote or ``</style>`` gets out."""
    from markupsafe import Markup

    safe = "".join(
        ch if ch.isascii() and (ch.isalnum() or ch in " .,-_#") else f"\\{ord(ch):x} " for ch in text
    )
    return Markup(f'"{safe}"')  # noqa: S704 (every character that could close it is escaped above)


def page_counter(text: str) -> Markup:
    """``"Page {page} of {pages}"`` as CSS ``content``: ``"Page " counter(page) " of " counter(pages)``."""
    from markupsafe import Markup

    parts = re.split(r"(\{page\}|\{pages\})", text)
    tokens = [
        {"{page}": "counter(page)", "{pages}": "counter(pages)"}.get(part) or str(css_string(part))
        for part in parts
        if part
    ]
    return Markup(" ".join(tokens))  # noqa: S704 (CSS strings made by css_string, and counters)


def render_invoice_html(invoice: Invoice, language: str, pay_base: str = "") -> str:
    """The invoice as one HTML page in ``language``, its CSS inlined; its fonts are relative
    URLs under ``BASE_URL`` (give it to WeasyPrint as ``base_url``). ``pay_base``: the portal's
    address, for the QR code to the invoice's Pay page (none without it)."""
    document = build_document(invoice, language, pay_base=pay_base)
    return render_document_html(document, translator(document.language))


def html_to_pdf(html: str) -> bytes:
    """A complete page under ``TEMPLATES`` (its styles inside it) as PDF bytes."""
    from agent.pdf.engine import write_pdf

    return write_pdf(html, BASE_URL, fonts=_FONT_PATHS)


def invoice_html_to_pdf(html: str) -> bytes:
    """A page made with ``inline_stylesheet=False`` as PDF bytes, ``invoice.css`` applied to it."""
    from agent.pdf.engine import write_pdf

    return write_pdf(html, BASE_URL, stylesheet=TEMPLATES / STYLESHEET, fonts=_FONT_PATHS)


_FONT_PATHS = tuple(TEMPLATES / name for name in FONTS)


def render_invoice_pdf(invoice: Invoice, language: str, pay_base: str = "") -> bytes:
    """The invoice as PDF bytes in ``language`` (fr or en; another falls back to the clinic's), with
    the QR code to its Pay page under ``pay_base`` (the portal's address), if given."""
    document = build_document(invoice, language, pay_base=pay_base)
    tr = translator(document.language)
    return invoice_html_to_pdf(render_document_html(document, tr, inline_stylesheet=False))


def wording_fingerprint(language: str) -> str:
    """A digest of everything that shapes a PDF besides the invoice's row: the templates (the
    invoice's and those it extends or imports), the stylesheet, this code's layout version and
    the catalog text the templates read in ``language``, so an edited template or a reworded
    label re-renders."""
    tr = translator(language)
    files = (*_template_files(), STYLESHEET, *FONTS)
    digest = hashlib.sha256(_files_digest(*(_stamp(TEMPLATES / name) for name in files)))
    digest.update(LAYOUT_VERSION.encode())
    digest.update(tr.language.encode())
    for msgid in _msgids():
        digest.update(b"\0" + tr.gettext(msgid).encode())
    return digest.hexdigest()[:20]


def _stamp(path: Path) -> tuple[str, int, int]:
    status = path.stat()
    return str(path), status.st_mtime_ns, status.st_size


@lru_cache(maxsize=8)
def _files_digest(*stamps: tuple[str, int, int]) -> bytes:
    """The files' contents hashed once per (mtime, size): a get() costs a few stat calls."""
    digest = hashlib.sha256()
    for path, _, _ in stamps:
        digest.update(Path(path).read_bytes())
    return digest.digest()


@cache
def _template_files() -> tuple[str, ...]:
    """``TEMPLATE`` and every template it extends, includes or imports, and theirs in turn."""
    from jinja2 import meta

    files: list[str] = []
    pending = [TEMPLATE]
    while pending:
        name = pending.pop()
        if name not in files:
            files.append(name)
            pending.extend(ref for ref in meta.find_referenced_templates(_parse(name)) if ref)
    return tuple(files)


def _parse(name: str) -> jinja2.nodes.Template:
    return _environment().parse((TEMPLATES / name).read_text(encoding="utf-8"))


@cache
def _msgids() -> tuple[str, ...]:
    """The msgids the invoice's templates call, and the labels it is given."""
    from jinja2.ext import extract_from_ast

    found: list[Any] = [
        message
        for name in _template_files()
        for _, _, message in extract_from_ast(_parse(name), ("_", "format"))
    ]
    ids = {m if isinstance(m, str) else m[0] for m in found if m}
    ids.update(str(label) for label in (*PAYMENT_METHOD.values(), *INVOICE_STATUS.values()))
    return tuple(sorted(ids))

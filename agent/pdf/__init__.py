"""Invoice PDFs: an HTML/CSS template (Jinja2) rendered by WeasyPrint, cached per invoice version.

``InvoicePdfs(cache_dir).get(invoice, language)`` is what the agent and the TUI
call; ``render_invoice_pdf``/``render_invoice_html`` render without a cache. Importing this package
does not import WeasyPrint (about a second): the first render does.
"""

from agent.pdf.cache import InvoicePdfs
from agent.pdf.document import InvoiceDocument, build_document, invoice_language, page_size
from agent.pdf.render import render_invoice_html, render_invoice_pdf

__all__ = [
    "InvoiceDocument",
    "InvoicePdfs",
    "build_document",
    "invoice_language",
    "page_size",
    "render_invoice_html",
    "render_invoice_pdf",
]

"""PDF: 200 different invoices rendered by Facteur (a process pool) vs a plain one-process WeasyPrint
loop over the same HTML; a cache hit vs a render; the archival, tagged render (PDF/A-3b, what
Facteur prints) vs the same page untagged.

Facteur's renders are cheaper than the plain loop's even in one process (``agent.pdf.engine`` keeps
the font configuration and the parsed stylesheet, which a plain ``write_pdf`` builds for every page):
that row says how much of the pool's figure comes from there rather than from the second core.
"""

from __future__ import annotations

import multiprocessing
import time

from bench.common import Result, ratio_row, scratch


def _spin(_: object = None) -> float:
    started = time.perf_counter()
    total = 0
    for n in range(3_000_000):
        total += n % 7
    return time.perf_counter() - started


def core_headroom() -> float:
    """How much faster two processes run two CPU loops than one: ~2 on two idle cores."""
    alone = _spin() * 2
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        pool.map(_spin, [None, None])
        started = time.perf_counter()
        pool.map(_spin, [None, None])
        together = time.perf_counter() - started
    return alone / together


def _archival_cost(pages: list[str]) -> tuple[float, float]:
    """Seconds for plain WeasyPrint renders of ``pages``, untagged then PDF/A-3b and tagged, alternated
    page by page so a slower moment of the machine weighs on both."""
    from weasyprint import HTML

    from agent.pdf.engine import PDF_VARIANT
    from agent.pdf.render import BASE_URL

    untagged = archival = 0.0
    for page in pages:
        started = time.perf_counter()
        HTML(string=page, base_url=BASE_URL).write_pdf()
        untagged += time.perf_counter() - started
        started = time.perf_counter()
        HTML(string=page, base_url=BASE_URL).write_pdf(pdf_variant=PDF_VARIANT, pdf_tags=True)
        archival += time.perf_counter() - started
    return untagged, archival


def run(count: int = 200) -> list[Result]:
    from weasyprint import HTML

    from agent.pdf import InvoicePdfs, render_invoice_html, render_invoice_pdf
    from agent.pdf.engine import PDF_VARIANT
    from agent.pdf.render import BASE_URL
    from bench.common import demo_database
    from bench.pdf_batch import render_many
    from models.billing.invoice import Invoice
    from models.core.enums import InvoiceStatus

    work = scratch("pdf")
    demo_database(work, patients=50, invoices=count * 2)
    invoices = list(
        Invoice.select().where(Invoice.status != InvoiceStatus.DRAFT).order_by(Invoice.id).limit(count)
    )
    render_invoice_pdf(invoices[0], "fr")  # WeasyPrint imported, fonts found, in both contenders

    pages = [render_invoice_html(invoice, "fr") for invoice in invoices]
    started = time.perf_counter()
    for page in pages:  # the same PDF as Facteur's: archival and tagged
        HTML(string=page, base_url=BASE_URL).write_pdf(pdf_variant=PDF_VARIANT, pdf_tags=True)
    plain_loop = time.perf_counter() - started

    started = time.perf_counter()
    pdfs = render_many([(invoice.id, "fr") for invoice in invoices], workers=2)
    pool = time.perf_counter() - started
    # A pool that lost or mixed up invoices would win for nothing (render_many has no tests of its own).
    assert list(pdfs) == [(invoice.id, "fr") for invoice in invoices], "the pool lost invoices"
    assert all(pdf.startswith(b"%PDF-") for pdf in pdfs.values()), "the pool rendered something else"

    sample = invoices[:40]
    untagged, archival = _archival_cost(pages[: len(sample)])
    started = time.perf_counter()
    for invoice in sample:
        render_invoice_pdf(invoice, "fr")
    one_render = (time.perf_counter() - started) / len(sample)
    cache = InvoicePdfs(work / "cache")
    hits = sample[:20]
    for invoice in hits:
        cache.get(invoice, "fr")
    fresh = [Invoice.get_by_id(invoice.id) for invoice in hits]  # as the agent reads them
    rounds = 10
    started = time.perf_counter()
    for _ in range(rounds):
        for invoice in fresh:
            cache.get(invoice, "fr")
    hit = (time.perf_counter() - started) / (len(hits) * rounds)

    headroom = core_headroom()
    return [
        ratio_row(
            "pdf",
            f"{count} invoices/s, pool vs plain loop",
            count / pool,
            count / plain_loop,
            "inv/s",
            at_least=1.7,
        ),
        ratio_row(
            "pdf",
            f"one process: {len(sample)} of them, render vs plain loop",
            1 / one_render,
            count / plain_loop,
            "inv/s",
        ),
        ratio_row("pdf", "cache hit vs render (renders/s)", 1 / hit, 1 / one_render, "/s", at_least=50),
        ratio_row(
            "pdf",
            f"PDF/A-3b tagged vs untagged, {len(sample)} pages (inv/s)",
            len(sample) / archival,
            len(sample) / untagged,
            "inv/s",
            at_least=1 / 1.5,  # the archival render takes at most 1.5 times as long
        ),
        Result("pdf", "two-process headroom of this machine now", headroom, "x", 2.0, headroom / 2.0),
    ]

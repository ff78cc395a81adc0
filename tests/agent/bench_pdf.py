"""Measure invoice PDF rendering (not a test): ``python -m tests.agent.bench_pdf [N]``.

Prints, for N different billed invoices of a throw-away demo database: one render,
a cache hit, a plain one-process WeasyPrint loop over the same HTML, Facteur's
one-process loop, and ``render_many`` on 2 processes (pool start-up included).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path


def _spin(_: object = None) -> float:
    started = time.perf_counter()
    total = 0
    for n in range(3_000_000):
        total += n % 7
    return time.perf_counter() - started


def headroom() -> float:
    """How much faster two processes finish two CPU loops than one process: about 2 on two idle
    cores, less when other programs use them (the machines are shared)."""
    import multiprocessing

    alone = _spin() * 2
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        pool.map(_spin, [None, None])  # started
        started = time.perf_counter()
        pool.map(_spin, [None, None])
        together = time.perf_counter() - started
    return alone / together


def main(count: int = 200) -> None:
    from weasyprint import HTML

    from agent.pdf import InvoicePdfs, render_invoice_html, render_invoice_pdf, render_many
    from agent.pdf.render import BASE_URL
    from models.billing.invoice import Invoice
    from models.core.config import ClinicSettings
    from models.core.enums import InvoiceStatus
    from models.database.db import open_database
    from models.setup.demo import bulk_demo, seed_demo
    from models.setup.initial import init_database

    work = Path(tempfile.mkdtemp(prefix="facteur-bench-pdf-"))
    database = open_database(f"sqlite:///{work / 'bench.db'}")
    init_database(database, ClinicSettings())
    seed_demo()
    bulk_demo(patients=50, invoices=count * 2)
    invoices = list(
        Invoice.select().where(Invoice.status != InvoiceStatus.DRAFT).order_by(Invoice.id).limit(count)
    )
    assert len(invoices) == count, len(invoices)
    render_invoice_pdf(invoices[0], "fr")  # WeasyPrint imported, fonts found

    started = time.perf_counter()
    for invoice in invoices[:20]:
        render_invoice_pdf(invoice, "fr")
    one_render = (time.perf_counter() - started) / 20

    pdfs = InvoicePdfs(work / "cache")
    for invoice in invoices[:20]:
        pdfs.get(invoice, "fr")
    fresh = [Invoice.get_by_id(invoice.id) for invoice in invoices[:20]]
    started = time.perf_counter()
    for invoice in fresh:
        pdfs.get(invoice, "fr")
    hit = (time.perf_counter() - started) / 20

    pages = [render_invoice_html(invoice, "fr") for invoice in invoices]
    started = time.perf_counter()
    for page in pages:
        HTML(string=page, base_url=BASE_URL).write_pdf()
    plain_loop = time.perf_counter() - started

    started = time.perf_counter()
    for invoice in invoices:
        render_invoice_pdf(invoice, "fr")
    facteur_loop = time.perf_counter() - started

    started = time.perf_counter()
    render_many([(invoice.id, "fr") for invoice in invoices], workers=2)
    pool = time.perf_counter() - started

    print(f"two-process headroom now {headroom():.2f}x (2.00 on two idle cores)")
    print(f"one render          {one_render * 1000:8.1f} ms")
    print(f"cache hit           {hit * 1000:8.2f} ms   ({one_render / hit:.0f}x faster than a render)")
    print(f"plain WeasyPrint loop, {count} invoices  {plain_loop:6.1f} s")
    print(f"Facteur one-process loop              {facteur_loop:6.1f} s")
    print(f"render_many(workers=2)                {pool:6.1f} s   ({plain_loop / pool:.2f}x the plain loop)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)

"""Rendering many invoice PDFs at once on every core: a pool of processes (``render_many``).

The benchmarks' own: ``bench.pdf`` races it against a plain WeasyPrint loop, and ``bench.outbox_load``
fills a drain's PDF cache with it. The agent renders through ``agent.render_pool`` instead.

WeasyPrint holds the GIL while it lays a page out, so threads would not help.
Workers are spawned (never forked: the parent may hold an open database
connection and threads) and each opens the database itself from its URL; only
ids, languages and PDF bytes cross process boundaries.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from models.billing.invoice import Invoice
from models.database.db import current_url

Key = tuple[int, str]  # (invoice id, language as asked)

# Below this many invoices this process renders alone: starting a worker costs about what
# a dozen renders do (Python, WeasyPrint and the fonts, in a fresh process).
POOL_THRESHOLD = 24

_worker_state: dict[str, Path | None] = {}  # set in each worker by _start_worker


def render_many(
    invoices_and_languages: Iterable[tuple[Invoice | int, str]],
    *,
    workers: int = 2,
    database_url: str | None = None,
    cache_dir: Path | None = None,
    chunk_size: int = 1,
    this_process: bool = True,
) -> dict[Key, bytes]:
    """Render each (invoice or id, language) pair with ``workers`` processes; returns
    ``{(id, language): pdf}`` in the order asked.

    This process is one of the ``workers`` (unless ``this_process`` is off): it renders
    from the end of the list while the others start, which takes a spawned process about
    a second (Python, WeasyPrint, fonts), then beside them. Work goes out ``chunk_size``
    invoices at a time: one by default, so that when this process and the workers meet
    in the middle, no one waits for more than a render or two (sending an id and getting
    a PDF back costs a fraction of a millisecond; a render, a tenth of a second). ``database_url``
    defaults to the database ``models.database.db.db`` is bound to (a file or server: memory
    cannot be shared). With ``cache_dir`` every renderer goes through ``InvoicePdfs``
    there: cached PDFs are read, missing ones rendered and stored, which is how the
    benchmarks warm the cache before a drain.
    """
    keys = list(dict.fromkeys((_id(item), language) for item, language in invoices_and_languages))
    if workers <= 1 or (this_process and len(keys) < max(POOL_THRESHOLD, chunk_size + 1)):
        return dict(_render_chunk(keys, cache_dir))
    from locales import default_registry

    url = database_url or current_url()
    registry = default_registry()
    chunks = [keys[start : start + chunk_size] for start in range(0, len(keys), chunk_size)]
    children = min(workers - 1 if this_process else workers, len(chunks))
    results: dict[Key, bytes] = {}
    pool = ProcessPoolExecutor(
        max_workers=children,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
        initargs=(url, registry.override_dir, registry.shipped_dir, cache_dir),
    )
    try:
        futures = [pool.submit(_render_in_worker, chunk) for chunk in chunks]
        if this_process:
            # A chunk no worker has taken yet can be cancelled: this process renders it.
            for future, chunk in zip(reversed(futures), reversed(chunks), strict=True):
                if future.cancel():
                    results.update(_render_chunk(chunk, cache_dir))
        for future in futures:
            if not future.cancelled():
                results.update(future.result())
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    # Every result is in; a worker still starting up (it got no work) exits on its own.
    pool.shutdown(wait=False)
    return {key: results[key] for key in keys}


def _id(item: Invoice | int) -> int:
    return item if isinstance(item, int) else int(item.id)


def _start_worker(url: str, override_dir: Path | None, shipped_dir: Path, cache_dir: Path | None) -> None:
    """Each worker: its own database connection, the parent's catalogs, WeasyPrint imported once."""
    from locales import configure
    from models.database.db import open_database

    open_database(url)
    configure(override_dir, shipped_dir=shipped_dir, quiet=True)  # the agent said what is wrong
    _worker_state["cache_dir"] = cache_dir
    import weasyprint  # noqa: F401 (a second of import, paid before the first invoice)


def _render_in_worker(keys: list[Key]) -> list[tuple[Key, bytes]]:
    return _render_chunk(keys, _worker_state.get("cache_dir"))


def _render_chunk(keys: list[Key], cache_dir: Path | None) -> list[tuple[Key, bytes]]:
    from agent.pdf.cache import InvoicePdfs
    from agent.pdf.render import render_invoice_pdf
    from models.billing.invoicing import find_invoice

    pdfs = InvoicePdfs(cache_dir) if cache_dir else None
    done = []
    for invoice_id, language in keys:
        invoice = find_invoice(f"#{invoice_id}")
        pdf = pdfs.get(invoice, language) if pdfs else render_invoice_pdf(invoice, language)
        done.append(((invoice_id, language), pdf))
    return done

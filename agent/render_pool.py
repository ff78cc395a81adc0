"""``RenderPool``: the agent's invoice PDFs, read from the cache or rendered in child processes.

The agent never imports WeasyPrint itself. A PDF missing from the cache (``agent.pdf.InvoicePdfs``)
is rendered by a small pool of spawned processes, each opening the database from its URL and
storing what it renders in the same cache, so:

- renders run on every core beside the sends (WeasyPrint holds the GIL while it lays a page out);
- the messages of a claim ask for their PDFs ahead (``prepare``), and a message waits only for
  its own; two messages of one invoice share one render;
- the agent stays small over days of work: WeasyPrint's memory, which grows with every render,
  lives in the children, each replaced after ``tasks_per_child`` renders; children idle for
  ``idle_seconds`` exit (``trim``), and edited catalogs retire them so the wording is current.

A database another process cannot open (SQLite in memory) renders in this process instead.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import threading
import time
from collections.abc import Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from agent.errors import DeferredError
from agent.pdf import InvoicePdfs, current_database_url
from locales import N_, add_listener, default_registry
from locales.registry import ReloadEvent
from models.errors import DatabaseError
from models.invoice import Invoice

TASKS_PER_CHILD = 100  # WeasyPrint keeps ~0.3 MB per render (its font configuration): bound it
IDLE_SECONDS = 60.0
PARENT_CHECK_SECONDS = 0.5


class RenderPool:
    """Invoice PDFs for the agent (a ``PdfProvider``); thread-safe. ``close()`` when done."""

    def __init__(
        self,
        cache_dir: Path,
        *,
        processes: int | None = None,
        tasks_per_child: int = TASKS_PER_CHILD,
        idle_seconds: float = IDLE_SECONDS,
    ) -> None:
        self.cache = InvoicePdfs(cache_dir)
        self.processes = processes or min(2, os.cpu_count() or 1)
        self.tasks_per_child = tasks_per_child
        self.idle_seconds = idle_seconds
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self._pending: dict[Path, Future[bytes]] = {}
        self._last_used = time.monotonic()
        self._stale = False
        add_listener(self._catalogs_changed)  # for as long as the agent lives

    # PdfProvider ------------------------------------------------------------------------------

    def get(self, invoice: Invoice, language: str) -> bytes:
        """The PDF from the cache, else rendered by a child (this thread waits for it)."""
        target = self.cache.path(invoice, language)
        try:
            return target.read_bytes()
        except FileNotFoundError:
            pass
        future = self._submit(target, invoice, language)
        if future is None:
            return self.cache.get(invoice, language)
        try:
            return future.result()
        except BrokenProcessPool as exc:
            self._reset()
            raise DeferredError(N_("cannot build the message: {reason}"), reason=str(exc)) from exc

    def filename(self, invoice: Invoice, language: str) -> str:
        return str(self.cache.filename(invoice, language))

    # ahead of the sends -----------------------------------------------------------------------

    def prepare(self, items: Iterable[tuple[Invoice, str]]) -> None:
        """Start rendering, in the children, the PDFs that are not cached yet; returns at once."""
        for invoice, language in items:
            target = self.cache.path(invoice, language)
            if not target.exists():
                self._submit(target, invoice, language)

    def trim(self) -> None:
        """Let the children go when nothing was rendered for ``idle_seconds`` (call it now and then)."""
        with self._lock:
            idle = time.monotonic() - self._last_used > self.idle_seconds
            if self._pool is not None and not self._pending and idle:
                self._pool.shutdown(wait=False)
                self._pool = None

    def close(self) -> None:
        """Stop the children (after the renders under way); the next render starts new ones."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    # the children -----------------------------------------------------------------------------

    def _submit(self, target: Path, invoice: Invoice, language: str) -> Future[bytes] | None:
        """The render of ``target`` under way or started now; None to render in this process."""
        with self._lock:
            self._last_used = time.monotonic()
            future = self._pending.get(target)
            if future is not None:
                return future
            pool = self._pool_locked()
            if pool is None:
                return None
            future = pool.submit(_render, int(invoice.id), language, str(self.cache.cache_dir))
            self._pending[target] = future
        future.add_done_callback(lambda _: self._done(target))
        return future

    def _done(self, target: Path) -> None:
        with self._lock:
            self._pending.pop(target, None)
            self._last_used = time.monotonic()

    def _pool_locked(self) -> ProcessPoolExecutor | None:
        if self._stale and self._pool is not None:  # reworded catalogs: new children read them
            self._pool.shutdown(wait=False)
            self._pool = None
        self._stale = False
        if self._pool is None:
            try:
                url = current_database_url()
            except DatabaseError:
                return None
            registry = default_registry()
            self._pool = ProcessPoolExecutor(
                max_workers=self.processes,
                mp_context=multiprocessing.get_context("spawn"),  # never fork a process with threads
                initializer=_start_child,
                initargs=(url, registry.override_dir, registry.shipped_dir),
                max_tasks_per_child=self.tasks_per_child,
            )
        return self._pool

    def _reset(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
            self._pending.clear()
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    def _catalogs_changed(self, event: ReloadEvent) -> None:
        if event.applied:
            with self._lock:
                self._stale = True


def _start_child(url: str, override_dir: Path | None, shipped_dir: Path) -> None:
    """A child: its own database connection, the agent's catalogs, WeasyPrint imported once."""
    from locales import configure
    from models.db import open_database

    threading.Thread(target=_exit_with, args=(os.getppid(),), daemon=True).start()
    open_database(url)
    configure(override_dir, shipped_dir=shipped_dir)
    with contextlib.suppress(ImportError):
        import weasyprint  # noqa: F401 (a second of import, paid before the first invoice)


def _exit_with(parent: int) -> None:
    """End this child when the agent is gone (killed): a pool's children would wait on it forever."""
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(1)


def _render(invoice_id: int, language: str, cache_dir: str) -> bytes:
    """In a child: the invoice as it is now, through the cache (stored there for the agent)."""
    return bytes(InvoicePdfs(Path(cache_dir)).get(Invoice.get_by_id(invoice_id), language))

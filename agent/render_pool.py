"""``RenderPool``: the agent's invoice PDFs, read from the cache or rendered in child processes.

The agent never imports WeasyPrint itself. A PDF missing from the cache (``agent.pdf.InvoicePdfs``)
is rendered by one of a few child processes (``default_processes``; spawned, each opening the
database from its URL and storing what it renders in the same cache), so:

- renders run beside the sends, on another core (WeasyPrint holds the GIL while it lays a page out);
- the messages of a claim ask for their PDFs ahead (``prepare``): the cached ones are read at once,
  the others start rendering, and a message waits only for its own; two messages of one invoice
  share one render;
- the agent stays small over days of work. WeasyPrint keeps memory from every render (its font
  configuration, about 0.4 MB each), so a child is replaced after ``renders_per_child``: it takes
  no new work, finishes what it has, exits, and only then is its successor started, while the
  other children carry on. Children idle for ``idle_seconds`` exit (``trim``), and edited catalogs
  retire them the same way, so the wording is always current;
- a send at the desk does not wait for a child to start: a serving agent keeps one child ready
  (``keep_one_ready``: started, WeasyPrint imported and a page laid out, about 4 s on a clinic PC,
  paid while nobody waits), idle or not, replaced the same way when it retires.

Each child is a ``ProcessPoolExecutor`` of one process (its ``max_tasks_per_child`` deadlocks on
Python 3.11, CPython issue 115634). A database another process cannot open (SQLite in memory) is
rendered in this process instead.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import threading
import time
from collections.abc import Iterable
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from agent.errors import DeferredError
from agent.pdf import InvoicePdfs
from agent.pdf.cache import read_cached
from locales import N_, add_listener, default_registry
from locales.registry import ReloadEvent
from models.billing.invoice import Invoice
from models.core.errors import DatabaseError
from models.database.db import current_url

RENDERS_PER_CHILD = 80  # WeasyPrint keeps ~0.4 MB a render: a child ends near 115 MB
IDLE_SECONDS = 60.0
PARENT_CHECK_SECONDS = 0.5


@dataclass
class _Child:
    """One render process: how much it did, what it has under way, whether it is being replaced."""

    executor: ProcessPoolExecutor | None = None
    renders: int = 0
    in_flight: int = 0
    retiring: bool = False


@dataclass
class _Job:
    target: Path
    invoice_id: int
    language: str
    result: Future[bytes] = field(default_factory=Future)


def default_processes() -> int:
    """One render process per core beyond the first, at most two: on a two-core clinic machine one
    core stays for the agent's sends and the staff's terminal while a backlog renders."""
    return min(2, max(1, (os.cpu_count() or 1) - 1))


class RenderPool:
    """Invoice PDFs for the agent (a ``PdfProvider``); thread-safe. ``close()`` when done."""

    def __init__(
        self,
        cache_dir: Path,
        *,
        max_bytes: int = 0,
        processes: int | None = None,
        renders_per_child: int = RENDERS_PER_CHILD,
        idle_seconds: float = IDLE_SECONDS,
        pay_base: str = "",
    ) -> None:
        self.cache = InvoicePdfs(cache_dir, max_bytes, pay_base=pay_base)  # pay_base: [portal] url
        self.renders_per_child = renders_per_child
        self.idle_seconds = idle_seconds
        self._children = [_Child() for _ in range(processes or default_processes())]
        self._lock = threading.Lock()
        self._pending: dict[Path, Future[bytes]] = {}
        self._waiting: list[_Job] = []  # every child is being replaced: the next one takes these
        self._last_used = time.monotonic()
        self._keep_ready = False
        add_listener(self._catalogs_changed)  # for as long as the agent lives

    # PdfProvider ------------------------------------------------------------------------------

    def get(self, invoice: Invoice, language: str) -> bytes:
        """The PDF from the cache, else rendered by a child (this thread waits for it)."""
        target = self.cache.path(invoice, language)
        try:
            return read_cached(target)
        except FileNotFoundError:
            pass
        future = self._submit(target, invoice, language)
        if future is None:
            return self.cache.get(invoice, language)
        try:
            return future.result()
        except BrokenProcessPool as exc:  # the child died (killed, out of memory): a new one next time
            raise DeferredError(N_("cannot build the message: {reason}"), reason=str(exc)) from exc

    def filename(self, invoice: Invoice, language: str) -> str:
        return str(self.cache.filename(invoice, language))

    # ahead of the sends -----------------------------------------------------------------------

    def prepare(self, items: Iterable[tuple[Invoice, str]]) -> dict[tuple[int, str], bytes]:
        """The PDFs already in the cache, by (invoice id, language); the others start rendering in
        the children. Returns at once (reading a cached file is all it waits for)."""
        ready: dict[tuple[int, str], bytes] = {}
        for invoice, language in items:
            key = (int(invoice.id), language)
            if key in ready:
                continue
            target = self.cache.path(invoice, language)
            try:
                ready[key] = read_cached(target)
            except FileNotFoundError:
                self._submit(target, invoice, language)
        return ready

    def keep_one_ready(self) -> None:
        """From now on until ``close``, one child is always started and warm."""
        with self._lock:
            self._keep_ready = True
            self._ready_locked()

    def trim(self) -> None:
        """Let the children go when nothing was rendered for ``idle_seconds`` (call it now and then),
        but the one kept ready."""
        with self._lock:
            if self._pending or time.monotonic() - self._last_used <= self.idle_seconds:
                return
            ready = (child for child in self._children if self._ready(child))
            kept = next(ready, None) if self._keep_ready else None
            for child in self._children:
                if child is not kept:
                    self._stop_locked(child)

    def close(self) -> None:
        """Stop the children after the renders under way; a later render starts new ones."""
        with self._lock:
            self._keep_ready = False
            executors = [child.executor for child in self._children if child.executor is not None]
            for child in self._children:
                child.executor, child.renders, child.in_flight, child.retiring = None, 0, 0, False
        for executor in executors:
            executor.shutdown(wait=True, cancel_futures=True)

    # the children -----------------------------------------------------------------------------

    def _submit(self, target: Path, invoice: Invoice, language: str) -> Future[bytes] | None:
        """The render of ``target`` under way or started now; None to render in this process."""
        with self._lock:
            self._last_used = time.monotonic()
            future = self._pending.get(target)
            if future is not None:
                return future
            try:
                url = current_url()
            except DatabaseError:
                return None
            job = _Job(target, int(invoice.id), language)
            self._pending[target] = job.result
            self._dispatch_locked(job, url)
        return job.result

    def _dispatch_locked(self, job: _Job, url: str) -> None:
        working = [child for child in self._children if not child.retiring]
        if not working:
            self._waiting.append(job)
            return
        # the least busy child; of two idle ones, the one already started
        child = min(working, key=lambda candidate: (candidate.in_flight, candidate.executor is None))
        if child.executor is None:
            child.executor = self._start(url)
        child.renders += 1
        child.in_flight += 1
        if child.renders >= self.renders_per_child:
            child.retiring = True
        try:
            cache = self.cache
            work = child.executor.submit(
                _render, job.invoice_id, job.language, str(cache.cache_dir), cache.max_bytes, cache.pay_base
            )
        except BrokenProcessPool as exc:
            self._finish_locked(child, job, exc)
            return
        work.add_done_callback(lambda done: self._finished(child, job, done))

    @staticmethod
    def _start(url: str) -> ProcessPoolExecutor:
        registry = default_registry()
        return ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context("spawn"),  # never fork a process with threads
            initializer=_start_child,
            initargs=(os.getpid(), url, registry.override_dir, registry.shipped_dir),
        )

    @staticmethod
    def _ready(child: _Child) -> bool:
        return child.executor is not None and not child.retiring

    def _ready_locked(self) -> None:
        """With ``keep_one_ready``, start and warm a child when none is ready."""
        if not self._keep_ready or any(self._ready(child) for child in self._children):
            return
        idle = next((child for child in self._children if child.executor is None), None)
        if idle is None:  # every child is retiring: the first to go is replaced at once
            return
        try:
            url = current_url()
        except DatabaseError:
            return  # a database only this process can open: renders run here
        idle.executor = self._start(url)
        with contextlib.suppress(BrokenProcessPool):
            idle.executor.submit(_warm_up)  # the process starts with its first task

    def _finished(self, child: _Child, job: _Job, work: Future[bytes]) -> None:
        error = CancelledError() if work.cancelled() else work.exception()
        with self._lock:
            self._finish_locked(child, job, error)
            if error is None:
                job.result.set_result(work.result())

    def _finish_locked(self, child: _Child, job: _Job, error: BaseException | None) -> None:
        self._pending.pop(job.target, None)
        self._last_used = time.monotonic()
        child.in_flight = max(0, child.in_flight - 1)  # a render of a stopped child may end late
        if isinstance(error, BrokenProcessPool):
            child.retiring = True
        if child.retiring and child.in_flight <= 0:
            self._stop_locked(child)
            self._resume_locked()
            self._ready_locked()
        if error is not None:
            job.result.set_exception(error)

    def _stop_locked(self, child: _Child) -> None:
        """A child with nothing under way exits; its successor starts with the next render."""
        if child.executor is not None:
            child.executor.shutdown(wait=False)
        child.executor, child.renders, child.in_flight, child.retiring = None, 0, 0, False

    def _resume_locked(self) -> None:
        waiting, self._waiting = self._waiting, []
        if waiting:
            url = current_url()
            for job in waiting:
                self._dispatch_locked(job, url)

    def _catalogs_changed(self, event: ReloadEvent) -> None:
        """Reworded catalogs: each child finishes what it has, and its successor reads them."""
        if not event.applied:
            return
        with self._lock:
            for child in self._children:
                if child.in_flight <= 0:
                    self._stop_locked(child)
                else:
                    child.retiring = True
            self._ready_locked()


def _start_child(agent: int, url: str, override_dir: Path | None, shipped_dir: Path) -> None:
    """A child: its own database connection, the agent's catalogs, WeasyPrint imported once."""
    from locales import configure
    from models.database.db import open_database

    # the agent's pid from the agent itself: one killed while this child started is gone already
    threading.Thread(target=_exit_with, args=(agent,), daemon=True).start()
    open_database(url)
    configure(override_dir, shipped_dir=shipped_dir, quiet=True)  # the agent said what is wrong
    with contextlib.suppress(ImportError):
        import weasyprint  # noqa: F401 (a second of import, paid before the first invoice)


def _exit_with(parent: int) -> None:
    """End this child when the agent is gone (killed): a pool's children would wait on it forever."""
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(1)


def _warm_up() -> None:
    """In a child: a page laid out with the invoice's stylesheet and fonts, which this process keeps
    for its renders (``agent.pdf.engine``)."""
    from agent.pdf.render import invoice_html_to_pdf

    with contextlib.suppress(ImportError):  # no WeasyPrint: the render says so, to the message
        invoice_html_to_pdf("<!doctype html><html lang=fr><body><p>Facture</p></body></html>")


def _render(invoice_id: int, language: str, cache_dir: str, max_bytes: int, pay_base: str) -> bytes:
    """In a child: the invoice as it is now, through the cache (stored there for the agent). It
    only reads the database: the Pay page its QR code leads to was opened when it was billed."""
    cache = InvoicePdfs(Path(cache_dir), max_bytes, pay_base=pay_base)
    return bytes(cache.get(Invoice.get_by_id(invoice_id), language))

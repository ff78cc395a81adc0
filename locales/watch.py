"""Live reload: watch the catalog folders with watchfiles and refresh the registry on edits.

``CatalogWatcher`` runs in a background thread (the agent, scripts); ``awatch_catalogs``
runs on an asyncio loop (the TUI, as a worker). Both also wake every ``poll_ms`` to
compare the files' size and time, which catches an override folder created after
start and filesystems that send no events. Listeners are called in the thread that
ran the refresh: the watcher thread, or the event loop for ``awatch_catalogs``.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from pathlib import Path

import watchfiles

from locales.marks import N_
from locales.registry import Registry, default_registry

log = logging.getLogger("facteur.locales")

POLL_MS = 1000


def _is_catalog(change: watchfiles.Change, path: str) -> bool:
    return path.endswith(".po")


def watch_catalogs(
    registry: Registry | None = None,
    stop_event: threading.Event | None = None,
    *,
    ready: threading.Event | None = None,
    poll_ms: int = POLL_MS,
    force_polling: bool | None = None,
) -> None:
    """Refresh ``registry`` on every edit until ``stop_event`` is set (blocks: run it in a thread)."""
    registry = registry or default_registry()
    stop_event = stop_event or threading.Event()
    dirs = registry.watch_dirs()
    if not dirs:
        return
    for changes in watchfiles.watch(
        *dirs,
        watch_filter=_is_catalog,
        stop_event=stop_event,
        rust_timeout=poll_ms,
        yield_on_timeout=True,
        force_polling=force_polling,
        raise_interrupt=False,
    ):
        # the first wake-up (event or timeout) also catches edits made while the watch started
        registry.refresh(force=[Path(path) for _, path in changes])
        if ready is not None:
            ready.set()


async def awatch_catalogs(
    registry: Registry | None = None,
    stop_event: asyncio.Event | None = None,
    *,
    ready: asyncio.Event | None = None,
    poll_ms: int = POLL_MS,
    force_polling: bool | None = None,
) -> None:
    """``watch_catalogs`` for an asyncio loop: parsing runs in a thread, listeners on the loop."""
    registry = registry or default_registry()
    dirs = registry.watch_dirs()
    if not dirs:
        return
    async for changes in watchfiles.awatch(
        *dirs,
        watch_filter=_is_catalog,
        stop_event=stop_event,
        rust_timeout=poll_ms,
        yield_on_timeout=True,
        force_polling=force_polling,
    ):
        forced = [Path(path) for _, path in changes]
        events = await asyncio.to_thread(registry.refresh, forced, notify=False)
        registry.notify(events)
        if ready is not None:
            ready.set()


class CatalogWatcher:
    """``watch_catalogs`` in a daemon thread: ``start()`` at startup, ``stop()`` at exit."""

    def __init__(
        self, registry: Registry | None = None, *, poll_ms: int = POLL_MS, force_polling: bool | None = None
    ) -> None:
        self.registry = registry or default_registry()
        self.ready = threading.Event()  # set once the watch is live
        self._stop = threading.Event()
        self._poll_ms = poll_ms
        self._force_polling = force_polling
        self._thread = threading.Thread(target=self._run, name="facteur-locales-watch", daemon=True)

    def start(self) -> CatalogWatcher:
        self._thread.start()
        return self

    def _run(self) -> None:
        # a watch that fails (a watched folder removed, too many inotify watches) starts over
        while not self._stop.is_set():
            try:
                watch_catalogs(
                    self.registry,
                    self._stop,
                    ready=self.ready,
                    poll_ms=self._poll_ms,
                    force_polling=self._force_polling,
                )
            except Exception:
                tr = self.registry.translator(self.registry.log_language)
                log.exception(tr.gettext(N_("watching the catalogs failed; trying again")))
            self._stop.wait(self._poll_ms / 1000)

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the thread to end and wait for it (it notices within ``poll_ms``)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def __enter__(self) -> CatalogWatcher:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

"""Live reload: a running watcher serves an edited catalog within 2 seconds, never a broken one."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

from locales import Registry, ReloadEvent, po_path
from locales.watch import CatalogWatcher, awatch_catalogs

from .conftest import SHIPPED, po_text, write_po

DEADLINE = 2.0


def wait_for(condition: Callable[[], bool], seconds: float = DEADLINE) -> bool:
    """Poll ``condition`` until it holds or ``seconds`` have passed."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def test_an_edited_override_is_served_within_2_seconds(registry: Registry, override: Path) -> None:
    tr = registry.translator("fr")
    with CatalogWatcher(registry) as watcher:
        assert watcher.ready.wait(5)
        write_po(override, "fr", '\nmsgid "Hello"\nmsgstr "Allô"\n')
        assert wait_for(lambda: tr.gettext("Hello") == "Allô")


def test_an_edited_shipped_catalog_is_served_within_2_seconds(registry: Registry) -> None:
    tr = registry.translator("en")
    assert tr.gettext("Hello") == "Hi"
    path = po_path("en", registry.shipped_dir)
    with CatalogWatcher(registry) as watcher:
        assert watcher.ready.wait(5)
        # as editors save: a new file renamed over the old one
        temporary = path.with_suffix(".tmp")
        temporary.write_text(po_text("en", SHIPPED["en"].replace('"Hi"', '"Hello!"')), encoding="utf-8")
        temporary.replace(path)
        assert wait_for(lambda: tr.gettext("Hello") == "Hello!")


def test_a_broken_edit_is_reported_and_the_old_text_keeps_serving(registry: Registry, override: Path) -> None:
    path = write_po(override, "fr", '\nmsgid "Balance: {amount}"\nmsgstr "Reste : {amount}"\n')
    tr = registry.translator("fr")
    assert tr.format("Balance: {amount}", amount="5 $") == "Reste : 5 $"
    heard: list[ReloadEvent] = []
    registry.add_listener(heard.append)
    with CatalogWatcher(registry, poll_ms=250) as watcher:
        assert watcher.ready.wait(5)
        path.write_text(
            po_text("fr", '\nmsgid "Balance: {amount}"\nmsgstr "Reste : {montant}"\n'), encoding="utf-8"
        )
        assert wait_for(lambda: any(not event.applied for event in heard))
        assert tr.format("Balance: {amount}", amount="5 $") == "Reste : 5 $"
        (problem,) = next(event for event in heard if not event.applied).problems[-1:]
        assert (problem.path, problem.line) == (path, 8)
        # the fix is picked up too
        path.write_text(
            po_text("fr", '\nmsgid "Balance: {amount}"\nmsgstr "Dû : {amount}"\n'), encoding="utf-8"
        )
        assert wait_for(lambda: tr.format("Balance: {amount}", amount="5 $") == "Dû : 5 $")


def test_an_override_folder_created_after_start_is_picked_up(shipped: Path, tmp_path: Path) -> None:
    later = tmp_path / "later"
    registry = Registry(shipped, later)
    tr = registry.translator("fr")
    with CatalogWatcher(registry, poll_ms=200) as watcher:
        assert watcher.ready.wait(5)
        write_po(later, "fr", '\nmsgid "Hello"\nmsgstr "Bonjour, plus tard"\n')
        assert wait_for(lambda: tr.gettext("Hello") == "Bonjour, plus tard")


def test_stop_ends_the_thread(registry: Registry) -> None:
    watcher = CatalogWatcher(registry, poll_ms=250).start()
    assert watcher.ready.wait(5)
    watcher.stop()
    assert not watcher._thread.is_alive()


def heard_of(override: Path, heard: list[ReloadEvent]) -> bool:
    return any(event.applied and event.path == po_path("fr", override) for event in heard)


async def test_the_async_watcher_reloads_and_notifies_on_the_loop(registry: Registry, override: Path) -> None:
    tr = registry.translator("fr")
    stop, ready = asyncio.Event(), asyncio.Event()
    heard: list[ReloadEvent] = []
    registry.add_listener(heard.append)
    task = asyncio.create_task(awatch_catalogs(registry, stop, ready=ready, poll_ms=250))
    try:
        await asyncio.wait_for(ready.wait(), 5)
        write_po(override, "fr", '\nmsgid "Hello"\nmsgstr "Allô"\n')
        deadline = time.monotonic() + DEADLINE
        while tr.gettext("Hello") != "Allô" and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        assert tr.gettext("Hello") == "Allô"
        # the catalog is swapped in a worker thread; listeners hear of it once the loop resumes the watch
        while not heard_of(override, heard) and time.monotonic() < deadline + 1:
            await asyncio.sleep(0.02)
        assert heard_of(override, heard)
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)

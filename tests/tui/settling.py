"""Waits that end on an event, never on the clock: ``settle`` (the app is quiet: workers done, their
results on screen) and ``until`` (a condition holds). Each has a generous timeout that only turns a
hang into a failure saying what the app was still doing; a loaded machine just takes more rounds."""

from __future__ import annotations

import asyncio
import sys
import threading
import traceback
from collections.abc import Callable
from contextlib import suppress
from typing import Any

from textual.pilot import Pilot
from textual.worker import WorkerCancelled, WorkerState


def _threads() -> str:
    """Where every thread is: what a stuck worker waits for."""
    names = {thread.ident: thread.name for thread in threading.enumerate()}
    return "\n".join(
        f"--- {names.get(ident, ident)}\n{''.join(traceback.format_stack(frame)[-8:])}"
        for ident, frame in sys._current_frames().items()
    )


def _busy(app: Any) -> str:
    """What the app is still doing ("" when quiet)."""
    running = [w.name for w in app.workers if w.state in (WorkerState.PENDING, WorkerState.RUNNING)]
    if running:
        return f"workers {running}"
    gate = getattr(app, "key_gate", None)
    if gate is not None and gate.held is not None:
        return "keys held"  # keys wait for the last one to settle (``tui.key_gate``)
    widgets = list(app.screen.walk_children())
    # a view still being mounted (a tab built on its F key) focuses its first field once it is
    mounting = [widget for widget in widgets if not widget.is_mounted]
    if not app.screen.is_mounted or mounting:
        return f"mounting {mounting[:3]}"
    # a list view asks for its next page when the last one lands: quiet is when none is on its way
    fetching = [widget for widget in widgets if getattr(widget, "fetching", False)]
    return f"fetching {fetching}" if fetching else ""


async def settle(pilot: Pilot[Any], timeout: float = 30.0) -> None:
    """Let workers finish and their results land on screen, however many rounds that takes: a page
    may ask for the next one, and a loaded machine may need more rounds than an idle one."""
    app = pilot.app
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    quiet_rounds = 0
    while quiet_rounds < 2:  # quiet twice in a row: nothing posted by the last round is pending
        # a refresh replaced by the next one (exclusive workers) is cancelled: that one lands instead
        with suppress(WorkerCancelled):
            await app.workers.wait_for_complete()
        await pilot.pause()
        busy = _busy(app)
        quiet_rounds = 0 if busy else quiet_rounds + 1
        if busy and loop.time() > deadline:
            raise TimeoutError(f"the app did not settle: {busy}\n{_threads()}")


async def until(
    pilot: Pilot[Any], condition: Callable[[], bool], *, timeout: float = 30.0, settling: bool = True
) -> None:
    """Let the app run until ``condition()`` holds; between two checks it settles (``settle``), or,
    with ``settling=False`` (an app that never settles: a catalog watch runs for good, keys are held
    on purpose), handles the messages waiting and has one idle beat."""
    app = pilot.app
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"not reached in {timeout:g} s; the app: {_busy(app) or 'quiet'}")
        if settling:
            await settle(pilot, timeout=max(deadline - loop.time(), 1.0))
        else:
            await pilot.pause()

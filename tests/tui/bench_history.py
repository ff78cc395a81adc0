"""Measure the History tab at clinic scale (100,000 invoices, 20,000 patients), against loading it all.

Not collected by pytest (no ``test_`` prefix). Run from the worktree root::

    .venv/bin/python -m tests.tui.bench_history            # figures
    .venv/bin/python -m tests.tui.bench_history --profile  # and a pyinstrument profile of the keystrokes

The real app is built through ``build_app`` and driven by Pilot at 120x40. A measurement ends at the
first frame the app hands to its terminal (headless here, so the frame is also turned into terminal
bytes, as a real terminal would cost) that shows the expected first row, once the view holds that
filter's rows. The baseline is what the issue names: every invoice loaded into a ``DataTable`` and
filtered in memory.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from time import perf_counter
from typing import Any

from textual._compositor import CompositorUpdate
from textual.app import App, ComposeResult
from textual.widgets import DataTable, Input

from models.clinic import BillingCompany, Clinic, Staff
from models.config import Config, DatabaseSettings, LocalesSettings
from models.db import close_database, open_database
from models.history import HistoryFilter, HistoryRow, history_page
from models.schema import ensure_schema
from models.text import fold

from .test_history_plan import INVOICES, fill_history

SIZE = (120, 40)
NOW = datetime(2026, 3, 14, 15, 30, tzinfo=UTC)
TYPED = [f"nom{digit}" for digit in "123456789"]  # each prefix then one more digit, then both erased


def build_database(folder: Path) -> Config:
    config = Config(
        database=DatabaseSettings(url=f"sqlite:///{folder / 'facteur.db'}"),
        locales=LocalesSettings(watch=False),
        source=folder / "facteur.toml",
    )
    database = open_database(config.database.url)
    ensure_schema(database)
    clinic = Clinic.create(name="Clinique du Parc", country="CA", region="QC", timezone="America/Toronto")
    company = BillingCompany.create(
        clinic=clinic, name="Clinique du Parc inc.", currency="CAD", number_prefix="CDP"
    )
    Staff.create(login="admin", display_name="Anne Admin", roles="admin,billing", language="fr")
    fill_history(database, company.id)
    return config


class FrameWatch:
    """Wraps ``app._display``: resolves when a frame shows ``marker`` while ``ready()`` holds."""

    def __init__(self, app: App[Any]) -> None:
        self.app = app
        self.marker: str | None = None
        self.ready: Callable[[], bool] = lambda: True
        self.shown = asyncio.Event()
        self.at = 0.0
        original = app._display

        def display(screen: Any, renderable: Any) -> None:
            original(screen, renderable)
            if renderable is None or app._batch_count or not isinstance(renderable, CompositorUpdate):
                return
            text = renderable.render_segments(app.console)  # what a real terminal would be sent
            if self.marker is not None and self.marker in text and self.ready():
                self.at = perf_counter()
                self.marker = None
                self.shown.set()

        app._display = display  # type: ignore[method-assign]

    def expect(self, marker: str, ready: Callable[[], bool] = lambda: True) -> None:
        self.marker, self.ready = marker, ready
        self.shown.clear()

    async def wait(self, since: float, timeout: float = 30.0) -> float:
        await asyncio.wait_for(self.shown.wait(), timeout)
        return (self.at - since) * 1000


def history_state(app: App[Any]) -> Callable[[str, int], bool]:
    """Does the History view hold the rows of ``text``, ``first`` on top?"""

    def ready(text: str, first: int) -> bool:
        view: Any = app.screen.query_one("#history-view")
        return view.filters.text == text and not view.fetching and view.first_shown_id() == first

    return ready


def expected_first(texts: list[str]) -> dict[str, HistoryRow]:
    return {text: history_page(HistoryFilter(text=text), limit=1)[0] for text in texts}


async def measure_app(config: Config, firsts: dict[str, HistoryRow], profile: bool) -> dict[str, list[float]]:
    from tui.app import build_app

    figures: dict[str, list[float]] = {"F3": [], "keystroke": []}
    top = firsts[""]
    for _ in range(3):
        app = build_app(config, "admin", clock=lambda: NOW)
        started = perf_counter()
        async with app.run_test(size=SIZE) as pilot:
            watch = FrameWatch(app)
            watch.expect(top.number or "", lambda: True)
            pressed = perf_counter()
            await pilot.press("f3")
            figures["F3"].append(await watch.wait(pressed))
            print(f"  start to rows {(watch.at - started) * 1000:.0f} ms", file=sys.stderr)
    app = build_app(config, "admin", clock=lambda: NOW)
    async with app.run_test(size=SIZE) as pilot:
        watch = FrameWatch(app)
        ready = history_state(app)
        await pilot.press("f3")
        await app.workers.wait_for_complete()
        await pilot.pause(0.3)
        profiler: AbstractContextManager[Any] = nullcontext()
        if profile:
            from pyinstrument import Profiler

            profiler = Profiler(async_mode="enabled")
        with profiler as running:
            for prefix in TYPED:
                await pilot.press(*prefix)
                await app.workers.wait_for_complete()
                await pilot.pause(0.2)
                for key, text in keystrokes_from(prefix):
                    row = firsts[text]
                    watch.expect(row.number or "", lambda t=text, i=row.id: ready(t, i))  # type: ignore[misc]
                    pressed = perf_counter()
                    await pilot.press(key)
                    try:
                        figures["keystroke"].append(await watch.wait(pressed, timeout=5))
                    except TimeoutError:
                        view: Any = app.screen.query_one("#history-view")
                        print(
                            "  missed",
                            key,
                            repr(text),
                            view.filters.text,
                            view.first_shown_id(),
                            row.id,
                            app.focused,
                            file=sys.stderr,
                        )
                    await pilot.pause(0.05)
                await pilot.press(*["backspace"] * len(prefix))
                await app.workers.wait_for_complete()
                await pilot.pause(0.2)
        if profile:
            running.print(show_all=False)
    return figures


def keystrokes_from(prefix: str) -> list[tuple[str, str]]:
    return [("0", prefix + "0"), ("backspace", prefix)]


class EverythingApp(App[None]):
    """The baseline: every invoice in one DataTable, filtered in memory as you type."""

    def __init__(self, rows: list[HistoryRow]) -> None:
        super().__init__()
        self.rows = rows
        self.folded = {row.id: fold(row.patient.split(" ", 1)[-1] + " " + row.patient) for row in rows}

    def compose(self) -> ComposeResult:
        yield Input(id="search")
        table: DataTable[str] = DataTable(cursor_type="row", zebra_stripes=True)
        for title in ("Number", "Date", "Patient", "Status", "Total", "Balance"):
            table.add_column(title, key=title)
        yield table

    def on_mount(self) -> None:
        self.fill(self.rows)

    def fill(self, rows: list[HistoryRow]) -> None:
        table = self.query_one(DataTable)
        table.clear()
        table.add_rows(
            (
                row.number or "",
                str(row.issue_date),
                row.patient,
                row.status.value,
                f"{row.total_cents / 100:.2f}",
                f"{row.balance_cents / 100:.2f}",
            )
            for row in rows
        )

    def on_input_changed(self, event: Input.Changed) -> None:
        needle = event.value.strip()
        number, name = needle.upper(), fold(needle)
        self.fill(
            [
                r
                for r in self.rows
                if (r.number or "").startswith(number) or self.folded[r.id].startswith(name)
            ]
        )


async def measure_baseline(firsts: dict[str, HistoryRow]) -> dict[str, list[float]]:
    figures: dict[str, list[float]] = {"F3": [], "keystroke": []}
    loaded = perf_counter()
    rows = history_page(limit=INVOICES)
    query_ms = (perf_counter() - loaded) * 1000
    for _ in range(1):
        app = EverythingApp(rows)
        started = perf_counter()
        async with app.run_test(size=SIZE) as pilot:
            watch = FrameWatch(app)
            watch.expect(firsts[""].number or "")
            figures["F3"].append(await watch.wait(started) + query_ms)
            app.query_one(Input).focus()
            for prefix in TYPED[:3]:
                app.query_one(Input).value = prefix
                await pilot.pause(0.5)
                for key, text in keystrokes_from(prefix):
                    watch.expect(firsts[text].number or "")
                    pressed = perf_counter()
                    await pilot.press(key)
                    figures["keystroke"].append(await watch.wait(pressed))
    return figures


def report(title: str, figures: dict[str, list[float]]) -> None:
    print(title)
    for name, values in figures.items():
        if values:
            ordered = sorted(values)
            p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
            print(
                f"  {name:<10} median {statistics.median(values):7.1f} ms  p95 {p95:7.1f} ms  n={len(values)}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", action="store_true", help="profile the keystrokes (pyinstrument)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the load-everything baseline")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        config = build_database(Path(folder))
        texts = [""] + [t for prefix in TYPED for t in (prefix, prefix + "0")]
        firsts = expected_first(texts)
        if not args.no_baseline:
            report("load everything into a DataTable (baseline):", asyncio.run(measure_baseline(firsts)))
        close_database()
        report("History (pages through indexes):", asyncio.run(measure_app(config, firsts, args.profile)))


if __name__ == "__main__":
    main()

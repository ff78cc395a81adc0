"""Measure History and Patients at clinic scale (100,000 invoices, 20,000 patients), against loading it all.

``bench.tui`` reports these figures in ``make bench``; run alone from the worktree root::

    .venv/bin/python -m bench.tui_lists              # figures, with the baseline
    .venv/bin/python -m bench.tui_lists --runs 5     # more app starts for "first rows"
    .venv/bin/python -m bench.tui_lists --profile    # and a pyinstrument profile of the keys
    .venv/bin/python -m bench.tui_lists --keys       # every keystroke's time on stderr

The real app is built through ``build_app`` and run headless at 120x40; keys are delivered as the
terminal driver delivers them (``send_key``), ten a second at most. A measurement ends at
the first frame the app hands to its terminal (headless here, so the frame is also turned into
terminal bytes, as a real terminal would cost) that shows the expected first row, once the view
holds that search's rows; when the rows did not change (another key, the same first page), it
ends when the view holds them, as nothing more is drawn.

- *first rows*: F3 (History) or F2 (Patients) pressed to the tab showing its rows read again; and
  launch to the Patients tab's first rows (the app opens on it).
- *keystroke*: every key of typing searches from an empty field, then erasing them one by one; and
  the CPU the process spent meanwhile (both threads), which a busy shared machine does not inflate.

The baseline is what the issue names: every row loaded into a ``DataTable`` and filtered in memory
as you type, measured in the same run (fewer keys: each costs seconds).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from time import perf_counter, process_time
from typing import Any

from textual._compositor import CompositorUpdate
from textual.app import App, ComposeResult
from textual.widgets import DataTable, Input

from models.core.config import Config, DatabaseSettings, LocalesSettings
from models.core.text import fold
from models.database.db import close_database, open_database
from models.people.clinic import BillingCompany, Clinic, Staff
from models.people.patients import PatientRow, patient_rows
from models.setup.schema import ensure_schema
from models.views.history import HistoryFilter, HistoryRow, history_page
from testbed.clinic_scale import INVOICES, PATIENTS, fill_history
from testbed.textual_private import send_key

SIZE = (120, 40)
NOW = datetime(2026, 3, 14, 15, 30, tzinfo=UTC)
# Typed from an empty field, one key at a time, then erased one key at a time.
HISTORY_WORDS = ["nom12345", "CDP-2025-00123", "prenom", "17"]
PATIENT_WORDS = ["nom12345", "prenom", "nom9"]
BASELINE_WORDS = ["nom123"]


def build_database(folder: Path, invoices: int = INVOICES, patients: int = PATIENTS) -> Config:
    """A clinic with ``invoices`` invoices for ``patients`` patients in ``folder``; returns its config."""
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
    fill_history(database, company.id, invoices, patients)
    return config


def typed(words: list[str]) -> list[tuple[str, str]]:
    """``(key, text after it)`` for typing each word then erasing it."""
    keys: list[tuple[str, str]] = []
    for word in words:
        keys += [(char, word[: index + 1]) for index, char in enumerate(word)]
        keys += [("backspace", word[:index]) for index in range(len(word) - 1, -1, -1)]
    return keys


@dataclass(frozen=True)
class Expected:
    """What a search shows on top: its row's id and a marker text the frame must show."""

    key: int | None
    marker: str


def history_expected(texts: set[str]) -> dict[str, Expected]:
    def top(text: str) -> Expected:
        rows = history_page(HistoryFilter(text=text), limit=1)
        return Expected(rows[0].id, (rows[0].number or "")[:14]) if rows else Expected(None, "")

    return {text: top(text) for text in texts}


def patient_expected(texts: set[str]) -> dict[str, Expected]:
    def top(text: str) -> Expected:
        rows = patient_rows(text, 1)
        return (
            Expected(rows[0].id, f"{rows[0].last_name}, {rows[0].first_name}") if rows else Expected(None, "")
        )

    return {text: top(text) for text in texts}


class FrameWatch:
    """Wraps ``app._display``: resolves at the first frame showing ``marker`` while ``ready()`` holds,
    or at ``settled()`` when the view holds the rows and nothing is left to draw."""

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
                self._resolve()

        app._display = display  # type: ignore[method-assign]

    def _resolve(self) -> None:
        self.at = perf_counter()
        self.marker = None
        self.shown.set()

    def settled(self) -> None:
        """The view took a page that changed nothing on screen: the rows already drawn are the answer."""
        if self.marker is not None and self.ready():
            self._resolve()

    def expect(self, marker: str, ready: Callable[[], bool] = lambda: True) -> None:
        self.marker, self.ready = marker, ready
        self.shown.clear()

    async def wait(self, since: float, timeout: float = 30.0) -> float:
        await asyncio.wait_for(self.shown.wait(), timeout)
        return (self.at - since) * 1000


@dataclass(frozen=True)
class Tab:
    """How to drive one list view of the app."""

    key: str  # the F key that shows it
    view: str  # its id
    field: str  # its search field's id

    def holds(self, view: Any, text: str, expected: Expected) -> bool:
        if view.fetching:
            return False
        if self.view == "history-view":
            return bool(view.filters.text == text and view.first_shown_id() == expected.key)
        table = view.query_one("#patients-table")
        first = int(table.rows[0].key) if table.rows else None
        return bool(view.text == text and first == expected.key)


HISTORY = Tab("f3", "history-view", "history-search")
PATIENTS_TAB = Tab("f2", "patients-view", "patients-search")


def watch_pages(app: App[Any], tab: Tab, watch: FrameWatch) -> None:
    """Tell ``watch`` when the view took a page that left the table as it was."""
    view: Any = app.screen.query_one(f"#{tab.view}")
    table: Any = view.query_one("PageTable")
    original = view._show_page

    def show_page(*args: Any) -> None:
        before = table.rows
        original(*args)
        if table.rows is before:
            watch.settled()

    view._show_page = show_page


async def measure_first_rows(config: Config, runs: int) -> dict[str, list[float]]:
    from tui.app import build_app

    figures: dict[str, list[float]] = {"launch": [], "F3 History": [], "F2 Patients": []}
    top_history = history_expected({""})[""]
    top_patient = patient_expected({""})[""]
    for _ in range(runs):
        app = build_app(config, "admin", clock=lambda: NOW)
        watch = FrameWatch(app)  # before the app runs: its very first frames count
        watch.expect(top_patient.marker)
        started = perf_counter()
        async with app.run_test(size=SIZE) as pilot:
            figures["launch"].append(await watch.wait(started))
            await app.workers.wait_for_complete()
            await pilot.pause(0.3)
            for tab, top, name in (
                (HISTORY, top_history, "F3 History"),
                (PATIENTS_TAB, top_patient, "F2 Patients"),
            ):
                view = app.screen.query_one(f"#{tab.view}")
                watch_pages(app, tab, watch)
                watch.expect(top.marker, lambda t=tab, v=view, e=top: t.holds(v, "", e))  # type: ignore[misc]
                pressed = perf_counter()
                send_key(app, tab.key)
                figures[name].append(await watch.wait(pressed))
                await app.workers.wait_for_complete()
                await pilot.pause(0.2)
    return figures


async def measure_typing(  # noqa: PLR0917 (a measuring script's knobs)
    config: Config,
    tab: Tab,
    words: list[str],
    expected: dict[str, Expected],
    profile: bool,
    verbose: bool,
    cpu_ms: list[float],
) -> list[float]:
    """Each key's time to its rows; ``cpu_ms`` gets the CPU the process spent meanwhile (both
    threads), which other users of a shared machine do not inflate."""
    from tui.app import build_app

    figures: list[float] = []
    app = build_app(config, "admin", clock=lambda: NOW)
    async with app.run_test(size=SIZE) as pilot:
        watch = FrameWatch(app)
        await pilot.press(tab.key)
        await app.workers.wait_for_complete()
        await pilot.pause(0.3)
        view = app.screen.query_one(f"#{tab.view}")
        watch_pages(app, tab, watch)
        assert app.focused is view.query_one(f"#{tab.field}")
        profiler: AbstractContextManager[Any] = nullcontext()
        if profile:
            from pyinstrument import Profiler

            profiler = Profiler(async_mode="enabled")
        with profiler as running:
            for key, text in typed(words):
                want = expected[text]
                watch.expect(want.marker, lambda t=text, e=want: tab.holds(view, t, e))  # type: ignore[misc]
                pressed, cpu = perf_counter(), process_time()
                send_key(app, key)
                try:
                    figures.append(await watch.wait(pressed, timeout=10))
                    cpu_ms.append((process_time() - cpu) * 1000)
                except TimeoutError:
                    print(f"  missed {key!r} -> {text!r}", file=sys.stderr)
                else:
                    if verbose:
                        print(f"  {figures[-1]:6.1f} ms  {text!r}", file=sys.stderr)
                await asyncio.sleep(0.1)  # a fast typist: ten keys a second
        if profile:
            running.print(show_all=False)
    return figures


class EverythingApp(App[None]):
    """The baseline: every row in one DataTable, filtered in memory as you type."""

    def __init__(self, rows: list[tuple[str, ...]], keys: list[str]) -> None:
        super().__init__()
        self.rows = rows
        self.keys = keys  # what a search matches the start of, per row

    def compose(self) -> ComposeResult:
        yield Input(id="search")
        table: DataTable[str] = DataTable(cursor_type="row", zebra_stripes=True)
        for index in range(len(self.rows[0])):
            table.add_column(f"Column {index}", key=str(index))
        yield table

    def on_mount(self) -> None:
        self.fill(self.rows)

    def fill(self, rows: list[tuple[str, ...]]) -> None:
        table = self.query_one(DataTable)
        table.clear()
        table.add_rows(rows)

    def on_input_changed(self, event: Input.Changed) -> None:
        needle = fold(event.value)
        self.fill([row for row, key in zip(self.rows, self.keys, strict=True) if key.startswith(needle)])


def history_cells(row: HistoryRow) -> tuple[str, ...]:
    return (
        row.number or "",
        str(row.issue_date),
        row.patient,
        row.status.value,
        f"{row.total_cents / 100:.2f}",
        f"{row.balance_cents / 100:.2f}",
    )


def patient_cells(row: PatientRow) -> tuple[str, ...]:
    return (f"{row.last_name}, {row.first_name}", row.cell_phone or "", row.email or "", row.language or "")


async def measure_baseline(
    rows: list[tuple[str, ...]], keys: list[str], expected: dict[str, Expected], loaded_ms: float
) -> dict[str, list[float]]:
    figures: dict[str, list[float]] = {"first rows": [], "keystroke": []}
    app = EverythingApp(rows, keys)
    started = perf_counter()
    async with app.run_test(size=SIZE) as pilot:
        watch = FrameWatch(app)
        watch.expect(expected[""].marker)
        figures["first rows"].append(await watch.wait(started, timeout=120) + loaded_ms)
        app.query_one(Input).focus()
        for key, text in typed(BASELINE_WORDS):
            watch.expect(expected[text].marker)
            pressed = perf_counter()
            await pilot.press(key)
            try:
                figures["keystroke"].append(await watch.wait(pressed, timeout=120))
            except TimeoutError:
                print(f"  baseline missed {key!r} -> {text!r}", file=sys.stderr)
    return figures


def baselines() -> dict[str, dict[str, list[float]]]:
    texts = {text for _, text in typed(BASELINE_WORDS)} | {""}
    started = perf_counter()
    invoices = history_page(limit=INVOICES)
    loaded_ms = (perf_counter() - started) * 1000
    expected = history_expected(texts)
    keys = [fold(row.patient.split(" ", 1)[-1] + " " + row.patient) for row in invoices]
    history = asyncio.run(measure_baseline([history_cells(r) for r in invoices], keys, expected, loaded_ms))
    started = perf_counter()
    people = patient_rows("", PATIENTS)
    loaded_ms = (perf_counter() - started) * 1000
    expected = patient_expected(texts)
    keys = [row.key[0] for row in people]
    patients = asyncio.run(measure_baseline([patient_cells(r) for r in people], keys, expected, loaded_ms))
    return {"History": history, "Patients": patients}


def summary(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"median {statistics.median(values):7.1f} ms  p95 {p95:7.1f} ms  n={len(values)}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="app starts measured for the first rows")
    parser.add_argument("--profile", action="store_true", help="profile the keystrokes (pyinstrument)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the load-everything baseline")
    parser.add_argument("--keys", action="store_true", help="print every keystroke's time")
    parser.add_argument("--no-first", action="store_true", help="skip the first-rows measures")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", file=sys.stderr)
    with tempfile.TemporaryDirectory() as folder:
        config = build_database(Path(folder))
        history = history_expected({text for _, text in typed(HISTORY_WORDS)} | {""})
        patients = patient_expected({text for _, text in typed(PATIENT_WORDS)} | {""})
        if not args.no_baseline:
            for view, figures in baselines().items():
                print(f"{view}, every row loaded into a DataTable (baseline):")
                for name, values in figures.items():
                    print(f"  {name:<12} {summary(values)}")
        close_database()
        print("Facteur (pages through indexes, PageTable):")
        if not args.no_first:
            for name, values in asyncio.run(measure_first_rows(config, args.runs)).items():
                print(f"  {name:<24} {summary(values)}")
        for tab, words, expected in (
            (HISTORY, HISTORY_WORDS, history),
            (PATIENTS_TAB, PATIENT_WORDS, patients),
        ):
            cpu: list[float] = []
            values = asyncio.run(measure_typing(config, tab, words, expected, args.profile, args.keys, cpu))
            name = tab.view.split("-")[0].title()
            print(f"  {name + ' keystroke':<24} {summary(values)}")
            print(f"  {name + ' CPU per key':<24} {summary(cpu)}")
    print(f"load average {os.getloadavg()[0]:.1f}", file=sys.stderr)


if __name__ == "__main__":
    main()

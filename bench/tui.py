"""TUI at clinic scale (100,000 invoices, 20,000 patients): History and Patients' first rows and
each keystroke of a search, against every row loaded into a ``DataTable`` and filtered in memory.

The measuring itself is ``bench/tui_lists.py`` (the real app through ``build_app``, keys sent as
a terminal sends them, a measure ending at the first frame showing the expected row).
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from bench.common import Result, limit_row, median, percentile
from testbed.clinic_scale import INVOICES, PATIENTS


def run(runs: int = 3, invoices: int = INVOICES, patients: int = PATIENTS) -> list[Result]:
    """The figures for a clinic of ``invoices`` invoices and ``patients`` patients (``--quick``: fewer)."""
    from bench import tui_lists as bh
    from models.database.db import close_database

    results: list[Result] = []
    with tempfile.TemporaryDirectory() as folder:
        config = bh.build_database(Path(folder), invoices, patients)
        history_tops = bh.history_expected({text for _, text in bh.typed(bh.HISTORY_WORDS)} | {""})
        patient_tops = bh.patient_expected({text for _, text in bh.typed(bh.PATIENT_WORDS)} | {""})
        baseline = bh.baselines()
        close_database()
        first = asyncio.run(bh.measure_first_rows(config, runs))
        for view, key in (("History", "F3 History"), ("Patients", "F2 Patients")):
            base = baseline[view]
            loaded = next((values for name, values in base.items() if "load" in name or "first" in name), [])
            results.append(
                limit_row(
                    "tui",
                    f"{view}: first rows (median ms)",
                    median(first[key]),
                    "ms",
                    at_most=300,
                    baseline=median(loaded) if loaded else None,
                )
            )
        for tab, words, expected, view in (
            (bh.HISTORY, bh.HISTORY_WORDS, history_tops, "History"),
            (bh.PATIENTS_TAB, bh.PATIENT_WORDS, patient_tops, "Patients"),
        ):
            cpu: list[float] = []
            keys = asyncio.run(bh.measure_typing(config, tab, words, expected, False, False, cpu))
            base = baseline[view]
            typed = next((values for name, values in base.items() if "key" in name), [])
            for label, fraction in (("median", 0.5), ("p95", 0.95)):
                results.append(
                    limit_row(
                        "tui",
                        f"{view}: per keystroke ({label} ms)",
                        percentile(keys, fraction),
                        "ms",
                        at_most=100,
                        baseline=percentile(typed, fraction) if typed else None,
                    )
                )
    return results

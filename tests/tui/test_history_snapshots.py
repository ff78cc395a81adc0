"""Snapshots of the main screen on the History tab at 80x24 and 120x40, in French (admin) and English
(clerk), with the frozen clock and ``fill_history``'s 120 invoices. Update with
``pytest tests/tui/test_history_snapshots.py --snapshot-update`` after a deliberate change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import peewee
from textual.pilot import Pilot

from testbed.clinic_scale import fill_history

from .conftest import Clinic_, snapshot_cases
from .test_history import settle

PEOPLE = {"fr": "admin", "en": "clerk"}


@snapshot_cases
def test_history_tab(
    snap_compare: Callable[..., bool],
    make_app: Callable[..., Any],
    tui_db: peewee.Database,
    clinic: Clinic_,
    language: str,
    size: tuple[int, int],
) -> None:
    fill_history(tui_db, clinic.company.id, invoices=120, patients=30)
    app = make_app(PEOPLE[language])

    async def show(pilot: Pilot[Any]) -> None:
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press(*"nom1")  # filtered as typed, the cursor in the search
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=show)

"""Snapshots of the Settings tab at 80x24 and 120x40, in French and English (an admin each).

Data and clock are fixed (``clinic`` fixture, the shell's frozen clock). Update with
``pytest tests/tui/test_settings_snapshots.py --snapshot-update`` after a deliberate change.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual.pilot import Pilot

from models.people.clinic import BillingCompany, Staff
from tui.screens.settings import SettingsView

from .conftest import Clinic_, snapshot_cases
from .invoices.conftest import settle


@snapshot_cases
@pytest.mark.parametrize("pane", ["settings-clinic", "settings-staff"])
def test_settings(
    snap_compare: Callable[..., bool],
    make_app: Callable[..., object],
    clinic: Clinic_,
    pane: str,
    language: str,
    size: tuple[int, int],
) -> None:
    Staff.update(language=language).where(Staff.id == clinic.admin.id).execute()
    BillingCompany.create(
        clinic=clinic.clinic, name="Physio Plateau", number_prefix="PPL", stripe_account_id="acct_1AbCdEfGh2"
    )
    app = make_app("admin")

    async def open_pane(pilot: Pilot[object]) -> None:
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        pilot.app.screen.query_one(SettingsView).show_section(pane)
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=open_pane)

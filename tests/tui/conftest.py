"""TUI fixtures: a seeded database file, a config pointing at it, and the app built as the CLI builds it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import peewee
import pytest

from models.core.config import Config, DatabaseSettings, LocalesSettings
from models.database.db import close_database, open_database
from models.people.clinic import BillingCompany, Clinic, Staff
from models.setup.schema import ensure_schema
from testbed.textual_private import keep_cursors_lit, quick_idle, table_laid_out
from tests.conftest import start_from

from .settling import settle, until

# The screens' snapshots: both languages at 80x24, where a longer word or a wrapped line shows first,
# and the wide layout in French, the longer of the two. English at 120x40 added a minute of workers'
# time to the suite and never showed what these three did not.
snapshot_cases = pytest.mark.parametrize(
    ("language", "size"),
    [
        pytest.param("fr", (80, 24), id="fr-80x24"),
        pytest.param("en", (80, 24), id="en-80x24"),
        pytest.param("fr", (120, 40), id="fr-120x40"),
    ],
)

# The clock every TUI test and snapshot sees, so the status bar and dates never move.
FROZEN_NOW = datetime(2026, 3, 14, 15, 30, tzinfo=UTC)


def frozen_clock() -> datetime:
    return FROZEN_NOW


@pytest.fixture(autouse=True)
def steady_cursors(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cursors stay lit: a slow machine that takes over half a second to reach the screenshot
    would otherwise catch an input's cursor in its blink's dark half and fail a snapshot."""
    keep_cursors_lit(monkeypatch)


@pytest.fixture(autouse=True)
def quick_pilot(monkeypatch: pytest.MonkeyPatch) -> None:
    """The pilot looks for idleness in shorter windows (``quick_idle``): waits end sooner."""
    quick_idle(monkeypatch)


@dataclass
class Clinic_:
    clinic: Clinic
    company: BillingCompany
    admin: Staff
    clerk: Staff
    provider: Staff


@pytest.fixture
def tui_config(tmp_path: Path) -> Config:
    """A config whose database is a temp file; catalogs are not watched unless a test asks."""
    return Config(
        database=DatabaseSettings(url=f"sqlite:///{tmp_path / 'facteur.db'}"),
        locales=LocalesSettings(watch=False),
        source=tmp_path / "facteur.toml",
    )


@pytest.fixture
def tui_db(tui_config: Config, migrated_sqlite: Path) -> Iterator[peewee.Database]:
    start_from(migrated_sqlite, tui_config.database.url)
    database = open_database(tui_config.database.url)
    ensure_schema(database)
    yield database
    close_database()


@pytest.fixture
def clinic(tui_db: peewee.Database) -> Clinic_:
    """A clinic with one billing company and three staff: an admin (fr), a clerk (en), a provider (fr)."""
    clinic = Clinic.create(name="Clinique du Parc", country="CA", region="QC", timezone="America/Toronto")
    company = BillingCompany.create(
        clinic=clinic, name="Clinique du Parc inc.", currency="CAD", number_prefix="CDP"
    )
    admin = Staff.create(login="admin", display_name="Anne Admin", roles="admin,billing", language="fr")
    clerk = Staff.create(login="clerk", display_name="Carl Clerk", roles="billing", language="en")
    provider = Staff.create(login="dr.roy", display_name="Dre Julie Roy", roles="provider", language="fr")
    return Clinic_(clinic, company, admin, clerk, provider)


@pytest.fixture
def make_app(tui_config: Config, clinic: Clinic_) -> Callable[..., object]:
    """``make_app(login, **overrides)``: the app for that staff member, through ``build_app``."""
    from tui.app import build_app

    def make(login: str = "admin", **config_overrides: object):  # type: ignore[no-untyped-def]
        config = replace(tui_config, **config_overrides) if config_overrides else tui_config
        return build_app(config, login, clock=frozen_clock)

    return make


async def laid_out(pilot: Any) -> None:
    """Wait until every table on screen has sized its columns for the rows it got (a ``DataTable``
    does it when it is next idle, which a loaded machine may not reach before a screenshot)."""
    from textual.widgets import DataTable

    await pilot.pause()
    await until(
        pilot,
        lambda: all(table_laid_out(table) for table in pilot.app.screen.query(DataTable)),
        settling=False,
    )


async def steady(pilot: Any, timeout: float = 30.0) -> None:
    """Wait until a screenshot is the same as the one before it, taken a settled round earlier: a
    change still on its way (the footer recomposed for the new bindings, a detail line following the
    cursor) lands before the snapshot. On a loaded machine those can trail the last worker by a few
    rounds; it is the equal screenshots that end the wait, the timeout only catches a screen that
    never stops changing."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    shot = pilot.app.export_screenshot()
    while True:
        await settle(pilot)
        await laid_out(pilot)
        again = pilot.app.export_screenshot()
        if again == shot:
            return
        assert loop.time() < deadline, "the screen kept changing"
        shot = again


@pytest.fixture
def snap_compare(snap_compare: Callable[..., bool]) -> Callable[..., bool]:
    """The plugin's ``snap_compare``, with the screenshot taken once the tables are laid out."""

    def compare(app: Any, *args: Any, run_before: Callable[..., Any] | None = None, **kwargs: Any) -> bool:
        async def before(pilot: Any) -> None:
            if run_before is not None:
                result = run_before(pilot)
                if result is not None:
                    await result
            await laid_out(pilot)
            await steady(pilot)

        return snap_compare(app, *args, run_before=before, **kwargs)

    return compare

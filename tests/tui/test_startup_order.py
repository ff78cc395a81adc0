"""What the main screen builds first: the patient list's rows, then History, then (admins) Settings.

The two hidden tabs cost a few hundred milliseconds to build; they wait for the frame that shows the
first rows, unless F3 or F4 asks for one sooner, and keys typed right after that F key still reach it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from textual.widgets import Input, OptionList

import models.patients
from models.patient import Patient
from tui.screens.history import HistoryView
from tui.screens.main import MainScreen
from tui.screens.patients import PatientsView
from tui.screens.settings import SettingsView
from tui.widgets.page_table import PageTable

from .conftest import Clinic_, send_key
from .invoices.conftest import settle
from .test_key_bursts import until


@pytest.fixture(autouse=True)
def a_patient(clinic: Clinic_) -> None:
    Patient.create(last_name="Tremblay", first_name="Léa", email="lea@example.org")


async def test_the_hidden_tabs_are_built_once_the_first_rows_are_on_screen(
    make_app: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    rows_when_built: list[tuple[str, int]] = []
    for view_class in (HistoryView, SettingsView):

        def recording(view: Any, compose: Any = view_class.compose) -> Any:
            rows = view.screen.query_one("#patients-table", PageTable).row_count
            rows_when_built.append((type(view).__name__, rows))
            return compose(view)

        monkeypatch.setattr(view_class, "compose", recording)
    app = make_app("admin")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert [name for name, _ in rows_when_built] == ["HistoryView", "SettingsView"]
        assert all(rows > 0 for _, rows in rows_when_built)
        await pilot.press("f4")
        await settle(pilot)
        assert app.focused is app.screen.query_one("#settings-sections", OptionList)
        await pilot.press("f3")
        await settle(pilot)
        assert app.focused is app.screen.query_one("#history-search", Input)
        assert len(rows_when_built) == 2  # each built once


async def test_a_non_admin_never_gets_the_settings_view(make_app: Callable[..., Any]) -> None:
    app = make_app("clerk")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, MainScreen) and set(app.screen.tab_mounts) == {"history"}
        assert not app.screen.query(SettingsView)


@pytest.fixture
def slow_first_page(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """The patient list's query waits until the test lets it go (a slow disk, a big clinic)."""
    go = threading.Event()
    read = models.patients.patient_rows

    def waiting(*args: Any, **kwargs: Any) -> Any:
        go.wait(10)
        return read(*args, **kwargs)

    monkeypatch.setattr(models.patients, "patient_rows", waiting)
    yield go
    go.set()


async def test_f4_before_the_first_rows_builds_settings_and_the_keys_after_it_land_there(
    make_app: Callable[..., Any], slow_first_page: threading.Event
) -> None:
    app = make_app("admin")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert not app.screen.query(SettingsView)  # the rows have not come: not built yet
        for key in ("f4", "down"):  # a burst, queued before F4 is handled
            send_key(app, key)
        await until(
            pilot,
            lambda: bool(app.screen.query(SettingsView)) and app.screen.query_one(SettingsView).is_mounted,
        )
        sections = app.screen.query_one("#settings-sections", OptionList)
        await until(pilot, lambda: sections.highlighted == 1)  # "down" moved to the second section
        assert app.focused is sections
        assert app.screen.query_one("#patients-search", Input).value == ""
        slow_first_page.set()
        await settle(pilot)
        assert app.screen.query_one(PatientsView).rows  # the rows came after all
        assert len(app.screen.query(SettingsView)) == 1  # and Settings was not built again


async def test_f3_before_the_first_rows_builds_history_and_a_search_typed_after_it_lands_there(
    make_app: Callable[..., Any], slow_first_page: threading.Event
) -> None:
    app = make_app("clerk")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert not app.screen.query(HistoryView)
        for key in ("f3", *"CDP"):
            send_key(app, key)
        await until(pilot, lambda: bool(app.screen.query(HistoryView)))
        search = app.screen.query_one("#history-search", Input)
        await until(pilot, lambda: search.value == "CDP")
        assert app.focused is search
        assert app.screen.query_one("#patients-search", Input).value == ""
        slow_first_page.set()
        await settle(pilot)
        assert len(app.screen.query(HistoryView)) == 1


async def test_a_click_on_the_history_tab_before_the_first_rows_builds_it_and_focuses_its_search(
    make_app: Callable[..., Any], slow_first_page: threading.Event
) -> None:
    app = make_app("clerk")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert not app.screen.query(HistoryView)
        await pilot.click("#--content-tab-history")
        await until(pilot, lambda: bool(app.screen.query(HistoryView)) and app.focused is not None)
        await until(pilot, lambda: app.focused is app.screen.query_one("#history-search", Input))
        slow_first_page.set()
        await settle(pilot)
        assert len(app.screen.query(HistoryView)) == 1


async def test_a_screen_opened_first_holds_the_hidden_tabs_until_the_main_screen_is_back(
    make_app: Callable[..., Any], slow_first_page: threading.Event
) -> None:
    from tui.screens.transmissions import TransmissionsScreen

    app = make_app("admin")
    async with app.run_test(size=(80, 24)) as pilot:
        main = app.screen
        await pilot.pause()
        await pilot.press("f5")
        await until(pilot, lambda: isinstance(app.screen, TransmissionsScreen))
        slow_first_page.set()  # the rows come while Transmissions is on top
        await until(pilot, lambda: bool(main.query_one(PatientsView).rows))
        await settle(pilot)
        assert not main.query(HistoryView) and not main.query(SettingsView)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is main
        assert len(main.query(HistoryView)) == 1 and len(main.query(SettingsView)) == 1

"""The History tab driven by Pilot: filter by text, status and dates, sort, page, open, send.

120 invoices for 30 patients (``fill_history``): invoice i is CDP-2025-000000i, issued 2023-01-01,
or 2023-01-02 from i = 100; statuses cycle paid, billed, void, billed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import peewee
import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Select

from models.core.enums import InvoiceStatus
from testbed.clinic_scale import fill_history
from tui.screens.history import HistoryView

from .conftest import Clinic_
from .settling import settle


@pytest.fixture
def invoices(tui_db: peewee.Database, clinic: Clinic_) -> None:
    fill_history(tui_db, clinic.company.id, invoices=120, patients=30)


async def history(pilot: Pilot[Any]) -> HistoryView:
    await pilot.press("f3")
    await settle(pilot)
    return pilot.app.screen.query_one(HistoryView)


@pytest.mark.usefixtures("invoices")
async def test_typing_filters_and_the_search_keeps_every_key(make_app: Callable[..., Any]) -> None:
    app = make_app("clerk")
    async with app.run_test(size=(120, 40)) as pilot:
        view = await history(pilot)
        search = view.query_one("#history-search", Input)
        assert app.focused is search
        assert view.loaded_rows == 50 and view.first_shown_id() == 120
        for key in "nom7":  # a page lands between keys: the field keeps the focus and every key
            await pilot.press(key)
            await settle(pilot)
            assert app.focused is search
        assert search.value == "nom7"
        assert view.rows_by_id and {row.patient for row in view.rows_by_id.values()} == {"Prenom Nom7"}
        await pilot.press("ctrl+a", "ctrl+k", "s", "r", "m")  # letters bound on the list type into the field
        await settle(pilot)
        assert search.value == "srm" and view.sort.value == "newest"
        assert not view.rows_by_id and view.first_shown_id() is None


@pytest.mark.usefixtures("invoices")
async def test_status_and_date_range_filter_and_a_bad_date_is_marked(make_app: Callable[..., Any]) -> None:
    app = make_app("clerk")
    async with app.run_test(size=(120, 40)) as pilot:
        view = await history(pilot)
        view.query_one("#history-status", Select).value = InvoiceStatus.PAID.value
        await settle(pilot)
        assert view.rows_by_id and {row.status for row in view.rows_by_id.values()} == {InvoiceStatus.PAID}
        view.query_one("#history-status", Select).clear()
        since = view.query_one("#history-since", Input)
        since.focus()
        await pilot.press(*"2023-01-02")
        await settle(pilot)
        assert sorted(view.rows_by_id) == list(range(100, 121))
        assert app.focused is since
        until = view.query_one("#history-until", Input)
        until.value = "2023-01-01"
        await settle(pilot)
        assert view.first_shown_id() is None  # an empty range
        until.value = "2023-13-01"
        await settle(pilot)
        assert until.has_class("-invalid") and until.tooltip
        assert sorted(view.rows_by_id) == list(range(100, 121))  # the bad date is left out, not guessed


@pytest.mark.usefixtures("invoices")
async def test_sort_reverse_and_the_next_page_as_the_cursor_nears_the_end(
    make_app: Callable[..., Any],
) -> None:
    app = make_app("clerk")
    async with app.run_test(size=(120, 40)) as pilot:
        view = await history(pilot)
        view.query_one("#history-table").focus()
        await pilot.press("s")  # by number, highest first
        await settle(pilot)
        assert view.first_shown_id() == 120
        await pilot.press("r")
        await settle(pilot)
        assert view.first_shown_id() == 1
        assert view.loaded_rows == 50
        for _ in range(4):
            await pilot.press("pagedown")
            await settle(pilot)
        assert view.loaded_rows >= 100
        assert list(view.rows_by_id)[:3] == [1, 2, 3]


@pytest.mark.usefixtures("invoices")
async def test_enter_opens_the_invoice_and_m_asks_to_send_it(make_app: Callable[..., Any]) -> None:
    from tui.screens.invoice_detail import InvoiceDetailScreen

    app = make_app("clerk")
    async with app.run_test(size=(120, 40)) as pilot:
        view = await history(pilot)
        await pilot.press("enter")  # from the search: to the list
        await settle(pilot)
        assert app.focused is view.query_one("#history-table")
        await pilot.press("down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, InvoiceDetailScreen)
        assert app.screen.invoice_id == 119
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("m")
        await settle(pilot)
        assert type(app.screen).__name__ == "SendInvoiceScreen"


@pytest.mark.usefixtures("invoices")
async def test_a_patient_renamed_elsewhere_is_renamed_in_the_history_at_once(
    make_app: Callable[..., Any],
) -> None:
    """The patient form says what it saved (DataChanged); History reads its rows again, behind."""
    app = make_app("clerk")
    async with app.run_test(size=(120, 40)) as pilot:
        view = await history(pilot)
        await pilot.press(*"nom7")
        await settle(pilot)
        assert {row.patient for row in view.rows_by_id.values()} == {"Prenom Nom7"}
        view.query_one("#history-table").focus()
        await pilot.press("down", "down")  # the cursor stays where it was
        await pilot.press("f2", *"nom7", "enter", "enter")  # Patients: search, to the list, open
        await settle(pilot)
        form = app.screen
        assert type(form).__name__ == "PatientFormScreen"
        form.query_one("#first_name", Input).value = "Zoé"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert {row.patient for row in view.rows_by_id.values()} == {"Zoé Nom7"}  # History not shown
        assert view.query_one("#history-table").cursor_row == 2


@pytest.mark.usefixtures("invoices")
async def test_coming_back_to_the_tab_shows_what_changed_meanwhile(make_app: Callable[..., Any]) -> None:
    """Another terminal or the agent changed an invoice: F3 shows it as it is now."""
    from models.billing.invoice import Invoice

    app = make_app("clerk")
    async with app.run_test(size=(120, 40)) as pilot:
        view = await history(pilot)
        assert view.rows_by_id[120].status is InvoiceStatus.PAID
        await pilot.press("f2")
        await settle(pilot)
        Invoice.update(status=InvoiceStatus.VOID.value).where(Invoice.id == 120).execute()
        await pilot.press("f3")
        await settle(pilot)
        assert view.rows_by_id[120].status is InvoiceStatus.VOID

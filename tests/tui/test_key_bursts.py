"""Keys typed right after the one that opens a tab or a screen reach its field (``tui.key_gate``).

Each burst is delivered as a terminal delivers keys (``send_key``): all of them queued before the
first is handled, as when someone types fast or over SSH.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import peewee
import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from testbed.clinic_scale import fill_history
from testbed.textual_private import send_key
from tui import key_gate

from . import settling
from .conftest import Clinic_


@pytest.fixture
def invoices(tui_db: peewee.Database, clinic: Clinic_) -> None:
    fill_history(tui_db, clinic.company.id, invoices=120, patients=30)


def burst(app: Any, *keys: str) -> None:
    for key in keys:
        send_key(app, key)


async def until(pilot: Pilot[Any], done: Callable[[], bool]) -> None:
    """Wait for ``done`` alone: the keys arrive as typed, the app is not left to settle first."""
    await settling.until(pilot, done, settling=False)


async def started(pilot: Pilot[Any]) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def field(app: Any, selector: str) -> Input:
    return app.screen.query_one(selector, Input)  # type: ignore[no-any-return]


def value(app: Any, selector: str) -> str | None:
    """The field's value, or None while its screen is still being built."""
    found = app.screen.query(selector)
    return found.first(Input).value if found else None


@pytest.mark.usefixtures("invoices")
async def test_a_search_typed_right_after_f3_or_f2_lands_in_that_tab(make_app: Callable[..., Any]) -> None:
    app = make_app("clerk")
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        burst(app, "f3", *"nom7")
        await until(pilot, lambda: field(app, "#history-search").value == "nom7")
        assert app.focused is field(app, "#history-search")
        assert field(app, "#patients-search").value == ""  # nothing went to the tab left behind
        burst(app, "f2", *"nom2")
        await until(pilot, lambda: field(app, "#patients-search").value == "nom2")
        assert field(app, "#history-search").value == "nom7"


@pytest.mark.usefixtures("invoices")
async def test_a_name_typed_right_after_a_on_the_list_fills_the_new_patient(
    make_app: Callable[..., Any],
) -> None:
    from tui.screens.patient_form import PatientFormScreen

    app = make_app("clerk")
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        app.screen.query_one("#patients-table").focus()
        await pilot.pause()
        burst(app, "a", *"Roy")  # "e" and "i" are the list's keys too: none may reach it
        await until(pilot, lambda: isinstance(app.screen, PatientFormScreen))
        await until(pilot, lambda: value(app, "#last_name") == "Roy")
        assert app.focused is field(app, "#last_name")


@pytest.mark.usefixtures("invoices")
async def test_a_patient_typed_right_after_ctrl_n_lands_in_the_new_invoice(
    make_app: Callable[..., Any],
) -> None:
    from tui.screens.invoice_form import InvoiceFormScreen

    app = make_app("clerk")
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        burst(app, "ctrl+n", *"nom12")  # the form reads its lists before it focuses the patient
        await until(pilot, lambda: isinstance(app.screen, InvoiceFormScreen))
        await until(pilot, lambda: value(app, "#patient-search") == "nom12")


@pytest.mark.usefixtures("invoices")
async def test_p_right_after_opening_an_invoice_records_a_payment(make_app: Callable[..., Any]) -> None:
    from tui.dialogs.payment import PaymentDialog

    app = make_app("clerk")
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        burst(app, "f3")
        await until(pilot, lambda: app.screen.query_one("#history-view").loaded_rows > 0)
        app.screen.query_one("#history-table").focus()
        await pilot.pause()
        burst(app, "down", "enter", "p")  # invoice 119, billed
        await until(pilot, lambda: isinstance(app.screen, PaymentDialog))
        await until(pilot, lambda: value(app, "#payment-amount") is not None)
        assert app.screen.invoice_label == "CDP-2025-0000119"


async def test_typing_into_a_field_is_never_held(make_app: Callable[..., Any], clinic: Clinic_) -> None:
    app = make_app("clerk")
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        assert app.focused is field(app, "#patients-search")
        burst(app, *"abc")
        await until(pilot, lambda: field(app, "#patients-search").value == "abc")
        assert app.key_gate.held is None


async def test_a_hold_ends_at_its_deadline_whatever_the_state(
    make_app: Callable[..., Any], clinic: Clinic_, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [0.0]
    monkeypatch.setattr(key_gate, "monotonic", lambda: now[0])  # the gate's clock: the test moves it
    monkeypatch.setattr(key_gate.KeyGate, "settled", lambda self: False)  # as if stuck
    app = make_app("clerk")
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        burst(app, "end", *"xyz")  # End does not type: the keys after it wait
        await until(pilot, lambda: len(app.key_gate.held or ()) == 3)
        assert field(app, "#patients-search").value == ""
        now[0] += key_gate.MAX_HOLD  # the deadline passes
        await until(pilot, lambda: field(app, "#patients-search").value == "xyz")

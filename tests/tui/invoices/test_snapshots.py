"""Snapshots of the invoice form and detail at 80x24 and 120x40, in French (admin) and English (clerk).

Data and clock are fixed (``billing`` fixture, the shell's frozen clock). Update with
``pytest tests/tui/invoices/test_snapshots.py --snapshot-update`` after a deliberate change.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from textual.pilot import Pilot

from models.core.enums import PaymentMethod
from models.workflow.lifecycle import record_payment
from tui.screens.invoice_detail import InvoiceDetailScreen
from tui.screens.invoice_form import InvoiceFormScreen
from tui.widgets.invoice_lines import InvoiceLinesEditor

from ..conftest import FROZEN_NOW, snapshot_cases
from .conftest import Billing, settle

PEOPLE = {"fr": "admin", "en": "clerk"}


@snapshot_cases
def test_form(
    snap_compare: Callable[..., bool],
    make_app: Callable[..., object],
    billing: Billing,
    language: str,
    size: tuple[int, int],
) -> None:
    app = make_app(PEOPLE[language])

    async def fill(pilot: Pilot[object]) -> None:
        await settle(pilot)
        form = InvoiceFormScreen(app.session, invoice_id=billing.draft.id)  # type: ignore[attr-defined]
        pilot.app.push_screen(form)
        await settle(pilot)
        editor = form.query_one(InvoiceLinesEditor)
        row = await editor.add_line()
        for name, value in [
            ("code", "O02"),
            ("description", "Orthèse"),
            ("quantity", "2"),
            ("unit_price", "4x"),
        ]:
            row.input(name).value = value
        await pilot.pause()
        await pilot.press("ctrl+s")  # refused: the bad price is marked
        await settle(pilot)
        pilot.app.clear_notifications()
        form.query_one("#invoice-form").scroll_home(animate=False)
        form.query_one("#patient-search").focus()
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=fill)


@snapshot_cases
def test_detail(
    snap_compare: Callable[..., bool],
    make_app: Callable[..., object],
    billing: Billing,
    language: str,
    size: tuple[int, int],
) -> None:
    record_payment(
        billing.billed,
        5000,
        PaymentMethod.CARD,
        reference="4242",
        received_at=FROZEN_NOW - timedelta(hours=20),
    )
    app = make_app(PEOPLE[language])

    async def show(pilot: Pilot[object]) -> None:
        await settle(pilot)
        pilot.app.push_screen(InvoiceDetailScreen(app.session, billing.billed.id))  # type: ignore[attr-defined]
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=show)

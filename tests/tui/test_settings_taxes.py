"""Settings → Taxes at 80x24: a preset loaded, a tax added, a refused overlap marked on its field,
a rate ended by its last day."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from textual.widgets import Select

from models.billing.taxes import Tax
from tui.dialogs.settings_tax import TaxDialog, TaxPresetDialog
from tui.widgets.page_table import PageTable

from .conftest import Clinic_, until
from .invoices.conftest import settle
from .test_settings import SIZE, has_error, open_settings, section, type_into


async def test_load_the_quebec_preset_then_add_and_end_a_tax(
    make_app: Callable[..., Any], clinic: Clinic_
) -> None:
    app = make_app("admin")
    async with app.run_test(size=SIZE) as pilot:
        await open_settings(pilot)
        await section(pilot, "settings-taxes")
        table = app.screen.query_one("#settings-taxes PageTable", PageTable)
        table.focus()
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(app.screen, TaxPresetDialog)
        app.screen.query_one("#preset-company", Select).value = clinic.company.id
        app.screen.query_one("#preset-key", Select).value = "qc"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: not isinstance(app.screen, TaxPresetDialog))
        await settle(pilot)
        assert [(t.code, t.rate) for t in Tax.select().order_by(Tax.position)] == [
            ("GST", Decimal(5)),
            ("QST", Decimal("9.975")),
        ]
        assert table.row_count == 2

        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, TaxDialog)
        for selector, text in (
            ("#tax-code", "gst"),
            ("#tax-name-fr", "TPS"),
            ("#tax-name-en", "GST"),
            ("#tax-rate", "6"),
            ("#tax-from", "2027-01-01"),
        ):
            await type_into(pilot, selector, text)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, TaxDialog) and has_error(pilot, "valid_from")  # GST has no end yet
        await type_into(pilot, "#tax-from", "2027-13-01")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, TaxDialog) and has_error(pilot, "valid_from")
        await pilot.press("escape")
        await settle(pilot)
        await pilot.click("#confirm-yes")  # leave without saving
        await settle(pilot)
        assert not isinstance(app.screen, TaxDialog)
        assert Tax.select().count() == 2

        table.move_cursor(row=0)
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(app.screen, TaxDialog) and app.screen.tax is not None
        assert app.screen.tax.code == "GST"
        await type_into(pilot, "#tax-registration", "123456789 RT0001")
        await type_into(pilot, "#tax-until", "2026-12-31")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: not isinstance(app.screen, TaxDialog))
        gst = Tax.get(Tax.code == "GST")
        assert (gst.valid_until, gst.registration) == (date(2026, 12, 31), "123456789 RT0001")

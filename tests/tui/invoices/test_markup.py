"""Text is shown as typed: markup planted in a line, a payment's reference or a notice neither
breaks a screen nor runs an action of the app (``[@click=app.screenshot(…)]`` would write a file
where it says, as the data's owner)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual.app import App
from textual.widgets import Static

from models.billing.invoice import InvoiceLine, Payment
from tui.screens.invoice_detail import InvoiceDetailScreen
from tui.widgets.plain_table import PlainTable

from .conftest import Billing, open_screen, settle


async def test_markup_in_staff_text_is_shown_and_runs_nothing(
    make_app: Callable[..., object], billing: Billing, tmp_path: Path
) -> None:
    assert hasattr(App, "_broker_event")  # the hook FacteurApp closes; a Textual rename must be seen
    shots = tmp_path / "shots"
    shots.mkdir()
    planted = f"[@click=app.screenshot('x.svg','{shots}')]Consultation[/] [/b]"
    InvoiceLine.update(description=planted).where(InvoiceLine.invoice == billing.billed).execute()
    Payment.create(invoice=billing.billed, amount_cents=100, method="cash", reference="[/i]ref")
    app = make_app("clerk")
    async with app.run_test(size=(120, 40)) as pilot:  # type: ignore[attr-defined]
        await open_screen(pilot, InvoiceDetailScreen(app.session, billing.billed.id))  # type: ignore[attr-defined]
        await settle(pilot)
        lines = app.screen.query_one("#detail-lines", PlainTable)  # type: ignore[attr-defined]
        assert any(planted in str(cell) for cell in lines.get_row_at(0))
        payments = app.screen.query_one("#detail-payments", PlainTable)  # type: ignore[attr-defined]
        assert any(str(cell) == "[/i]ref" for cell in payments.get_row_at(0))
        app.notify("[/b] [@click=app.bell()]x[/]")  # type: ignore[attr-defined]
        link = Static(f"[@click=app.screenshot('y.svg','{shots}')]LINK[/]", id="planted")
        await app.screen.mount(link)  # type: ignore[attr-defined]
        await settle(pilot)
        await pilot.click("#planted")  # markup that slipped through still runs nothing
        await settle(pilot)
        assert app.screen.query_one("#detail-lines", PlainTable).get_row_at(0)  # type: ignore[attr-defined]
    assert not list(shots.iterdir())

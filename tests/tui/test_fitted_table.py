"""FittedTable: rows drawn before the table measured them are drawn again at their columns' new width."""

from __future__ import annotations

from textual.app import App, ComposeResult

from tui.widgets.fitted_table import FittedTable


class TableApp(App[None]):
    def compose(self) -> ComposeResult:
        yield FittedTable()

    def on_mount(self) -> None:
        table = self.query_one(FittedTable)
        table.add_column("Status", key="status")
        table.add_column("Reason", key="reason")
        table.add_row("planned", "", key="1")


def first_row(table: FittedTable) -> str:
    return "".join(segment.text for segment in table.render_line(1))


async def test_wider_rows_drawn_before_they_were_measured_show_whole() -> None:
    app = TableApp()
    async with app.run_test(size=(60, 8)) as pilot:
        await pilot.pause()
        table = app.query_one(FittedTable)
        table.clear()
        table.add_row("pending for now", "the invoice is paid", key="2")
        first_row(table)  # drawn now, as a busy screen may, before the table is next idle
        await pilot.pause()
        assert "pending for now" in first_row(table) and "the invoice is paid" in first_row(table)

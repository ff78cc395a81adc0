"""Totals as a right-aligned column of labelled amounts (subtotal, taxes, total; paid, balance)."""

from __future__ import annotations

from rich.table import Table
from textual.widgets import Static


class InvoiceTotals(Static):
    """``show([(label, amount text), ...])``: the last row is the one that matters, in bold."""

    DEFAULT_CSS = """
    InvoiceTotals { height: auto; width: 1fr; }
    """

    rows: list[tuple[str, str]] = []  # noqa: RUF012 (replaced, never mutated)

    def show(self, rows: list[tuple[str, str]], *, strong: int = 1) -> None:
        """Show ``rows``; the last ``strong`` rows in bold."""
        self.rows = rows
        table = Table.grid(padding=(0, 2), expand=True)
        table.add_column(justify="right", ratio=1)
        table.add_column(justify="right", min_width=14)
        for index, (label, amount) in enumerate(rows):
            style = "bold" if index >= len(rows) - strong else ""
            table.add_row(label, amount, style=style)
        self.update(table)

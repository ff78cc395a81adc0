"""``PlainTable``: a ``DataTable`` whose text cells show what was typed.

Textual reads a ``str`` cell as markup: a line description typed as ``[/b]`` would stop the table
from drawing, and ``[@click=app.screenshot(…)]`` would become a link running an action of the app.
Cells here come from staff, patients and servers' replies, so each ``str`` is made a plain
``Text`` first (the app also refuses actions from text: ``FacteurApp``).
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import DataTable
from textual.widgets.data_table import RowKey


def plain(cell: object) -> object:
    return Text(cell, end="") if isinstance(cell, str) else cell


class PlainTable(DataTable[Any]):
    """A ``DataTable`` that never reads its cells as markup."""

    def add_row(
        self, *cells: Any, height: int | None = 1, key: str | None = None, label: Any = None
    ) -> RowKey:
        return super().add_row(*(plain(cell) for cell in cells), height=height, key=key, label=label)

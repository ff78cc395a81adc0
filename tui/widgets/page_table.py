"""A light read-only table for lists read a page at a time: plain-text cells, one row cursor.

Textual's DataTable renders each visible cell through Rich (markup, a Text, a Padding, line
splitting) and drops its caches on every change: a new page cost ~60 ms to draw at 120x40, most
of a keystroke's budget in History. Here a row is a tuple of strings, cut or padded to fixed column
widths once, and each visible line is one segment: drawing a new page costs about a millisecond.
Keys, mouse and messages follow DataTable's (Enter selects, a header click asks to sort).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Literal

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size, Spacing
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

HEADER_HEIGHT = 1


def share_widths(
    space: int, fixed: dict[str, int], weights: dict[str, int], minimum: int = 6
) -> dict[str, int]:
    """Column widths: the ``fixed`` ones as given, the rest of ``space`` shared by ``weights``
    (each at least ``minimum``), so every column shows however narrow the terminal."""
    left = max(0, space - sum(fixed.values()))
    total = sum(weights.values()) or 1
    shared = {key: max(minimum, left * weight // total) for key, weight in weights.items()}
    return {**fixed, **shared}


@dataclass
class Column:
    key: str
    label: str
    width: int
    align: Literal["left", "right"] = "left"


@dataclass(frozen=True)
class Row:
    key: str
    cells: tuple[str, ...]


class PageTable(ScrollView, can_focus=True):
    """Rows under a fixed header; ``replace_rows`` shows a new first page, ``append_rows`` the next."""

    DEFAULT_CSS = """
    PageTable {
        background: $surface;
        color: $foreground;
        height: auto;
        max-height: 100%;
        &:focus {
            background-tint: $foreground 5%;
            & > .page-table--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
            & > .page-table--header {
                background-tint: $foreground 5%;
            }
        }
        &:dark > .page-table--even-row {
            background: $surface-darken-1 40%;
        }
        & > .page-table--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        &:ansi > .page-table--header {
            background: ansi_bright_blue;
            color: ansi_default;
        }
        & > .page-table--even-row {
            background: $surface-lighten-1 50%;
        }
        & > .page-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        & > .page-table--hover {
            background: $block-hover-background;
        }
    }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "page-table--header",
        "page-table--even-row",
        "page-table--cursor",
        "page-table--hover",
    }
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", show=False),
        Binding("up", "cursor_up", show=False),
        Binding("down", "cursor_down", show=False),
        Binding("pageup", "page_up", show=False),
        Binding("pagedown", "page_down", show=False),
        Binding("home,ctrl+home", "first_row", show=False),
        Binding("end,ctrl+end", "last_row", show=False),
    ]

    class RowHighlighted(Message):
        """The cursor moved to ``cursor_row``."""

        def __init__(self, table: PageTable, cursor_row: int, row_key: str) -> None:
            super().__init__()
            self.table, self.cursor_row, self.row_key = table, cursor_row, row_key

        @property
        def control(self) -> PageTable:
            return self.table

    class RowSelected(Message):
        """Enter, or a click on the highlighted row."""

        def __init__(self, table: PageTable, cursor_row: int, row_key: str) -> None:
            super().__init__()
            self.table, self.cursor_row, self.row_key = table, cursor_row, row_key

        @property
        def control(self) -> PageTable:
            return self.table

    class HeaderSelected(Message):
        """A click on a column's title."""

        def __init__(self, table: PageTable, column_key: str) -> None:
            super().__init__()
            self.table, self.column_key = table, column_key

        @property
        def control(self) -> PageTable:
            return self.table

    def __init__(self, *, cell_padding: int = 1, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.cell_padding = cell_padding
        self.columns: list[Column] = []
        self.rows: list[Row] = []
        self.cursor_row = 0
        self._lines: list[str] = []  # each row's cells fitted to the columns, joined
        self._hover: int | None = None  # the row under the mouse

    # Content ------------------------------------------------------------------------

    def set_columns(self, columns: Sequence[Column]) -> None:
        """New columns (widths, labels); the rows already shown are laid out again."""
        self.columns = list(columns)
        self._lines = [self._fit_row(row) for row in self.rows]
        self._resize()

    def set_labels(self, labels: dict[str, str]) -> None:
        for column in self.columns:
            column.label = labels.get(column.key, column.label)
        self.refresh(Region(0, 0, self.size.width, HEADER_HEIGHT))  # the header does not scroll

    def replace_rows(self, rows: Sequence[Row], *, keep_cursor: bool = False) -> bool:
        """Show ``rows`` instead; the cursor goes to the top unless ``keep_cursor``.

        Returns whether anything changed: the same rows again are not drawn again.
        """
        rows = list(rows)
        if rows == self.rows:
            return False
        self.rows = rows
        self._lines = [self._fit_row(row) for row in rows]
        if keep_cursor:
            self.cursor_row = max(0, min(self.cursor_row, len(rows) - 1))
        else:
            self.cursor_row = 0
            self.scroll_to(y=0, animate=False, immediate=True)
        self._resize()
        self.refresh()
        return True

    def append_rows(self, rows: Sequence[Row]) -> None:
        self.rows.extend(rows)
        self._lines.extend(self._fit_row(row) for row in rows)
        self._resize()
        self.refresh()

    @property
    def row_count(self) -> int:
        return len(self.rows)

    @property
    def cursor_key(self) -> str | None:
        """The highlighted row's key, if there are rows."""
        return self.rows[self.cursor_row].key if self.rows else None

    def _resize(self) -> None:
        width = sum(column.width + 2 * self.cell_padding for column in self.columns)
        self.virtual_size = Size(width, HEADER_HEIGHT + len(self.rows))

    def _fit_row(self, row: Row) -> str:
        return "".join(self._fit(cell, column) for cell, column in zip(row.cells, self.columns, strict=False))

    def _fit(self, text: str, column: Column) -> str:
        """``text`` on one line, cut (an ellipsis says so) or padded to the column's width, with the
        cell padding."""
        text = " ".join(text.split()) if "\n" in text or "\t" in text else text
        pad = " " * self.cell_padding
        length = cell_len(text)
        if length > column.width and column.width > 1:
            text = set_cell_size(text.rstrip(), column.width - 1) + "…"
        elif column.align == "right" and length < column.width:
            text = " " * (column.width - length) + text
        return pad + set_cell_size(text, column.width) + pad

    # Drawing ------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        scroll_x, scroll_y = self.scroll_offset
        if y < HEADER_HEIGHT:
            return self._header_line(scroll_x, width)
        index = y - HEADER_HEIGHT + scroll_y
        if index >= len(self.rows):
            return Strip.blank(width, self.rich_style)
        style = self.rich_style
        if index % 2 == 0:
            style += self.get_component_rich_style("page-table--even-row")
        if index == self._hover:
            style += self.get_component_rich_style("page-table--hover")
        if index == self.cursor_row:
            style += self.get_component_rich_style("page-table--cursor")
        style += Style.from_meta({"row": index})
        line = Strip([Segment(self._lines[index], style)])
        return line.crop_extend(scroll_x, scroll_x + width, style)

    def _header_line(self, scroll_x: int, width: int) -> Strip:
        style = self.rich_style + self.get_component_rich_style("page-table--header")
        segments = [
            Segment(
                self._fit(column.label, Column(column.key, column.label, column.width)),
                style + Style.from_meta({"column": i}),
            )
            for i, column in enumerate(self.columns)
        ]
        return Strip(segments).crop_extend(scroll_x, scroll_x + width, style)

    def _row_region(self, index: int) -> Region:
        return Region(0, HEADER_HEIGHT + index, self.virtual_size.width, 1)

    def _refresh_row(self, index: int | None) -> None:
        if index is not None and 0 <= index < len(self.rows):
            self.refresh_line(HEADER_HEIGHT + index)  # a virtual line: the scroll is taken off

    # The cursor -----------------------------------------------------------------------

    def move_cursor(self, row: int, *, scroll: bool = True) -> None:
        """Highlight ``row`` (kept within the rows) and tell the parent."""
        if not self.rows:
            return
        row = max(0, min(row, len(self.rows) - 1))
        previous, self.cursor_row = self.cursor_row, row
        self._refresh_row(previous)
        self._refresh_row(row)
        if scroll:
            self.scroll_to_region(
                self._row_region(row),
                animate=False,
                spacing=Spacing(HEADER_HEIGHT, 0, 0, 0),
                force=True,
                immediate=True,
            )
        self.post_message(self.RowHighlighted(self, row, self.rows[row].key))

    def _page_height(self) -> int:
        return max(1, self.scrollable_content_region.height - HEADER_HEIGHT)

    def action_cursor_up(self) -> None:
        self.move_cursor(self.cursor_row - 1)

    def action_cursor_down(self) -> None:
        self.move_cursor(self.cursor_row + 1)

    def action_page_up(self) -> None:
        self.move_cursor(self.cursor_row - self._page_height())

    def action_page_down(self) -> None:
        self.move_cursor(self.cursor_row + self._page_height())

    def action_first_row(self) -> None:
        self.move_cursor(0)

    def action_last_row(self) -> None:
        self.move_cursor(len(self.rows) - 1)

    def action_select_cursor(self) -> None:
        if self.rows:
            self.post_message(self.RowSelected(self, self.cursor_row, self.rows[self.cursor_row].key))

    # The mouse ------------------------------------------------------------------------

    async def _on_click(self, event: events.Click) -> None:
        meta = event.style.meta
        if "column" in meta:
            self.post_message(self.HeaderSelected(self, self.columns[meta["column"]].key))
        elif "row" in meta:
            event.stop()
            if meta["row"] == self.cursor_row:
                self.action_select_cursor()
            else:
                self.move_cursor(meta["row"])

    def _on_mouse_move(self, event: events.MouseMove) -> None:
        row = event.style.meta.get("row")
        if row != self._hover:
            previous, self._hover = self._hover, row
            self._refresh_row(previous)
            self._refresh_row(row)

    def _on_leave(self, event: events.Leave) -> None:
        previous, self._hover = self._hover, None
        self._refresh_row(previous)

"""``KeyFooter``: Textual's footer, compact, on as many rows as its keys need.

Textual's ``Footer`` is one row: on an 80-column terminal the keys past the right edge were simply
not shown (in French, F6 onwards on the main screen). This one lays its keys out on a grid of up to
``MAX_ROWS`` rows when one row is too narrow for them, so every key stays in sight.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from rich.cells import cell_len
from textual import events
from textual.app import ComposeResult
from textual.widget import Widget
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

MAX_ROWS = 3  # past this the keys cost the screen more than they help: the last ones scroll


def key_width(key: FooterKey) -> int:
    """Cells a compact key takes: its key, a space and its description, then a one-cell margin."""
    description = f" {key.description}" if key.description else ""
    return cell_len(key.key_display) + cell_len(description) + 1


def grid_width(widths: Sequence[int], columns: int) -> int:
    """The width of ``widths`` laid out row after row in ``columns`` columns as wide as their widest."""
    return sum(max(widths[start::columns]) for start in range(min(columns, len(widths))))


def rows_needed(widths: Sequence[int], available: int, max_rows: int = MAX_ROWS) -> int:
    """The fewest rows (up to ``max_rows``) on which ``widths`` fit in ``available`` cells."""
    rows = 1
    while rows < max_rows and grid_width(widths, math.ceil(len(widths) / rows)) > available:
        rows += 1
    return rows


class KeyFooter(Footer):
    """A compact footer that wraps its keys onto more rows when the terminal is too narrow."""

    DEFAULT_CSS = """
    KeyFooter.-rows {
        layout: grid;
        grid-columns: auto;
        grid-rows: 1;
        grid-gutter: 0 0;
        /* a grid column is as wide as its widest key: the space after a key is its own padding */
        FooterKey {
            margin-right: 0;
            padding-right: 1;
        }
    }
    """

    def __init__(self) -> None:
        super().__init__(compact=True, show_command_palette=False)
        self._laid_out_for = 0

    def compose(self) -> ComposeResult:
        items = list(super().compose())
        self._arrange(items)
        yield from items

    def _arrange(self, items: Iterable[Widget]) -> None:
        keys = [item for item in items if isinstance(item, FooterKey)]
        available = self.app.size.width  # docked at the bottom of a screen: as wide as the terminal
        self._laid_out_for = available
        widths = [key_width(key) for key in keys]
        rows = rows_needed(widths, available) if widths else 1
        self.set_class(rows > 1, "-rows")
        self.styles.height = rows
        if rows > 1:
            self.styles.grid_size_columns = math.ceil(len(keys) / rows)
            self.styles.grid_size_rows = rows

    def on_resize(self, event: events.Resize) -> None:
        if self.app.size.width != self._laid_out_for:  # the terminal was resized
            self.call_after_refresh(self.recompose)

"""``FittedTable``: a ``DataTable`` whose cells are drawn again once new rows have widened their columns.

Textual's ``DataTable`` (8.2) measures the rows added to it when it is next idle, and keeps the cells
it drew meanwhile. On a busy machine the screen may draw it between the two: the new rows then stay
cut at the old widths ("en atten" for "en attente") until the next change, the cursor's move or a
resize. This table drops those cells once the widths are known. It reaches into two private methods
of ``DataTable``; a Textual upgrade that renames them fails ``tests/tui/test_fitted_table.py``.
"""

from __future__ import annotations

from collections.abc import Iterable

from textual.widgets.data_table import RowKey

from tui.widgets.plain_table import PlainTable


class FittedTable(PlainTable):
    """A ``DataTable`` of text whose columns fit the rows it shows, however busy the machine."""

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        super()._update_dimensions(new_rows)
        self._clear_caches()  # the cells drawn before the new rows were measured

"""PageTable on its own: cells fitted to their columns, the cursor, keys, mouse and its messages."""

from __future__ import annotations

from typing import Any

from textual.app import App, ComposeResult

from tui.widgets.page_table import Column, PageTable, Row, share_widths

COLUMNS = [Column("name", "Name", 8), Column("amount", "Amount", 7, "right")]


def rows(count: int, start: int = 0) -> list[Row]:
    return [Row(str(i), (f"Name {i}", f"{i},00 $")) for i in range(start, start + count)]


class TableApp(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[str, Any]] = []

    def compose(self) -> ComposeResult:
        yield PageTable(id="table", cell_padding=1)

    def on_mount(self) -> None:
        table = self.query_one(PageTable)
        table.set_columns(COLUMNS)
        table.replace_rows(rows(30))
        table.focus()

    def on_page_table_row_highlighted(self, message: PageTable.RowHighlighted) -> None:
        self.seen.append(("highlighted", message.row_key))

    def on_page_table_row_selected(self, message: PageTable.RowSelected) -> None:
        self.seen.append(("selected", message.row_key))

    def on_page_table_header_selected(self, message: PageTable.HeaderSelected) -> None:
        self.seen.append(("header", message.column_key))


def text_of(table: PageTable, y: int) -> str:
    return "".join(segment.text for segment in table.render_line(y))


async def test_cells_are_cut_with_an_ellipsis_padded_and_aligned() -> None:
    app = TableApp()
    async with app.run_test(size=(40, 10)) as pilot:
        table = app.query_one(PageTable)
        table.replace_rows([Row("a", ("Bélanger-Côté, Élise", "5,00 $")), Row("b", ("Roy", "1 234,56 $"))])
        await pilot.pause()
        assert text_of(table, 0).startswith(" Name      Amount  ")
        assert text_of(table, 1).startswith(" Bélange…   5,00 $ ")  # cut to 8 with "…"; money right-aligned
        assert text_of(table, 2).startswith(" Roy       1 234,… ")
        assert len(text_of(table, 1)) == 40  # drawn to the widget's width


async def test_keys_move_the_cursor_and_enter_selects() -> None:
    app = TableApp()
    async with app.run_test(size=(40, 10)) as pilot:
        table = app.query_one(PageTable)
        await pilot.press("down", "down", "enter")
        assert table.cursor_row == 2 and table.cursor_key == "2"
        assert app.seen == [("highlighted", "1"), ("highlighted", "2"), ("selected", "2")]
        await pilot.press("pagedown")
        assert table.cursor_row > 2 and table.scroll_y > 0  # scrolled to keep the cursor in view
        await pilot.press("end")
        assert table.cursor_row == 29
        await pilot.press("home", "up")
        assert table.cursor_row == 0 and table.scroll_y == 0


async def test_a_click_highlights_then_selects_and_a_header_click_asks_to_sort() -> None:
    app = TableApp()
    async with app.run_test(size=(40, 10)) as pilot:
        table = app.query_one(PageTable)
        await pilot.click(PageTable, offset=(3, 3))  # the third row
        assert table.cursor_row == 2 and app.seen[-1] == ("highlighted", "2")
        await pilot.click(PageTable, offset=(3, 3))
        assert app.seen[-1] == ("selected", "2")
        await pilot.click(PageTable, offset=(12, 0))  # "Amount"
        assert app.seen[-1] == ("header", "amount")


async def test_the_same_rows_are_not_drawn_again_and_pages_append() -> None:
    app = TableApp()
    async with app.run_test(size=(40, 10)) as pilot:
        table = app.query_one(PageTable)
        await pilot.press("down", "down")
        assert table.replace_rows(rows(30), keep_cursor=True) is False  # nothing changed
        table.append_rows(rows(10, start=30))
        assert table.row_count == 40 and table.cursor_row == 2
        assert table.replace_rows(rows(5)) is True  # a new search: back to the top
        assert table.cursor_row == 0 and table.virtual_size.height == 6  # the header and 5 rows
        assert table.replace_rows(rows(3), keep_cursor=True) and table.cursor_row == 0
        table.replace_rows([])
        assert table.cursor_key is None
        await pilot.press("down", "enter")  # no rows: nothing to highlight or select
        assert app.seen[-1] == ("highlighted", "2")


def test_widths_share_what_fixed_columns_leave_and_never_vanish() -> None:
    assert share_widths(60, {"code": 7}, {"name": 2, "email": 1}) == {"code": 7, "name": 35, "email": 17}
    assert share_widths(10, {"code": 7, "lang": 6}, {"name": 1}) == {"code": 7, "lang": 6, "name": 6}

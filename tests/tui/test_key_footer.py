"""The footer keeps every key in sight on a narrow terminal (``tui.widgets.key_footer``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from testbed.textual_private import FooterKey
from tui.widgets.key_footer import KeyFooter, grid_width, rows_needed

from .settling import settle


def test_rows_grow_until_the_keys_fit() -> None:
    widths = [13, 17, 18, 11, 8, 20, 11]  # the main screen's keys in French, margins included
    assert rows_needed(widths, 200) == 1
    assert rows_needed(widths, 80) == 2
    assert grid_width(widths, 4) <= 80
    assert rows_needed([30] * 12, 80) == 3  # never more than three rows: the rest scrolls


@pytest.mark.parametrize("language", ["fr", "en"])
async def test_every_key_of_the_main_screen_shows_at_80_columns(
    make_app: Callable[..., Any], language: str
) -> None:
    app = make_app("admin" if language == "fr" else "clerk")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        footer = app.screen.query_one(KeyFooter)
        keys = list(footer.query(FooterKey))
        assert {key.key for key in keys} >= {"f5", "f6", "f7", "f9", "ctrl+n", "ctrl+q"}
        for key in keys:  # inside the terminal, each wholly
            region = key.region
            assert region.width >= len(key.key_display) + len(key.description) + 1
            assert region.x >= 0 and region.right <= 80
        assert footer.region.height == len({key.region.y for key in keys}) > 1
        await pilot.resize_terminal(160, 30)
        await settle(pilot)
        assert app.screen.query_one(KeyFooter).region.height == 1  # wide enough: one row

"""Live wording: an edited override catalog shows in the running TUI; a broken one is refused, admins told."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from textual.widgets import TabbedContent

from locales import configure
from models.core.config import LocalesSettings
from testbed.textual_private import notifications

HEADER = 'msgid ""\nmsgstr ""\n"Language: fr\\n"\n"Content-Type: text/plain; charset=UTF-8\\n"\n'


def write_fr(folder: Path, body: str) -> Path:
    path = folder / "fr" / "LC_MESSAGES" / "facteur.po"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER + body, encoding="utf-8")
    return path


async def until(condition: Callable[[], bool], seconds: float = 2.0) -> bool:
    for _ in range(int(seconds / 0.05)):
        if condition():
            return True
        await asyncio.sleep(0.05)
    return condition()


async def test_an_edit_shows_within_2_seconds_and_a_broken_one_is_refused(
    make_app: Callable[..., object], tmp_path: Path
) -> None:
    override = tmp_path / "wording"
    write_fr(override, '\nmsgid "History"\nmsgstr "Historique"\n')
    app = make_app("admin", locales=LocalesSettings(override_dir=str(override), watch=True))
    try:
        async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
            await pilot.pause(0.3)
            tab = app.screen.query_one(TabbedContent).get_tab("history")
            write_fr(override, '\nmsgid "History"\nmsgstr "Factures passées"\n')
            assert await until(lambda: str(tab.label) == "F3 Factures passées")
            write_fr(override, '\nmsgid "History"\nmsgstr "Factures {oups}"\n')
            assert await until(lambda: any("facteur.po" in n for n in notifications(app)))
            assert str(tab.label) == "F3 Factures passées"  # the last good wording keeps serving
    finally:
        configure(None)

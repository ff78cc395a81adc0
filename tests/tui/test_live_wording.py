"""Live wording: an edited override catalog shows in the running TUI; a broken one is refused, admins told."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual.widgets import TabbedContent

from locales import configure
from models.core.config import LocalesSettings
from testbed.textual_private import notifications

from .settling import until

HEADER = 'msgid ""\nmsgstr ""\n"Language: fr\\n"\n"Content-Type: text/plain; charset=UTF-8\\n"\n'


def write_fr(folder: Path, body: str) -> Path:
    path = folder / "fr" / "LC_MESSAGES" / "facteur.po"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER + body, encoding="utf-8")
    return path


async def test_an_edit_shows_in_the_running_app_and_a_broken_one_is_refused(
    make_app: Callable[..., object], tmp_path: Path
) -> None:
    override = tmp_path / "wording"
    write_fr(override, '\nmsgid "History"\nmsgstr "Historique"\n')
    app = make_app("admin", locales=LocalesSettings(override_dir=str(override), watch=True))
    try:
        async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
            # the catalog watch runs for good: the app never settles, the conditions end the waits
            await until(pilot, lambda: bool(app.screen.query(TabbedContent)), settling=False)
            tab = app.screen.query_one(TabbedContent).get_tab("history")
            write_fr(override, '\nmsgid "History"\nmsgstr "Factures passées"\n')
            await until(pilot, lambda: str(tab.label) == "F3 Factures passées", settling=False)
            write_fr(override, '\nmsgid "History"\nmsgstr "Factures {oups}"\n')
            await until(pilot, lambda: any("facteur.po" in n for n in notifications(app)), settling=False)
            assert str(tab.label) == "F3 Factures passées"  # the last good wording keeps serving
    finally:
        configure(None)

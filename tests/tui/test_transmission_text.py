"""A transmission's detail as the TUI and the CLI show it (``tui.transmission_text``)."""

from __future__ import annotations

from locales import translator
from tui.transmission_text import detail_text


def test_a_reply_shows_its_code_once_beside_the_code_column() -> None:
    tr = translator("fr")
    assert detail_text("550 5.1.1 No such user here", tr, "550") == "5.1.1 No such user here"
    assert detail_text("550 5.1.1 No such user here", tr) == "550 5.1.1 No such user here"
    assert detail_text("5501 odd text", tr, "550") == "5501 odd text"  # only a whole leading code


def test_facteur_notes_come_in_the_reader_language() -> None:
    assert detail_text("written to the SMS file", translator("fr")) == "écrit dans le fichier des textos"
    assert detail_text("replaced", translator("en"), "201") == "replaced"
    assert detail_text(None, translator("fr")) == ""

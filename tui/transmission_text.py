"""A transmission's detail as a reader reads it (the TUI and the command line; no Textual here)."""

from __future__ import annotations

from locales import Translator


def detail_text(detail: str | None, tr: Translator) -> str:
    """Facteur's own notes are stored as msgids (``N_``) and come in the reader's language;
    a server's reply shows as the server wrote it."""
    text = " ".join((detail or "").split())
    return tr.gettext(text) if text else ""

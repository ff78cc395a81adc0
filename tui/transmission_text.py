"""A transmission's detail as a reader reads it (the TUI and the command line; no Textual here)."""

from __future__ import annotations

from locales import Translator


def detail_text(detail: str | None, tr: Translator, code: str | None = None) -> str:
    """Facteur's own notes are stored as msgids (``N_``) and come in the reader's language;
    a server's reply shows as the server wrote it, less its ``code`` where that is shown beside
    it already ("550" and "5.1.1 No such user", not "550 550 5.1.1 …")."""
    text = " ".join((detail or "").split())
    if code and text.startswith(f"{code} "):
        text = text[len(code) + 1 :]
    return tr.gettext(text) if text else ""

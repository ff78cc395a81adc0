"""Log lines that no value can forge: the formatter of the agent's and the portal's stderr."""

from __future__ import annotations

import logging
import unicodedata

# control characters, format characters (bidi overrides among them), line and paragraph separators
_HIDDEN = frozenset({"Cc", "Cf", "Zl", "Zp"})


def escape_controls(text: str) -> str:
    """``text`` with every control or invisible format character written as an escape (``\\n``,
    ``\\x1b``, ``\\u202e``), so a value a person typed cannot start a line of its own or reorder
    what a reader sees; other characters, non-breaking spaces included, are left as they are."""
    if text.isprintable():
        return text
    return "".join(
        char.encode("unicode_escape").decode("ascii") if unicodedata.category(char) in _HIDDEN else char
        for char in text
    )


class OneLineFormatter(logging.Formatter):
    """One event, one line: the message's control characters escaped (a traceback, added after
    it, keeps its lines)."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = escape_controls(record.message)
        return super().formatMessage(record)

"""The few places the TUI tests and benchmarks reach into Textual's private parts, kept together.

Textual offers no public way to read the toasts shown, to know that a ``DataTable`` has sized its
columns, to deliver a key as the terminal driver does, to read a widget's own bindings, to keep a
cursor from blinking, to name a footer's keys, or to tell its test pilot how finely to look for
idleness. When a Textual upgrade moves one of these, this
module is the one to fix (``make test-latest`` shows it).
"""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING, Any

from textual import _wait, events
from textual.binding import Binding
from textual.keys import REPLACED_KEYS, _character_to_key, _get_unicode_name_from_key
from textual.widget import Widget
from textual.widgets import DataTable, Input, TextArea
from textual.widgets._footer import FooterKey
from textual.widgets._select import SelectOverlay

if TYPE_CHECKING:
    import pytest

__all__ = [
    "FooterKey",
    "SelectOverlay",
    "bindings_for",
    "keep_cursors_lit",
    "notifications",
    "quick_idle",
    "send_key",
    "table_laid_out",
]


def quick_idle(monkeypatch: pytest.MonkeyPatch) -> None:
    """``Pilot.press`` and ``Pilot.pause`` wait for the process to be idle, looking in 20 ms windows
    (at least one per wait, two per key): a test that types and settles spends most of its time
    there. Windows of 5 ms keep the same test (under 5 % of a window's time spent working) and
    let the suite's thousands of waits end four times sooner."""
    monkeypatch.setattr(_wait, "SLEEP_GRANULARITY", 1 / 200)
    monkeypatch.setattr(_wait, "SLEEP_IDLE", 1 / 200 / 20)


def notifications(app: Any) -> list[str]:
    """The messages of the toasts the app shows now, oldest first."""
    return [str(notification.message) for notification in app._notifications]


def table_laid_out(table: DataTable[Any]) -> bool:
    """Whether ``table`` has sized its columns for every row it was given (it does when next idle)."""
    return not (table._require_update_dimensions or table._new_rows)


def bindings_for(widget: Widget, key: str) -> list[Binding]:
    """The bindings ``widget`` itself has for ``key`` (not its ancestors')."""
    return list(widget._bindings.key_to_bindings.get(key, []))


def send_key(app: Any, key: str) -> None:
    """Deliver ``key`` as the terminal driver does, without ``Pilot.press``'s wait for every widget
    to be idle after it: several in a row arrive as a burst, as from a fast typist or over SSH."""
    if len(key) == 1 and not key.isalnum():
        key = _character_to_key(key)
    try:
        char: str | None = unicodedata.lookup(_get_unicode_name_from_key(REPLACED_KEYS.get(key, key)))
    except KeyError:
        char = key if len(key) == 1 else None
    event = events.Key(key, char)
    event.set_sender(app)
    app._driver.send_message(event)


def keep_cursors_lit(monkeypatch: pytest.MonkeyPatch) -> None:
    """Inputs and text areas stop blinking for the test: their cursor stays lit."""
    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)
    monkeypatch.setattr(TextArea, "_toggle_cursor_blink_visible", lambda self: None)

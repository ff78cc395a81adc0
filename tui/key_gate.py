"""Keys typed in a burst reach the field they were typed for.

Textual hands each key to the focused widget's queue as soon as the app reads it. A key that moves
the focus (F3 switches tab, A opens the patient form, Enter opens an invoice, Ctrl+N a new one) is
acted on a few messages later, when the keys typed right after it were already handed to the widget
left behind: "a" then "Roy" typed fast on the patient list opened the form and lost "Roy" (or ran
the list's own keys). ``KeyGate`` holds the keys that follow a key the focused widget does not take
as text, until that key has settled: the screen on top is mounted and nothing waits in a queue
along the focus path (from the focused widget, or the screen, up to the app); then they go on, in
order, as if typed slowly. A screen still loading (a widget's ``loading`` spinner) has not settled: the new
invoice form focuses its patient field once its lists are read. Keys typed into a field (printable
ones, which it consumes) pass at once, so typing is never held up, and a hold never lasts more than
``MAX_HOLD``.
"""

from __future__ import annotations

from time import monotonic
from typing import Any

from textual import events
from textual.app import App
from textual.dom import DOMNode
from textual.timer import Timer
from textual.widget import Widget

# seconds: past this the held keys go on whatever the state (a safety net). A screen that reads its
# data took over 3 s to settle on a loaded 2-core machine, and the key held for it went to the
# screen below; a key arriving late is better than a key acted on by the wrong screen.
MAX_HOLD = 8.0
CHECK_EVERY = 0.01


class KeyGate:
    """Used by the app's ``on_event``: ``hold`` first, then ``passed`` for a key that went on."""

    def __init__(self, app: App[Any]) -> None:
        self.app = app
        self.held: list[events.Key] | None = None  # None: the gate is open
        self.deadline = 0.0
        self._timer: Timer | None = None

    def hold(self, event: events.Key) -> bool:
        """Keep ``event`` for later if a previous key has not settled; says whether it was kept."""
        if self.held is None:
            return False
        if self.settled():  # since the last check: no need to wait for the next one
            if not self.held:
                self._open()
                return False
            self.held.append(event)
            self._release()
            return True
        self.held.append(event)
        return True

    def passed(self, event: events.Key, focused: Widget | None) -> None:
        """``event`` went to ``focused``: close the gate unless it was typed into it as text."""
        if focused is not None and focused.check_consume_key(event.key, event.character):
            return
        self.held = []
        self.deadline = monotonic() + MAX_HOLD
        if self._timer is None:
            # On the app, not a screen: a screen pushed meanwhile would suspend a screen's timer.
            self._timer = self.app.set_interval(CHECK_EVERY, self._release_when_settled)
        else:
            self._timer.resume()

    def settled(self) -> bool:
        """Has the last key done what it does: the screen on top mounted, its messages handled?"""
        if not self.app.screen_stack:
            return True  # starting or closing: nothing to type into
        screen = self.app.screen
        if not screen.is_mounted or any(node.loading for node in screen.walk_children(Widget)):
            return False  # a screen reading its data focuses its field once it has it
        focused = screen.focused
        # A focus about to be set (``Widget.focus`` calls later) is a message in the app's queue.
        path: list[DOMNode] = [focused, *focused.ancestors] if focused else [screen, self.app]
        return all(node.message_queue_size == 0 for node in path)

    def _release_when_settled(self) -> None:
        if self.held is not None and (self.settled() or monotonic() >= self.deadline):
            self._release()

    def _open(self) -> list[events.Key]:
        held, self.held = self.held or [], None
        if self._timer is not None:
            self._timer.pause()
        return held

    def _release(self) -> None:
        for event in self._open():  # in order, behind nothing: every key typed meanwhile is among them
            self.app.post_message(event)

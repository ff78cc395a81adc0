"""A labelled form field that can show why its value was refused, in the reader's language."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Label, Static

from tui.session import StaffSession


class FormField(Vertical):
    """``label`` (a msgid) beside ``widget``; ``show_error(text)`` marks it and explains below."""

    DEFAULT_CSS = """
    FormField { height: auto; }
    FormField > Horizontal { height: auto; }
    FormField .field-label { width: 16; padding-right: 1; color: $text-muted; }
    FormField .field-error { display: none; color: $text-error; padding-left: 16; }
    FormField.-has-error .field-error { display: block; }
    FormField.-has-error .field-label { color: $text-error; text-style: bold; }
    FormField.-has-error Input { background: $error 25%; }
    """

    def __init__(self, label: str, widget: Widget, session: StaffSession, *, field: str) -> None:
        super().__init__(id=f"field-{field}")
        self.label_msgid = label
        self.widget = widget
        self.session = session
        self.field = field

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Label(self.session.tr.gettext(self.label_msgid), classes="field-label")
            yield self.widget
        yield Static("", classes="field-error", markup=False)

    def apply_texts(self) -> None:
        self.query_one(".field-label", Label).update(self.session.tr.gettext(self.label_msgid))

    def show_error(self, text: str | None) -> None:
        """Mark the field refused with ``text``, or clear the mark with ``None``."""
        self.query_one(".field-error", Static).update(text or "")
        self.set_class(text is not None, "-has-error")

"""What every Settings form shares: reading its fields, marking refusals, asking before leaving.

``SettingsForm`` is a mixin for a widget or screen made of ``FormField``s: ``snapshot()`` tells
whether anything changed since loaded or saved, ``mark(exc)`` shows a ``ValidationError`` on
its field (or as a notification when the field is not on the form). ``SettingsDialog`` is the
modal form the billing company and staff editors are: Ctrl+S saves in a worker and dismisses
with ``True``; Escape with changes asks first; a refusal keeps the dialog and what was typed.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.dom import DOMNode
from textual.markup import escape
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Select, TextArea

from locales import N_
from models.core.errors import ValidationError
from tui.session import StaffSession
from tui.texts import translate_bindings
from tui.widgets.invoice_billed_to import LANGUAGES
from tui.widgets.invoice_field import FormField
from tui.widgets.key_footer import KeyFooter
from tui.workers import error_text, run_db

NOT_SAVED = N_("Nothing was saved: please correct the marked fields")

__all__ = ["LANGUAGES", "NOT_SAVED", "SettingsDialog", "SettingsForm", "language_options"]


def language_options(session: StaffSession) -> list[tuple[str, str]]:
    return [(session.tr.gettext(label), code) for code, label in LANGUAGES]


def _value(widget: DOMNode) -> object:
    if isinstance(widget, TextArea):
        return widget.text
    if isinstance(widget, (Input, Checkbox, Select)):
        return widget.value
    return None


class SettingsForm:
    """Mixin for a DOM node holding ``FormField``s; ``session`` is the reader's."""

    session: StaffSession
    saved_state: tuple[object, ...] = ()

    def _fields(self) -> list[DOMNode]:
        node: DOMNode = self  # type: ignore[assignment]
        return [w for w in node.query("Input, Checkbox, Select, TextArea") if w.id]

    def snapshot(self) -> tuple[object, ...]:
        """Everything typed or chosen, by widget id."""
        return tuple((widget.id, _value(widget)) for widget in self._fields())

    def mark_unchanged(self) -> None:
        self.saved_state = self.snapshot()

    @property
    def dirty(self) -> bool:
        return self.snapshot() != self.saved_state

    def clear_marks(self) -> None:
        node: DOMNode = self  # type: ignore[assignment]
        for field in node.query(FormField):
            field.show_error(None)

    def mark(self, exc: BaseException) -> bool:
        """Show a refusal on its field; ``False`` when no field of this form is named by it."""
        node: DOMNode = self  # type: ignore[assignment]
        if not isinstance(exc, ValidationError):
            return False
        marked: list[FormField] = []
        for error in getattr(exc, "errors", [exc]):
            field = next(iter(node.query(f"#field-{error.field}").results(FormField)), None)
            if field is not None:
                field.show_error(error.render(self.session.tr))
                marked.append(field)
        if not marked:
            return False
        # The first refused field gets the focus, to be corrected first.
        focus = next(iter(marked[0].query("Input, Checkbox, Select, TextArea")), None)
        if focus is not None and focus.focusable:
            focus.focus()
        return True


class SettingsDialog(SettingsForm, ModalScreen[bool]):
    """A modal Settings form; subclasses compose ``fields()``, ``read()`` them and ``write_data()``."""

    CSS_PATH = "settings_form.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", N_("Save")),
        Binding("escape", "leave", N_("Back")),
    ]
    TITLE_MSGID = ""
    LEAVE_QUESTION = N_("Leave this form? Your changes have not been saved.")

    def __init__(self, session: StaffSession) -> None:
        super().__init__()
        self.session = session
        self.busy = False

    def compose(self) -> ComposeResult:
        tr = self.session.tr
        with Vertical(id="settings-dialog"):
            yield Label(f"[b]{escape(self.title_text())}[/b]", id="settings-dialog-title")
            with VerticalScroll(id="settings-dialog-fields"):
                yield from self.fields()
            with Horizontal(id="settings-dialog-buttons"):
                yield Button(
                    tr.gettext(N_("Save (Ctrl+S)")), id="settings-save", variant="primary", compact=True
                )
                yield Button(tr.gettext(N_("Cancel (Esc)")), id="settings-cancel", compact=True)
        yield KeyFooter()

    def title_text(self) -> str:
        return self.session.tr.gettext(self.TITLE_MSGID)

    def fields(self) -> ComposeResult:
        raise NotImplementedError

    def read(self) -> object:
        """The form's values, read on the UI thread before the worker starts."""
        raise NotImplementedError

    def on_mount(self) -> None:
        translate_bindings(self, self.session.tr)
        self.call_after_refresh(self.mark_unchanged)

    @on(Button.Pressed, "#settings-save")
    def save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#settings-cancel")
    def cancel_pressed(self) -> None:
        self.action_leave()

    def action_save(self) -> None:
        if self.busy:
            return
        self.busy = True
        self.save(self.read())

    @work(thread=True, exclusive=True, group="settings-dialog-save")
    def save(self, data: object) -> None:
        run_db(
            self,
            lambda: self.write_data(data),
            lambda _: self._saved(),
            tr=self.session.tr,
            failed=self._refused,
        )

    def write_data(self, data: object) -> None:
        """Save ``data`` (runs in a worker thread); raise what refuses it."""
        raise NotImplementedError

    def _refused(self, exc: BaseException) -> None:
        self.busy = False
        self.clear_marks()
        tr = self.session.tr
        title = tr.gettext(N_("Nothing was saved"))
        if self.mark(exc):
            self.notify(tr.gettext(NOT_SAVED), title=title, severity="error")
        else:
            self.notify(error_text(exc, tr), title=title, severity="error")

    def _saved(self) -> None:
        self.busy = False
        self.dismiss(True)

    def action_leave(self) -> None:
        if not self.dirty:
            self.dismiss(False)
            return
        from tui.dialogs.confirm import ConfirmDialog

        tr = self.session.tr
        dialog = ConfirmDialog(
            tr.gettext(self.LEAVE_QUESTION),
            tr.gettext(N_("Leave without saving")),
            tr.gettext(N_("Keep editing")),
        )
        self.app.push_screen(dialog, self._leave_answered)

    def _leave_answered(self, leave: bool | None) -> None:
        if leave:
            self.dismiss(False)

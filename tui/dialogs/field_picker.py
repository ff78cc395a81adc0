"""``FieldPicker``: the dynamic fields a template may show; dismisses with the chosen field's name.

For a subject only the fields a subject may show are offered (no personal detail in a subject); only
the fields of the template's kind are (a statement's, or an invoice's); for a text message only those
a text may show (``text_templates.SMS_FIELDS``: no document's link, no name).
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.markup import escape
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from locales import N_
from models.core.enums import TemplateKind
from models.messaging.template_fields import FIELDS, Field, fields_for
from models.messaging.text_templates import SMS_FIELDS
from tui.session import StaffSession


class FieldPicker(ModalScreen[str | None]):
    """↑/↓ and Enter pick a field; Escape picks nothing."""

    CSS_PATH = "field_picker.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss(None)", show=False)]

    def __init__(
        self, session: StaffSession, *, subject: bool, kind: str = TemplateKind.INVOICE, texting: bool = False
    ) -> None:
        super().__init__()
        self.session = session
        self.subject = subject
        self.kind = kind
        self.texting = texting

    def offered(self) -> tuple[Field, ...]:
        """The fields this part of this template may show."""
        if self.texting:
            return tuple(field for field in FIELDS if field.name in SMS_FIELDS)
        return tuple(field for field in fields_for(self.kind) if field.in_subject or not self.subject)

    def compose(self) -> ComposeResult:
        tr = self.session.tr
        if self.texting:
            title = N_("Insert a field in the text message")
        else:
            title = N_("Insert a field in the subject") if self.subject else N_("Insert a field")
        with Vertical(id="field-picker"):
            yield Label(f"[b]{escape(tr.gettext(title))}[/b]")
            yield OptionList(
                *(
                    Option(
                        f"{escape(tr.gettext(field.label))}  [dim]{{{{ {field.name} }}}}[/dim]", id=field.name
                    )
                    for field in self.offered()
                ),
                id="field-options",
            )
            yield Label(
                tr.gettext(N_("Enter inserts it where the cursor is; Escape goes back.")), classes="hint"
            )

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

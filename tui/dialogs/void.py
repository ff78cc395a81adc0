"""``VoidDialog``: why an invoice is voided, and a confirmation, since it cannot be undone.

Dismisses with the reason, or ``None`` when the person keeps the invoice (the focused default).
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from locales import N_
from models.core.validation import REQUIRED
from tui.session import StaffSession
from tui.widgets.invoice_field import FormField


class VoidDialog(ModalScreen[str | None]):
    """Void ``invoice_label`` (its number)? A reason is required."""

    CSS_PATH = "void.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "keep", show=False)]

    def __init__(self, session: StaffSession, invoice_label: str) -> None:
        super().__init__()
        self.session = session
        self.invoice_label = invoice_label

    def compose(self) -> ComposeResult:
        tr = self.session.tr
        with Vertical(id="void-box"):
            yield Static(
                tr.format(N_("Void invoice {invoice}?"), invoice=self.invoice_label), id="void-title"
            )
            yield Static(
                tr.gettext(
                    N_(
                        "Its number stays used; it can no longer be paid or sent. "
                        "This cannot be undone: make a new invoice if needed."
                    )
                ),
                id="void-warning",
            )
            yield FormField(N_("Reason"), Input(compact=True, id="void-reason"), self.session, field="reason")
            with Horizontal(id="void-buttons"):
                yield Button(tr.gettext(N_("Void the invoice")), id="void-yes", variant="error", compact=True)
                yield Button(tr.gettext(N_("Keep it")), id="void-no", compact=True)

    def on_mount(self) -> None:
        self.query_one("#void-reason", Input).focus()

    @on(Button.Pressed, "#void-yes")
    def confirm(self) -> None:
        reason = self.query_one("#void-reason", Input).value.strip()
        field = self.query_one(FormField)
        if not reason:
            field.show_error(self.session.tr.gettext(REQUIRED))
            self.query_one("#void-reason", Input).focus()
            return
        self.dismiss(reason)

    @on(Input.Submitted, "#void-reason")
    def reason_entered(self) -> None:
        # Enter in the reason moves to the decision instead of voiding at once.
        if self.query_one("#void-reason", Input).value.strip():
            self.query_one("#void-yes", Button).focus()
        else:
            self.confirm()

    @on(Button.Pressed, "#void-no")
    def action_keep(self) -> None:
        self.dismiss(None)

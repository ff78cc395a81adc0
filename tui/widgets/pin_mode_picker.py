"""``PinModePicker``: how the PIN of an invoice's secure link reaches the person, in the send dialog.

Three choices: a secure link with the PIN by SMS (to a cell phone, prefilled), a secure
link with a PIN the clinic hands over (prefilled with the insurance number's last six,
typed where there is none), or the PDF attached, offered only with the patient's consent
(otherwise the choice is disabled and the reason shown). Only the fields of the chosen
mode show. Posts ``PinModePicker.Changed`` when the mode changes.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, RadioButton, RadioSet, Static

from locales import N_
from models.core.enums import PinMode
from models.messaging.secure_link import MIN_TYPED_PIN
from tui.session import StaffSession
from tui.widgets.invoice_field import FormField

MODES = (PinMode.SMS, PinMode.INSTITUTION, PinMode.NONE)
LABELS = {
    PinMode.SMS: N_("Secure link, PIN by SMS"),
    PinMode.INSTITUTION: N_("Secure link, PIN handed over by the clinic"),
    PinMode.NONE: N_("PDF attached to the email"),
}
FIELDS = ("pin_mode", "phone", "pin")
SMS_HINT = N_("The agent makes the PIN when it sends and texts it here (the patient's file is unchanged).")


@dataclass(frozen=True)
class PinPrefill:
    """What the picker starts with, read from the invoice and its patient."""

    mode: PinMode
    phone: str  # the billed-to person's cell phone, blank when none is known
    institution_pin: str  # the insurance number's last six, blank when there is none
    attachment_allowed: bool
    patient_name: str


@dataclass(frozen=True)
class PinChoice:
    mode: PinMode
    phone: str | None
    pin: str | None


class PinModePicker(Vertical):
    """The PIN mode and the field it needs; ``choice`` reads it, ``show_error`` marks a refusal."""

    DEFAULT_CSS = """
    PinModePicker { height: auto; }
    PinModePicker RadioSet { width: 1fr; }
    PinModePicker .pin-hint { color: $text-muted; padding-left: 16; }
    """

    class Changed(Message):
        def __init__(self, mode: PinMode) -> None:
            super().__init__()
            self.mode = mode

    def __init__(self, session: StaffSession) -> None:
        super().__init__(id="send-pin-picker")
        self.session = session
        self.prefill: PinPrefill | None = None

    def compose(self) -> ComposeResult:
        tr, session = self.session.tr, self.session
        buttons = [
            RadioButton(tr.gettext(LABELS[mode]), id=f"pin-{mode.value}", compact=True) for mode in MODES
        ]
        yield FormField(
            N_("PIN"), RadioSet(*buttons, id="send-pin-mode", compact=True), session, field="pin_mode"
        )
        yield Static("", id="pin-none-reason", classes="pin-hint", markup=False)
        yield FormField(
            N_("Cell phone"), Input(id="send-phone", compact=True, max_length=32), session, field="phone"
        )
        yield FormField(
            N_("PIN to give"), Input(id="send-pin", compact=True, max_length=40), session, field="pin"
        )
        yield Static("", id="pin-hint", classes="pin-hint", markup=False)

    def fill(self, prefill: PinPrefill) -> None:
        """Show the invoice's defaults; the attachment is disabled, with the reason, without consent."""
        self.prefill = prefill
        tr = self.session.tr
        attach = self.query_one("#pin-none", RadioButton)
        attach.disabled = not prefill.attachment_allowed
        reason = self.query_one("#pin-none-reason", Static)
        reason.update(
            ""
            if prefill.attachment_allowed
            else tr.format(
                N_("PDF attached: not offered, {name} has not consented to attachments."),
                name=prefill.patient_name,
            )
        )
        reason.display = not prefill.attachment_allowed
        phone, pin = self.query_one("#send-phone", Input), self.query_one("#send-pin", Input)
        phone.value, pin.value = prefill.phone, prefill.institution_pin
        phone.placeholder = tr.gettext(N_("a cell phone, e.g. 514 555-1234"))
        pin.placeholder = tr.format(N_("at least {min} letters or digits"), min=MIN_TYPED_PIN)
        mode = prefill.mode if prefill.attachment_allowed or prefill.mode is not PinMode.NONE else PinMode.SMS
        with self.prevent(RadioSet.Changed):
            self.query_one(f"#pin-{mode.value}", RadioButton).value = True
        self._show(mode)

    @property
    def mode(self) -> PinMode:
        pressed = self.query_one("#send-pin-mode", RadioSet).pressed_button
        return PinMode((pressed.id or "pin-sms").removeprefix("pin-")) if pressed else PinMode.SMS

    @property
    def choice(self) -> PinChoice:
        mode = self.mode
        phone = self.query_one("#send-phone", Input).value if mode is PinMode.SMS else None
        pin = self.query_one("#send-pin", Input).value if mode is PinMode.INSTITUTION else None
        return PinChoice(mode, phone, pin)

    def show_error(self, field: str, text: str | None) -> bool:
        """Mark ``field`` (one of ``FIELDS``) with ``text``; False when it is not this picker's."""
        if field not in FIELDS:
            return False
        self.query_one(f"#field-{field}", FormField).show_error(text)
        return True

    def focus_field(self, field: str) -> None:
        target = {"pin_mode": "#send-pin-mode", "phone": "#send-phone", "pin": "#send-pin"}[field]
        self.query_one(target).focus()

    def clear_errors(self) -> None:
        for field in FIELDS:
            self.show_error(field, None)

    @on(RadioSet.Changed, "#send-pin-mode")
    def mode_changed(self, event: RadioSet.Changed) -> None:
        event.stop()
        self.clear_errors()
        self._show(self.mode)
        self.post_message(self.Changed(self.mode))

    @on(Input.Changed, "#send-phone")
    @on(Input.Changed, "#send-pin")
    def field_edited(self, event: Input.Changed) -> None:
        self.show_error("phone" if event.input.id == "send-phone" else "pin", None)

    def _show(self, mode: PinMode) -> None:
        """Only the chosen mode's field, and a line on what happens with it."""
        tr = self.session.tr
        self.query_one("#field-phone").display = mode is PinMode.SMS
        self.query_one("#field-pin").display = mode is PinMode.INSTITUTION
        if mode is PinMode.SMS:
            hint = tr.gettext(SMS_HINT)
        elif mode is PinMode.INSTITUTION:
            if self.prefill is not None and not self.prefill.institution_pin:
                hint = tr.format(
                    N_("No health insurance number: type a PIN of at least {min} letters or digits."),
                    min=MIN_TYPED_PIN,
                )
            else:
                hint = tr.gettext(
                    N_("Give this PIN to the patient; after sending you can print it on a slip.")
                )
        else:
            hint = tr.gettext(N_("The PDF goes in the email itself: no link, no PIN."))
        self.query_one("#pin-hint", Static).update(hint)

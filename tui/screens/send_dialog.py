"""``SendDialog``: what the invoice's and the statement's send dialogs share.

The email, the language, how the PIN reaches the patient (``PinModePicker``) and the personal
message, which follows the language and the mode until staff write their own; Send reads the
choices into a ``SendRequest`` and a worker queues it. Every refused field is marked in the
reader's language and what was typed stays; after an institution-PIN send the PIN to give is
shown (``handover_of``), with its slip to print. A dialog adds what is its own: the document it
reads (``read_draft``), queues (``enqueue``) and sums up (``summary``), and its extra fields.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Generic, TypeVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Select, Static, TextArea

from locales import N_
from models.core.enums import PinMode
from models.core.errors import ValidationError
from tui.dialogs.pin_handover import Handover, PinHandoverDialog
from tui.session import StaffSession
from tui.texts import translate_bindings
from tui.widgets.invoice_field import FormField
from tui.widgets.key_footer import KeyFooter
from tui.widgets.pin_mode_picker import PinModePicker, PinPrefill
from tui.workers import database_thread, error_text

if TYPE_CHECKING:
    from models.billing.invoice import Invoice
    from models.messaging.tables import OutboxMessage
    from models.people.clinic import Clinic
    from models.people.patient import Patient

FIELDS = ("email", "language", "message")


@dataclass(frozen=True, kw_only=True)
class Draft:
    """What every send dialog fills its fields with; a dialog's draft adds its own summary."""

    email: str
    language: str
    messages: dict[tuple[str, bool], str]  # the default personal message per language, attached or not
    pin: PinPrefill
    link_refusal: str | None = None  # why no payment link can be added (None: it can)


@dataclass(frozen=True)
class SendRequest:
    """What staff chose, read on the UI thread for the worker that queues it."""

    email: str
    language: str
    message: str
    pin_mode: PinMode
    pin: str | None
    phone: str | None
    payment_link: bool
    save_on_patient: bool = False  # only the invoice's dialog offers it
    in_window: bool = False  # it waits for the clinic's sending hours; else it goes at once


DraftT = TypeVar("DraftT", bound=Draft)
ResultT = TypeVar("ResultT")


class SendDialog(ModalScreen[ResultT | None], Generic[DraftT, ResultT]):
    """Recipient, language, PIN mode and personal message; Send queues the email and closes."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "send", N_("Send")),
        Binding("escape", "cancel", N_("Cancel")),
    ]
    HEADING: ClassVar[str]  # the dialog's title, marked with ``N_``
    LINK_NOTE: ClassVar[str]  # what the payment link does, shown when it can be added

    def __init__(self, session: StaffSession) -> None:
        super().__init__()
        self.session = session
        self.draft: DraftT | None = None
        self.sending = False

    def compose(self) -> ComposeResult:
        tr, session = self.session.tr, self.session
        with VerticalScroll(id="send-box"):
            yield Static(tr.gettext(self.HEADING), id="send-title")
            yield Static("", id="send-summary", markup=False)
            yield FormField(N_("Email"), Input(id="send-email", compact=True), session, field="email")
            yield from self.compose_after_email()
            languages = [(tr.gettext(N_("French")), "fr"), (tr.gettext(N_("English")), "en")]
            yield FormField(
                N_("Language"),
                Select(languages, allow_blank=False, value="fr", id="send-language", compact=True),
                session,
                field="language",
            )
            yield PinModePicker(session)
            yield FormField(
                N_("Message"), TextArea(id="send-message", compact=True), session, field="message"
            )
            yield Checkbox(tr.gettext(N_("Add a payment link")), id="send-link", compact=True)
            yield Static("", id="send-link-note", classes="hint", markup=False)
            yield Checkbox(
                tr.gettext(N_("Wait for the clinic's sending hours")), id="send-window", compact=True
            )
            with Horizontal(id="send-buttons"):
                yield Button(tr.gettext(N_("Send")), variant="primary", id="send-go", compact=True)
                yield from self.compose_buttons()
                yield Button(tr.gettext(N_("Cancel")), id="send-cancel", compact=True)
        yield KeyFooter()

    def compose_after_email(self) -> ComposeResult:
        """A dialog's own widgets under the email field; none by default."""
        yield from ()

    def compose_buttons(self) -> ComposeResult:
        """A dialog's own buttons between Send and Cancel; none by default."""
        yield from ()

    def on_mount(self) -> None:
        translate_bindings(self, self.session.tr)
        self.query_one("#send-box").loading = True
        self.load()

    # What each dialog reads, queues and shows of its own document.

    def read_draft(self) -> DraftT:
        """The draft, read in the load worker with the thread's connection open; raises a refusal."""
        raise NotImplementedError

    def enqueue(self, request: SendRequest) -> tuple[ResultT, Handover | None]:
        """Queue the email in the worker, with the thread's connection open: the result, and the
        PIN to hand over after an institution-PIN send (None otherwise)."""
        raise NotImplementedError

    def summary(self, draft: DraftT) -> str:
        """The line under the title: which document, for whom, how much."""
        raise NotImplementedError

    @work(thread=True, exclusive=True, group="send-load")
    def load(self) -> None:
        tr = self.session.tr
        try:
            with database_thread():
                draft = self.read_draft()
        except Exception as exc:  # a refusal or a database error becomes a notification
            self.app.call_from_thread(self._refuse, error_text(exc, tr))
            return
        self.app.call_from_thread(self._fill, draft)

    def _refuse(self, reason: str) -> None:
        self.notify(reason, severity="error", timeout=8)
        self.dismiss(None)

    def _fill(self, draft: DraftT) -> None:
        self.draft = draft
        self.query_one("#send-summary", Static).update(self.summary(draft))
        email = self.query_one("#send-email", Input)
        email.value = draft.email
        self.query_one("#send-language", Select).value = (
            draft.language if draft.language in ("fr", "en") else "fr"
        )
        self.query_one(PinModePicker).fill(draft.pin)
        self.query_one("#send-message", TextArea).text = self._default_message()
        self._offer_link(draft.link_refusal)
        self.query_one("#send-box").loading = False
        email.focus()

    def _offer_link(self, refusal: str | None) -> None:
        """The payment link is offered where it can be made; otherwise shown disabled with the reason."""
        self.query_one("#send-link", Checkbox).disabled = refusal is not None
        self.query_one("#send-link-note", Static).update(refusal or self.session.tr.gettext(self.LINK_NOTE))

    @on(Input.Changed, "#send-email")
    def email_edited(self) -> None:
        self.query_one("#field-email", FormField).show_error(None)

    def _default_message(self) -> str:
        """The default message in the chosen language, for an attachment or a link."""
        if self.draft is None:
            return ""
        language = self.query_one("#send-language", Select).value
        attached = self.query_one(PinModePicker).mode is PinMode.NONE
        return self.draft.messages.get((language if isinstance(language, str) else "fr", attached), "")

    @on(Select.Changed, "#send-language")
    @on(PinModePicker.Changed)
    def follow_defaults(self) -> None:
        """The default message follows the language and the mode, unless staff already wrote their own."""
        if self.draft is None:
            return
        message = self.query_one("#send-message", TextArea)
        if message.text.strip() in {text.strip() for text in self.draft.messages.values()} | {""}:
            message.text = self._default_message()

    @on(Button.Pressed, "#send-go")
    def action_send(self) -> None:
        if self.draft is None or self.sending:
            return
        self.sending = True
        self.query_one("#send-go", Button).disabled = True
        for field in FIELDS:
            self.query_one(f"#field-{field}", FormField).show_error(None)
        self.query_one(PinModePicker).clear_errors()
        self.queue(self.request())

    def request(self) -> SendRequest:
        """What staff chose, as the worker will queue it."""
        language = self.query_one("#send-language", Select).value
        choice = self.query_one(PinModePicker).choice
        link = self.query_one("#send-link", Checkbox)
        return SendRequest(
            email=self.query_one("#send-email", Input).value,
            language=language if isinstance(language, str) else "fr",
            message=self.query_one("#send-message", TextArea).text,
            pin_mode=choice.mode,
            pin=choice.pin,
            phone=choice.phone,
            payment_link=bool(link.value and not link.disabled),
            in_window=self.query_one("#send-window", Checkbox).value,
        )

    @work(thread=True, exclusive=True, group="send-queue")
    def queue(self, request: SendRequest) -> None:
        from models.core.errors import FieldErrors

        tr = self.session.tr
        try:
            with database_thread():
                result, handover = self.enqueue(request)
        except ValidationError as exc:
            errors = exc.errors if isinstance(exc, FieldErrors) else [exc]
            self.app.call_from_thread(self._invalid, [(error.field, error.render(tr)) for error in errors])
            return
        except Exception as exc:  # a refusal or a database error becomes a notification
            self.app.call_from_thread(self._failed, error_text(exc, tr))
            return
        if handover is not None:
            self.app.call_from_thread(self._hand_over, handover, result)
        else:
            self.app.call_from_thread(self.dismiss, result)

    def _hand_over(self, handover: Handover, result: ResultT) -> None:
        """The PIN to give, shown once; the dialog closes when staff close that."""
        self.app.push_screen(PinHandoverDialog(self.session, handover), lambda _: self.dismiss(result))

    def _invalid(self, refusals: list[tuple[str, str]]) -> None:
        """Mark every refused field, focus the first, and keep everything typed."""
        self.sending = False
        self.query_one("#send-go", Button).disabled = False
        picker = self.query_one(PinModePicker)
        for index, (field, reason) in enumerate(refusals):
            if picker.show_error(field, reason):
                if index == 0:
                    picker.focus_field(field)
                continue
            if self.mark_own_refusal(field, reason):
                continue
            target = field if field in FIELDS else "email"
            self.query_one(f"#field-{target}", FormField).show_error(reason)
            if index == 0:
                self.query_one(f"#send-{target}").focus()

    def mark_own_refusal(self, field: str, reason: str) -> bool:
        """Show a refusal of a field only this dialog has; False leaves it to the shared fields."""
        return False

    def _failed(self, reason: str) -> None:
        self.sending = False
        self.query_one("#send-go", Button).disabled = False
        self.notify(reason, severity="error", timeout=8)

    @on(Button.Pressed, "#send-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


def default_messages(message: Callable[[str, bool], str]) -> dict[tuple[str, bool], str]:
    """``message(language, attached)`` for each language and either way the document goes."""
    return {(lang, attached): message(lang, attached) for lang in ("fr", "en") for attached in (True, False)}


def pin_prefill(invoice: Invoice, patient: Patient, clinic: Clinic) -> PinPrefill:
    """How the PIN starts for a message filed under ``invoice``: the clinic's default mode, the
    phone it would text, the insurance number's last six, and whether attaching is allowed."""
    from models.messaging.pin_modes import attachment_allowed, institution_pin, prefilled_phone

    return PinPrefill(
        mode=PinMode(clinic.default_pin_mode),
        phone=prefilled_phone(invoice) or "",
        institution_pin=institution_pin(patient.health_insurance_number) or "",
        attachment_allowed=attachment_allowed(invoice),
        patient_name=patient.full_name,
    )


def handover_of(invoice: Invoice, queued: OutboxMessage, typed: str) -> Handover:
    """The PIN as it was hashed, and what the slip prints, in the patient's language."""
    from datetime import timedelta

    from locales.formatting import local_datetime
    from models.messaging.pin_modes import handover_pin

    clinic = invoice.billing_company.clinic
    until = local_datetime(queued.created_at + timedelta(days=clinic.link_days), clinic.timezone).date()
    return Handover(
        outbox_id=queued.id,
        number=invoice.number or "",
        patient_name=invoice.patient.full_name,
        pin=handover_pin(invoice, typed),
        language=queued.language,
        link_until=until,
        country=clinic.country,
        clinic_name=clinic.name,
        clinic_phone=_readable_phone(clinic.phone, clinic.country),
        clinic_email=clinic.email,
    )


def _readable_phone(number: str, country: str) -> str:
    """``+15145550100`` as people write it (``+1 514-555-0100``)."""
    import phonenumbers

    if not number:
        return ""
    try:
        parsed = phonenumbers.parse(number, country or None)
    except phonenumbers.NumberParseException:
        return number
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)

"""``SendInvoiceScreen``: send a billed invoice by email through the outbox.

The dialog only queues: it closes as soon as the message is in the outbox, online
or not, and the agent delivers it. A changed address is used for this message only,
unless staff tick "also save it on the patient's record". The invoice goes as a secure
link by default, its PIN by SMS or handed over by the clinic (``PinModePicker``); after
an institution-PIN send, the PIN to give is shown, with a slip to print.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Select, Static, TextArea

from locales import N_
from locales.formatting import format_money
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

FIELDS = ("email", "language", "message")


@dataclass(frozen=True)
class SendDraft:
    """What the dialog shows before staff change anything."""

    number: str
    billed_to_name: str
    email: str
    language: str
    balance: str
    patient_email: str | None  # None when the invoice is billed to a third party
    messages: dict[tuple[str, bool], str]  # the default personal message per language, attached or not
    pin: PinPrefill
    link_refusal: str | None = None  # why no payment link can be added (None: it can)


@dataclass(frozen=True)
class SendResult:
    outbox_id: int
    number: str
    email: str


class SendInvoiceScreen(ModalScreen[SendResult | None]):
    """Recipient, language and personal message; Send queues the email and closes."""

    CSS_PATH = "send_invoice.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "send", N_("Send")),
        Binding("escape", "cancel", N_("Cancel")),
    ]

    def __init__(self, session: StaffSession, invoice_id: int) -> None:
        super().__init__()
        self.session = session
        self.invoice_id = invoice_id
        self.draft: SendDraft | None = None
        self.sending = False

    def compose(self) -> ComposeResult:
        tr = self.session.tr
        with VerticalScroll(id="send-box"):
            yield Static(tr.gettext(N_("Send the invoice by email")), id="send-title")
            yield Static("", id="send-summary", markup=False)
            yield FormField(N_("Email"), Input(id="send-email", compact=True), self.session, field="email")
            yield Checkbox(
                tr.gettext(N_("Also save this address on the patient's record")),
                id="send-save",
                compact=True,
            )
            languages = [(tr.gettext(N_("French")), "fr"), (tr.gettext(N_("English")), "en")]
            yield FormField(
                N_("Language"),
                Select(languages, allow_blank=False, value="fr", id="send-language", compact=True),
                self.session,
                field="language",
            )
            yield PinModePicker(self.session)
            yield FormField(
                N_("Message"), TextArea(id="send-message", compact=True), self.session, field="message"
            )
            yield Checkbox(tr.gettext(N_("Add a payment link")), id="send-link", compact=True)
            yield Static("", id="send-link-note", classes="hint", markup=False)
            with Horizontal(id="send-buttons"):
                yield Button(tr.gettext(N_("Send")), variant="primary", id="send-go", compact=True)
                yield Button(tr.gettext(N_("Cancel")), id="send-cancel", compact=True)
        yield KeyFooter()

    def on_mount(self) -> None:
        translate_bindings(self, self.session.tr)
        self.query_one("#send-save", Checkbox).display = False
        self.query_one("#send-box").loading = True
        self.load()

    @work(thread=True, exclusive=True, group="send-load")
    def load(self) -> None:
        from models.billing.invoicing import find_invoice
        from models.links.payment_links import link_refusal, stripe_key_configured
        from models.messaging.pin_modes import attachment_allowed, institution_pin, prefilled_phone
        from models.workflow.sending import check_sendable, default_personal_message

        tr, config = self.session.tr, self.session.config
        try:
            with database_thread():
                invoice = find_invoice(f"#{self.invoice_id}")
                check_sendable(invoice)
                refusal = link_refusal(
                    invoice,
                    key_configured=stripe_key_configured(config),
                    key_variable=config.stripe.api_key_env,
                )
                patient = invoice.patient
                clinic = invoice.billing_company.clinic
                draft = SendDraft(
                    number=invoice.number or "",
                    billed_to_name=invoice.billed_to_name,
                    email=invoice.billed_to_email or "",
                    language=invoice.billed_to_language
                    or patient.language
                    or self.session.clinic.default_language,
                    balance=format_money(
                        invoice.balance_cents, invoice.currency, tr.language, self.session.country
                    ),
                    patient_email=None if invoice.third_party else (patient.email or ""),
                    messages={
                        (lang, attached): default_personal_message(invoice, lang, attached=attached)
                        for lang in ("fr", "en")
                        for attached in (True, False)
                    },
                    pin=PinPrefill(
                        mode=PinMode(clinic.default_pin_mode),
                        phone=prefilled_phone(invoice) or "",
                        institution_pin=institution_pin(patient.health_insurance_number) or "",
                        attachment_allowed=attachment_allowed(invoice),
                        patient_name=patient.full_name,
                    ),
                    link_refusal=refusal.render(tr) if refusal is not None else None,
                )
        except Exception as exc:  # a refusal or a database error becomes a notification
            self.app.call_from_thread(self._refuse, error_text(exc, tr))
            return
        self.app.call_from_thread(self._fill, draft)

    def _refuse(self, reason: str) -> None:
        self.notify(reason, severity="error", timeout=8)
        self.dismiss(None)

    def _fill(self, draft: SendDraft) -> None:
        self.draft = draft
        self.query_one("#send-summary", Static).update(
            self.session.tr.format(
                N_("Invoice {number} for {name}, balance {balance}"),
                number=draft.number,
                name=draft.billed_to_name,
                balance=draft.balance,
            )
        )
        email = self.query_one("#send-email", Input)
        email.value = draft.email
        self.query_one("#send-language", Select).value = (
            draft.language if draft.language in ("fr", "en") else "fr"
        )
        self.query_one(PinModePicker).fill(draft.pin)
        self.query_one("#send-message", TextArea).text = self._default_message()
        self._offer_link(draft.link_refusal)
        self.query_one("#send-box").loading = False
        self._offer_save()
        email.focus()

    def _offer_link(self, refusal: str | None) -> None:
        """The payment link is offered where it can be made; otherwise shown disabled with the reason."""
        self.query_one("#send-link", Checkbox).disabled = refusal is not None
        tr = self.session.tr
        note = refusal or tr.gettext(
            N_('A "Pay invoice" button for the balance, by Stripe; it works as long as a balance is due.')
        )
        self.query_one("#send-link-note", Static).update(note)

    def _offer_save(self) -> None:
        """Saving on the patient is offered when the patient is the recipient and the address differs."""
        if self.draft is None or self.draft.patient_email is None:
            return
        typed = self.query_one("#send-email", Input).value.strip().lower()
        self.query_one("#send-save", Checkbox).display = (
            bool(typed) and typed != self.draft.patient_email.lower()
        )

    @on(Input.Changed, "#send-email")
    def email_edited(self) -> None:
        self.query_one("#field-email", FormField).show_error(None)
        self._offer_save()

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
        picker = self.query_one(PinModePicker)
        picker.clear_errors()
        language = self.query_one("#send-language", Select).value
        save = self.query_one("#send-save", Checkbox)
        choice = picker.choice
        link = self.query_one("#send-link", Checkbox)
        self.queue(
            email=self.query_one("#send-email", Input).value,
            language=language if isinstance(language, str) else "fr",
            message=self.query_one("#send-message", TextArea).text,
            save_on_patient=bool(save.display and save.value),
            pin_mode=choice.mode,
            pin=choice.pin,
            phone=choice.phone,
            payment_link=bool(link.value and not link.disabled),
        )

    @work(thread=True, exclusive=True, group="send-queue")
    def queue(
        self,
        *,
        email: str,
        language: str,
        message: str,
        save_on_patient: bool,
        pin_mode: PinMode,
        pin: str | None,
        phone: str | None,
        payment_link: bool = False,
    ) -> None:
        from models.billing.invoicing import find_invoice
        from models.core.errors import FieldErrors
        from models.workflow.sending import enqueue_invoice_email

        tr = self.session.tr
        try:
            with database_thread():
                invoice = find_invoice(f"#{self.invoice_id}")
                queued = enqueue_invoice_email(
                    invoice,
                    email=email,
                    language=language,
                    message=message,
                    staff=self.session.staff,
                    update_patient=save_on_patient,
                    pin_mode=pin_mode,
                    pin=pin,
                    phone=phone,
                    payment_link=payment_link,
                )
                handover = handover_of(invoice, queued, pin or "") if pin is not None else None
        except ValidationError as exc:
            errors = exc.errors if isinstance(exc, FieldErrors) else [exc]
            self.app.call_from_thread(self._invalid, [(error.field, error.render(tr)) for error in errors])
            return
        except Exception as exc:  # a refusal or a database error becomes a notification
            self.app.call_from_thread(self._failed, error_text(exc, tr))
            return
        result = SendResult(queued.id, invoice.number or "", queued.recipient_email or email)
        if handover is not None:
            self.app.call_from_thread(self._hand_over, handover, result)
        else:
            self.app.call_from_thread(self.dismiss, result)

    def _hand_over(self, handover: Handover, result: SendResult) -> None:
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
            target = field if field in FIELDS else "email"
            self.query_one(f"#field-{target}", FormField).show_error(reason)
            if index == 0:
                self.query_one(f"#send-{target}").focus()

    def _failed(self, reason: str) -> None:
        self.sending = False
        self.query_one("#send-go", Button).disabled = False
        self.notify(reason, severity="error", timeout=8)

    @on(Button.Pressed, "#send-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


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

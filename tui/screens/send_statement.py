"""``SendStatementScreen``: send a statement of account to the patient through the outbox.

Modelled on the invoice's send dialog (``tui.screens.send_invoice``): the email (the patient's,
for this message only), the language, how the PIN reaches them (``PinModePicker``) and the personal
message, which follows the language and the mode until staff write their own. Every refused field is
marked in the reader's language and what was typed stays; after an institution-PIN send the PIN to
give is shown, with its slip to print.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import PurePath
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Select, Static, TextArea

from locales import N_
from locales.formatting import format_money
from models.core.enums import PinMode
from models.core.errors import FacteurError, ValidationError
from tui.dialogs.pin_handover import Handover, PinHandoverDialog
from tui.screens.send_invoice import handover_of
from tui.session import StaffSession
from tui.texts import translate_bindings
from tui.widgets.invoice_field import FormField
from tui.widgets.key_footer import KeyFooter
from tui.widgets.pin_mode_picker import PinModePicker, PinPrefill
from tui.workers import database_thread, error_text

FIELDS = ("email", "language", "message")


@dataclass(frozen=True)
class StatementDraft:
    """What the dialog shows before staff change anything."""

    reference: str
    patient_name: str
    email: str
    language: str
    due_now: str
    messages: dict[tuple[str, bool], str]  # the default personal message per language, attached or not
    pin: PinPrefill
    link_refusal: str | None = None  # why no Pay button can be added (None: it can)


@dataclass(frozen=True)
class StatementQueued:
    outbox_id: int
    reference: str
    email: str


class SendStatementScreen(ModalScreen[StatementQueued | None]):
    """Recipient, language, PIN mode and personal message; Send queues the email and closes."""

    # The invoice dialog's box, fields and buttons, then this screen's own placing.
    CSS_PATH: ClassVar[list[str | PurePath]] = ["send_invoice.tcss", "send_statement.tcss"]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "send", N_("Send")),
        Binding("escape", "cancel", N_("Cancel")),
    ]

    def __init__(self, session: StaffSession, statement_id: int) -> None:
        super().__init__()
        self.session = session
        self.statement_id = statement_id
        self.draft: StatementDraft | None = None
        self.sending = False

    def compose(self) -> ComposeResult:
        tr, session = self.session.tr, self.session
        with VerticalScroll(id="send-box"):
            yield Static(tr.gettext(N_("Send the statement of account by email")), id="send-title")
            yield Static("", id="send-summary", markup=False)
            yield FormField(N_("Email"), Input(id="send-email", compact=True), session, field="email")
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
            with Horizontal(id="send-buttons"):
                yield Button(tr.gettext(N_("Send")), variant="primary", id="send-go", compact=True)
                yield Button(tr.gettext(N_("Cancel")), id="send-cancel", compact=True)
        yield KeyFooter()

    def on_mount(self) -> None:
        translate_bindings(self, self.session.tr)
        self.query_one("#send-box").loading = True
        self.load()

    @work(thread=True, exclusive=True, group="send-statement-load")
    def load(self) -> None:
        from models.billing.statements import Statement, due_now, items_of
        from models.links.payment_links import link_refusal, stripe_key_configured
        from models.messaging.pin_modes import attachment_allowed, institution_pin, prefilled_phone
        from models.workflow.sending import default_statement_message
        from models.workflow.statement_sending import check_statement_payable

        tr, session, config = self.session.tr, self.session, self.session.config
        try:
            with database_thread():
                statement = Statement.get_by_id(self.statement_id)
                anchor = items_of(statement)[-1].invoice  # what the message is filed under
                patient = statement.patient
                clinic = statement.billing_company.clinic
                refusal: FacteurError | None = None
                if not stripe_key_configured(config):  # says so as the invoice's dialog does
                    refusal = link_refusal(
                        anchor, key_configured=False, key_variable=config.stripe.api_key_env
                    )
                else:
                    try:
                        check_statement_payable(statement)
                    except ValidationError as exc:
                        refusal = exc
                draft = StatementDraft(
                    reference=statement.reference,
                    patient_name=patient.full_name,
                    email=patient.email or "",
                    language=patient.language or session.clinic.default_language,
                    due_now=format_money(
                        due_now(statement), statement.currency, tr.language, session.country
                    ),
                    messages={
                        (lang, attached): default_statement_message(statement, lang, attached=attached)
                        for lang in ("fr", "en")
                        for attached in (True, False)
                    },
                    pin=PinPrefill(
                        mode=PinMode(clinic.default_pin_mode),
                        phone=prefilled_phone(anchor) or "",
                        institution_pin=institution_pin(patient.health_insurance_number) or "",
                        attachment_allowed=attachment_allowed(anchor),
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

    def _fill(self, draft: StatementDraft) -> None:
        self.draft = draft
        self.query_one("#send-summary", Static).update(
            self.session.tr.format(
                N_("Statement {reference} for {name}, owed now {amount}"),
                reference=draft.reference,
                name=draft.patient_name,
                amount=draft.due_now,
            )
        )
        email = self.query_one("#send-email", Input)
        email.value = draft.email
        self.query_one("#send-language", Select).value = (
            draft.language if draft.language in ("fr", "en") else "fr"
        )
        self.query_one(PinModePicker).fill(draft.pin)
        self.query_one("#send-message", TextArea).text = self._default_message()
        self.query_one("#send-link", Checkbox).disabled = draft.link_refusal is not None
        self.query_one("#send-link-note", Static).update(
            draft.link_refusal
            or self.session.tr.gettext(
                N_('A "Pay the balance" button, by Stripe, for what its invoices owe; oldest paid first.')
            )
        )
        self.query_one("#send-box").loading = False
        email.focus()

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
        picker = self.query_one(PinModePicker)
        picker.clear_errors()
        language = self.query_one("#send-language", Select).value
        choice = picker.choice
        link = self.query_one("#send-link", Checkbox)
        self.queue(
            email=self.query_one("#send-email", Input).value,
            language=language if isinstance(language, str) else "fr",
            message=self.query_one("#send-message", TextArea).text,
            pin_mode=choice.mode,
            pin=choice.pin,
            phone=choice.phone or "",  # "": none typed (``enqueue_statement`` would take the patient's)
            payment_link=bool(link.value and not link.disabled),
        )

    @work(thread=True, exclusive=True, group="send-statement-queue")
    def queue(
        self,
        *,
        email: str,
        language: str,
        message: str,
        pin_mode: PinMode,
        pin: str | None,
        phone: str,
        payment_link: bool,
    ) -> None:
        from models.billing.statements import Statement, items_of
        from models.core.errors import FieldErrors
        from models.workflow.statement_sending import enqueue_statement

        tr = self.session.tr
        try:
            with database_thread():
                statement = Statement.get_by_id(self.statement_id)
                queued = enqueue_statement(
                    statement,
                    email=email,
                    language=language,
                    message=message,
                    pin_mode=pin_mode,
                    pin=pin,
                    phone=phone,
                    staff=self.session.staff,
                    payment_link=payment_link,
                )
                handover: Handover | None = None
                if pin is not None:
                    anchor = items_of(statement)[-1].invoice
                    handover = replace(
                        handover_of(anchor, queued, pin), number=statement.reference, statement=True
                    )
        except ValidationError as exc:
            errors = exc.errors if isinstance(exc, FieldErrors) else [exc]
            self.app.call_from_thread(self._invalid, [(error.field, error.render(tr)) for error in errors])
            return
        except Exception as exc:  # a refusal or a database error becomes a notification
            self.app.call_from_thread(self._failed, error_text(exc, tr))
            return
        result = StatementQueued(queued.id, statement.reference, queued.recipient_email or email)
        if handover is not None:
            self.app.call_from_thread(self._hand_over, handover, result)
        else:
            self.app.call_from_thread(self.dismiss, result)

    def _hand_over(self, handover: Handover, result: StatementQueued) -> None:
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
            if field == "payment_link":  # no longer payable since the dialog opened
                self.query_one("#send-link-note", Static).update(reason)
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

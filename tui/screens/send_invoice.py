"""``SendInvoiceScreen``: send a billed invoice by email through the outbox.

The dialog only queues: it closes as soon as the message is in the outbox, online
or not, and the agent delivers it. A changed address is used for this message only,
unless staff tick "also save it on the patient's record". The invoice goes as a secure
link by default, its PIN by SMS or handed over by the clinic (``PinModePicker``); after
an institution-PIN send, the PIN to give is shown, with a slip to print. What it shares
with the statement's dialog is in ``tui.screens.send_dialog``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import PurePath
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Button, Checkbox, Input

from locales import N_
from locales.formatting import format_money
from tui.dialogs.pin_handover import Handover
from tui.screens.send_dialog import Draft, SendDialog, SendRequest, default_messages, handover_of, pin_prefill
from tui.session import StaffSession
from tui.workers import database_thread, error_text


@dataclass(frozen=True)
class SendDraft(Draft):
    """What the dialog shows before staff change anything."""

    number: str
    billed_to_name: str
    balance: str
    patient_email: str | None  # None when the invoice is billed to a third party
    text_refusal: str | None = None  # why the payment link cannot go by text (None: it can)


@dataclass(frozen=True)
class SendResult:
    outbox_id: int
    number: str
    email: str


class SendInvoiceScreen(SendDialog[SendDraft, SendResult]):
    """Recipient, language and personal message; Send queues the email and closes."""

    CSS_PATH: ClassVar[list[str | PurePath]] = ["send_dialog.tcss", "send_invoice.tcss"]
    BINDINGS: ClassVar[list[BindingType]] = [Binding("ctrl+t", "send_text", N_("Payment link by text"))]
    HEADING = N_("Send the invoice by email")
    LINK_NOTE = N_('A "Pay invoice" button for the balance, by Stripe; it works as long as a balance is due.')

    def __init__(self, session: StaffSession, invoice_id: int) -> None:
        super().__init__(session)
        self.invoice_id = invoice_id

    def compose_after_email(self) -> ComposeResult:
        save = Checkbox(
            self.session.tr.gettext(N_("Also save this address on the patient's record")),
            id="send-save",
            compact=True,
        )
        save.display = False  # offered once the address differs from the patient's (``_offer_save``)
        yield save

    def compose_buttons(self) -> ComposeResult:
        yield Button(
            self.session.tr.gettext(N_("Payment link by text (Ctrl+T)")), id="send-text", compact=True
        )

    def read_draft(self) -> SendDraft:
        from models.billing.invoicing import find_invoice
        from models.links.payment_links import link_refusal, stripe_key_configured
        from models.workflow.sending import check_sendable, default_personal_message
        from models.workflow.texting import NO_PAYMENT_TEXT, payment_text_template
        from models.workflow.texting import text_refusal as texting_refusal

        tr, config = self.session.tr, self.session.config
        invoice = find_invoice(f"#{self.invoice_id}")
        check_sendable(invoice)
        refusal = link_refusal(
            invoice,
            key_configured=stripe_key_configured(config),
            key_variable=config.stripe.api_key_env,
        )
        patient = invoice.patient
        text_refusal = None
        if payment_text_template() is None:
            text_refusal = tr.gettext(NO_PAYMENT_TEXT)
        elif (refused := texting_refusal(invoice) or refusal) is not None:
            text_refusal = refused.render(tr)
        return SendDraft(
            number=invoice.number or "",
            billed_to_name=invoice.billed_to_name,
            email=invoice.billed_to_email or "",
            language=invoice.billed_to_language or patient.language or self.session.clinic.default_language,
            balance=format_money(invoice.balance_cents, invoice.currency, tr.language, self.session.country),
            patient_email=None if invoice.third_party else (patient.email or ""),
            messages=default_messages(
                lambda lang, attached: default_personal_message(invoice, lang, attached=attached)
            ),
            pin=pin_prefill(invoice, patient, invoice.billing_company.clinic),
            link_refusal=refusal.render(tr) if refusal is not None else None,
            text_refusal=text_refusal,
        )

    def summary(self, draft: SendDraft) -> str:
        return self.session.tr.format(
            N_("Invoice {number} for {name}, balance {balance}"),
            number=draft.number,
            name=draft.billed_to_name,
            balance=draft.balance,
        )

    def _fill(self, draft: SendDraft) -> None:
        super()._fill(draft)
        self._offer_save()
        button = self.query_one("#send-text", Button)
        button.disabled = draft.text_refusal is not None
        button.tooltip = draft.text_refusal

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "send_text":
            return self.draft is not None and self.draft.text_refusal is None
        return True

    @on(Button.Pressed, "#send-text")
    def action_send_text(self) -> None:
        """The invoice's payment link by text instead of the email (``models.workflow.texting``)."""
        if self.draft is None or self.sending:
            return
        if self.draft.text_refusal is not None:
            self.notify(self.draft.text_refusal, severity="error")
            return
        self.sending = True
        self.query_one("#send-text", Button).disabled = True
        self.queue_text(self.query_one("#send-window", Checkbox).value)

    @work(thread=True, exclusive=True, group="send-queue")
    def queue_text(self, in_window: bool) -> None:
        from models.billing.invoicing import find_invoice
        from models.links.payment_links import stripe_key_configured
        from models.workflow.texting import send_payment_text

        tr, session = self.session.tr, self.session
        try:
            with database_thread():
                invoice = find_invoice(f"#{self.invoice_id}")
                queued = send_payment_text(
                    invoice,
                    staff=session.staff,
                    key_configured=stripe_key_configured(session.config),
                    in_window=in_window,
                )
        except Exception as exc:  # a refusal or a database error becomes a notification
            self.app.call_from_thread(self._text_refused, error_text(exc, tr))
            return
        result = SendResult(queued.id, invoice.number or "", queued.recipient_phone or "")
        self.app.call_from_thread(self.dismiss, result)

    def _text_refused(self, reason: str) -> None:
        self.sending = False
        self.query_one("#send-text", Button).disabled = False
        self.notify(reason, severity="error", timeout=8)

    @on(Input.Changed, "#send-email")
    def _offer_save(self) -> None:
        """Saving on the patient is offered when the patient is the recipient and the address differs."""
        if self.draft is None or self.draft.patient_email is None:
            return
        typed = self.query_one("#send-email", Input).value.strip().lower()
        self.query_one("#send-save", Checkbox).display = (
            bool(typed) and typed != self.draft.patient_email.lower()
        )

    def request(self) -> SendRequest:
        save = self.query_one("#send-save", Checkbox)
        return replace(super().request(), save_on_patient=bool(save.display and save.value))

    def enqueue(self, request: SendRequest) -> tuple[SendResult, Handover | None]:
        from models.billing.invoicing import find_invoice
        from models.workflow.sending import enqueue_invoice_email

        invoice = find_invoice(f"#{self.invoice_id}")
        queued = enqueue_invoice_email(
            invoice,
            email=request.email,
            language=request.language,
            message=request.message,
            staff=self.session.staff,
            update_patient=request.save_on_patient,
            pin_mode=request.pin_mode,
            pin=request.pin,
            phone=request.phone,
            payment_link=request.payment_link,
            in_window=request.in_window,
        )
        handover = handover_of(invoice, queued, request.pin) if request.pin is not None else None
        return SendResult(queued.id, invoice.number or "", queued.recipient_email or request.email), handover

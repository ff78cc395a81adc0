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

from textual import on
from textual.app import ComposeResult
from textual.widgets import Checkbox, Input

from locales import N_
from locales.formatting import format_money
from tui.dialogs.pin_handover import Handover
from tui.screens.send_dialog import Draft, SendDialog, SendRequest, default_messages, handover_of, pin_prefill
from tui.session import StaffSession


@dataclass(frozen=True)
class SendDraft(Draft):
    """What the dialog shows before staff change anything."""

    number: str
    billed_to_name: str
    balance: str
    patient_email: str | None  # None when the invoice is billed to a third party


@dataclass(frozen=True)
class SendResult:
    outbox_id: int
    number: str
    email: str


class SendInvoiceScreen(SendDialog[SendDraft, SendResult]):
    """Recipient, language and personal message; Send queues the email and closes."""

    CSS_PATH: ClassVar[list[str | PurePath]] = ["send_dialog.tcss", "send_invoice.tcss"]
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

    def read_draft(self) -> SendDraft:
        from models.billing.invoicing import find_invoice
        from models.links.payment_links import link_refusal, stripe_key_configured
        from models.workflow.sending import check_sendable, default_personal_message

        tr, config = self.session.tr, self.session.config
        invoice = find_invoice(f"#{self.invoice_id}")
        check_sendable(invoice)
        refusal = link_refusal(
            invoice,
            key_configured=stripe_key_configured(config),
            key_variable=config.stripe.api_key_env,
        )
        patient = invoice.patient
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

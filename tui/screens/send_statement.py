"""``SendStatementScreen``: send a statement of account to the patient through the outbox.

What it shares with the invoice's send dialog is in ``tui.screens.send_dialog``: the email (the
patient's, for this message only), the language, how the PIN reaches them (``PinModePicker``) and
the personal message, which follows the language and the mode until staff write their own. Every
refused field is marked in the reader's language and what was typed stays; after an institution-PIN
send the PIN to give is shown, with its slip to print. Its own: the "Pay the balance" button,
offered while the statement can be paid.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import PurePath
from typing import ClassVar

from textual.widgets import Static

from locales import N_
from locales.formatting import format_money
from models.core.errors import FacteurError, ValidationError
from tui.dialogs.pin_handover import Handover
from tui.screens.send_dialog import Draft, SendDialog, SendRequest, default_messages, handover_of, pin_prefill
from tui.session import StaffSession


@dataclass(frozen=True)
class StatementDraft(Draft):
    """What the dialog shows before staff change anything (``link_refusal``: why no Pay button)."""

    reference: str
    patient_name: str
    due_now: str


@dataclass(frozen=True)
class StatementQueued:
    outbox_id: int
    reference: str
    email: str


class SendStatementScreen(SendDialog[StatementDraft, StatementQueued]):
    """Recipient, language, PIN mode and personal message; Send queues the email and closes."""

    CSS_PATH: ClassVar[list[str | PurePath]] = ["send_dialog.tcss", "send_statement.tcss"]
    HEADING = N_("Send the statement of account by email")
    LINK_NOTE = N_('A "Pay the balance" button, by Stripe, for what its invoices owe; oldest paid first.')

    def __init__(self, session: StaffSession, statement_id: int) -> None:
        super().__init__(session)
        self.statement_id = statement_id

    def read_draft(self) -> StatementDraft:
        from models.billing.statements import Statement, due_now, items_of
        from models.links.payment_links import link_refusal, stripe_key_configured
        from models.workflow.sending import default_statement_message
        from models.workflow.statement_sending import check_statement_payable

        tr, session, config = self.session.tr, self.session, self.session.config
        statement = Statement.get_by_id(self.statement_id)
        anchor = items_of(statement)[-1].invoice  # what the message is filed under
        patient = statement.patient
        refusal: FacteurError | None = None
        if not stripe_key_configured(config):  # says so as the invoice's dialog does
            refusal = link_refusal(anchor, key_configured=False, key_variable=config.stripe.api_key_env)
        else:
            try:
                check_statement_payable(statement)
            except ValidationError as exc:
                refusal = exc
        return StatementDraft(
            reference=statement.reference,
            patient_name=patient.full_name,
            email=patient.email or "",
            language=patient.language or session.clinic.default_language,
            due_now=format_money(due_now(statement), statement.currency, tr.language, session.country),
            messages=default_messages(
                lambda lang, attached: default_statement_message(statement, lang, attached=attached)
            ),
            pin=pin_prefill(anchor, patient, statement.billing_company.clinic),
            link_refusal=refusal.render(tr) if refusal is not None else None,
        )

    def summary(self, draft: StatementDraft) -> str:
        return self.session.tr.format(
            N_("Statement {reference} for {name}, owed now {amount}"),
            reference=draft.reference,
            name=draft.patient_name,
            amount=draft.due_now,
        )

    def enqueue(self, request: SendRequest) -> tuple[StatementQueued, Handover | None]:
        from models.billing.statements import Statement, items_of
        from models.workflow.statement_sending import enqueue_statement

        statement = Statement.get_by_id(self.statement_id)
        queued = enqueue_statement(
            statement,
            email=request.email,
            language=request.language,
            message=request.message,
            pin_mode=request.pin_mode,
            pin=request.pin,
            phone=request.phone or "",  # "": none typed (``enqueue_statement`` would take the patient's)
            staff=self.session.staff,
            payment_link=request.payment_link,
            in_window=request.in_window,
        )
        handover: Handover | None = None
        if request.pin is not None:
            anchor = items_of(statement)[-1].invoice
            handover = replace(
                handover_of(anchor, queued, request.pin), number=statement.reference, statement=True
            )
        result = StatementQueued(queued.id, statement.reference, queued.recipient_email or request.email)
        return result, handover

    def mark_own_refusal(self, field: str, reason: str) -> bool:
        if field == "payment_link":  # no longer payable since the dialog opened
            self.query_one("#send-link-note", Static).update(reason)
            return True
        return False

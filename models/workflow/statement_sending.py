"""Sending a statement of account: to the patient, as an invoice goes (a secure link and its PIN, or
attached with their consent), filed under its newest invoice; its link carries the statement and
its invoices (``agent.statement_documents``) and replaces no link of theirs."""

from __future__ import annotations

from datetime import datetime

from locales import N_
from locales.formatting import Money
from models.billing.statements import Statement, current_invoices, due_now, items_of
from models.core.enums import MessageKind, PinMode
from models.core.errors import ValidationError
from models.links.payment_links import NO_ACCOUNT, stripe_minimum
from models.messaging.tables import OutboxMessage, Template
from models.people.clinic import Staff
from models.workflow.sending import enqueue_invoice_email


def enqueue_statement(
    statement: Statement,
    *,
    pin_mode: PinMode | str,
    email: str | None = None,
    language: str | None = None,
    message: str | None = None,
    pin: str | None = None,
    phone: str | None = None,
    staff: Staff | None = None,
    now: datetime | None = None,
    payment_link: bool = False,
    template: Template | None = None,
    attach_pdf: bool | None = None,
    in_window: bool = False,
) -> OutboxMessage:
    """Queue ``statement`` for the patient; ``email`` and ``language`` default to theirs. With a
    ``template`` (a scheduled statement), the agent writes the email from it.
    ``payment_link`` adds a "Pay the balance" button to the statement's Pay page: refused when
    nothing is owed, or the company takes no payments through Stripe."""
    items = items_of(statement)
    if not items:
        raise ValidationError(
            "statement", N_("statement {reference} lists no invoice"), reference=statement.reference
        )
    if payment_link:
        check_statement_payable(statement)
    patient = statement.patient
    return enqueue_invoice_email(
        items[-1].invoice,
        email=email if email is not None else patient.email,
        language=language or patient.language,
        message=message,
        pin_mode=pin_mode,
        pin=pin,
        phone=phone if phone is not None or pin_mode != PinMode.SMS else patient.cell_phone,
        staff=staff,
        now=now,
        kind=MessageKind.STATEMENT,
        statement=statement,
        payment_link=payment_link,
        template=template,
        attach_pdf=attach_pdf,
        in_window=in_window,
    )


def check_statement_payable(statement: Statement) -> None:
    """A Pay button for ``statement``: something owed, at least Stripe's minimum, and a Stripe account."""
    company = statement.billing_company
    if not company.stripe_account_id:
        raise ValidationError("payment_link", NO_ACCOUNT, company=company.name)
    owing, minimum = due_now(statement), stripe_minimum(statement.currency)
    credit = -sum(min(invoice.balance_cents, 0) for invoice in current_invoices(statement))
    if credit > 0:  # the clinic owes some of it back: one Pay button would not settle the account
        raise ValidationError(
            "payment_link",
            N_("statement {reference} has a credit of {credit} to refund: give it back before asking to pay"),
            reference=statement.reference,
            credit=Money(credit, statement.currency),
        )
    if owing <= 0:
        raise ValidationError(
            "payment_link",
            N_("nothing is owed on statement {reference}: no Pay button"),
            reference=statement.reference,
        )
    if owing < minimum:
        raise ValidationError(
            "payment_link",
            N_("statement {reference} has {balance} left to pay, under Stripe's least of {minimum}"),
            reference=statement.reference,
            balance=Money(owing, statement.currency),
            minimum=Money(minimum, statement.currency),
        )

"""Statements of account as the TUI shows them: the accounts a patient can have one for, a statement
with its invoices, and a payment for it; plain snapshots read in one go (``models.billing.statements``
holds the rules)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from locales import N_
from models.billing.statements import (
    Account,
    Statement,
    accounts_of,
    due_now,
    items_of,
    open_invoices,
)
from models.core.enums import PaymentMethod
from models.core.errors import NotFoundError
from models.database.base import utcnow
from models.people.clinic import BillingCompany, Staff
from models.people.patient import Patient
from models.views.invoice_editing import received_at
from models.workflow.statement_making import new_statement
from models.workflow.statement_payments import pay_statement


@dataclass(frozen=True)
class AccountChoice:
    """One account a statement can be made of, with what it comes to today."""

    account: Account
    company_name: str
    balance_cents: int  # below zero, the clinic owes the patient


@dataclass(frozen=True)
class StatementRowView:
    """One invoice on a statement, as it stood when the statement was made."""

    number: str
    issue_date: date | None
    due_date: date | None
    total_cents: int
    credited_cents: int
    paid_cents: int
    balance_cents: int
    days_overdue: int  # at the statement's date; 0 when not overdue


@dataclass(frozen=True)
class StatementView:
    id: int
    reference: str
    issue_date: date
    patient_id: int
    patient_name: str
    company_name: str
    currency: str
    balance_cents: int
    due_now_cents: int  # what its invoices still owe now (payments since it was made count)
    rows: tuple[StatementRowView, ...]


@dataclass(frozen=True)
class StatementPaid:
    """A payment recorded for a statement: the amount each invoice got, oldest first."""

    parts: tuple[tuple[str, int], ...]  # (invoice number, amount in minor units)
    due_now_cents: int


def account_choices(patient_id: int) -> list[AccountChoice]:
    """The patient's accounts with something owed either way, by company and currency."""
    patient = Patient.get_or_none(Patient.id == patient_id)
    if patient is None:
        raise NotFoundError(N_("no patient #{id}"), id=patient_id)
    choices = []
    for account in accounts_of(patient):
        company = BillingCompany.get_by_id(account.company_id)
        balance = sum(invoice.balance_cents for invoice in open_invoices(account))
        choices.append(AccountChoice(account, str(company.name), balance))
    return choices


def make_statement_view(
    account: Account, *, staff: Staff | None, now: datetime | None = None
) -> StatementView:
    """Make a statement of ``account`` as it stands now and read it back."""
    statement = new_statement(account, staff=staff, now=now)
    return statement_view(statement.id)


def statement_view(statement_id: int) -> StatementView:
    """A statement with its invoices as they stood, and what they still owe now."""
    statement = _statement(statement_id)
    rows = []
    for item in items_of(statement):
        invoice = item.invoice
        late = 0
        if item.balance_cents > 0 and invoice.due_date is not None:
            late = max((statement.issue_date - invoice.due_date).days, 0)
        rows.append(
            StatementRowView(
                number=invoice.number or f"#{invoice.id}",
                issue_date=invoice.issue_date,
                due_date=invoice.due_date,
                total_cents=item.total_cents,
                credited_cents=item.credited_cents,
                paid_cents=item.paid_cents,
                balance_cents=item.balance_cents,
                days_overdue=late,
            )
        )
    return StatementView(
        id=statement.id,
        reference=statement.reference,
        issue_date=statement.issue_date,
        patient_id=statement.__data__["patient"],
        patient_name=statement.patient.full_name,
        company_name=str(statement.billing_company.name),
        currency=statement.currency,
        balance_cents=statement.balance_cents,
        due_now_cents=due_now(statement),
        rows=tuple(rows),
    )


def pay_statement_of(
    statement_id: int,
    amount_cents: int,
    method: PaymentMethod,
    *,
    reference: str = "",
    received_on: date | None = None,
    recorded_by: Staff | None = None,
    now: datetime | None = None,
) -> StatementPaid:
    """Record one payment for the statement, applied to its invoices oldest first."""
    now = now or utcnow()
    statement = _statement(statement_id)
    clinic = statement.billing_company.clinic
    payments = pay_statement(
        statement,
        amount_cents,
        method,
        reference=reference.strip() or None,
        recorded_by=recorded_by,
        received_at=received_at(received_on, clinic, now) if received_on else None,
    )
    return StatementPaid(
        parts=tuple((payment.invoice.number or "", payment.amount_cents) for payment in payments),
        due_now_cents=due_now(statement),
    )


def _statement(statement_id: int) -> Statement:
    statement = Statement.get_or_none(Statement.id == statement_id)
    if statement is None:
        raise NotFoundError(N_("no statement {reference}"), reference=f"#{statement_id}")
    return statement

"""Statements of account: everything a patient still owes one billing company (or is owed), at a date.

A statement covers the patient's own invoices (not those billed to a third party) of one billing
company and currency, since each company has its own Stripe account: every billed invoice with a
balance, and every paid one whose credit notes left a credit to refund. It is a snapshot: its items
keep each invoice's total, credits, payments and balance as they were when it was made, so its PDF
never changes; what happens after shows on the next one. One payment for a statement is applied to
its invoices oldest first (``models.workflow.statement_payments``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import peewee

from locales import N_
from models.billing.invoice import Invoice
from models.billing.invoicing import clinic_today
from models.core.enums import InvoiceStatus
from models.core.errors import NotFoundError, ValidationError
from models.database.base import BaseModel, UTCDateTimeField, utcnow
from models.database.db import db
from models.people.clinic import BillingCompany, Staff
from models.people.patient import Patient

OPEN_STATUSES = (InvoiceStatus.BILLED, InvoiceStatus.PAID)


class Statement(BaseModel):
    patient = peewee.ForeignKeyField(Patient, backref="statements", on_delete="RESTRICT")
    billing_company = peewee.ForeignKeyField(BillingCompany, backref="+", on_delete="RESTRICT")
    currency = peewee.CharField(max_length=3)
    issue_date = peewee.DateField()  # the clinic's local date
    balance_cents = peewee.BigIntegerField()  # of its items; below zero, the clinic owes a refund
    created_by = peewee.ForeignKeyField(Staff, null=True, backref="+", on_delete="SET NULL")
    created_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "statement"

    @property
    def reference(self) -> str:
        """How documents and pages name it: the company's prefix, ``ST`` and its id."""
        prefix = self.billing_company.number_prefix
        return f"{prefix}-ST-{self.id:05d}" if prefix else f"ST-{self.id:05d}"


class StatementItem(BaseModel):
    """One invoice on a statement, as it stood when the statement was made."""

    statement = peewee.ForeignKeyField(Statement, backref="items", on_delete="CASCADE")
    invoice = peewee.ForeignKeyField(Invoice, backref="+", on_delete="RESTRICT")
    position = peewee.IntegerField()
    total_cents = peewee.BigIntegerField()
    credited_cents = peewee.BigIntegerField()
    paid_cents = peewee.BigIntegerField()
    balance_cents = peewee.BigIntegerField()

    class Meta:
        table_name = "statement_item"
        indexes = ((("statement", "position"), True),)


@dataclass(frozen=True)
class Account:
    """Whose account a statement is of: a patient, with one company, in one currency."""

    patient_id: int
    company_id: int
    currency: str


def open_invoices(account: Account) -> list[Invoice]:
    """The account's invoices with something owed either way, oldest first (by issue date)."""
    balance = Invoice.total_cents - Invoice.credited_cents - Invoice.paid_cents
    return list(
        Invoice.select()
        .where(
            (Invoice.patient == account.patient_id)
            & (Invoice.billing_company == account.company_id)
            & (Invoice.currency == account.currency)
            & ~Invoice.third_party
            & Invoice.status.in_([status.value for status in OPEN_STATUSES])
            & (balance != 0)
        )
        .order_by(Invoice.issue_date, Invoice.id)
    )


def accounts_of(patient: Patient) -> list[Account]:
    """The patient's accounts with something owed either way, by company and currency."""
    balance = Invoice.total_cents - Invoice.credited_cents - Invoice.paid_cents
    query = (
        Invoice.select(Invoice.billing_company, Invoice.currency)
        .where(
            (Invoice.patient == patient.id)
            & ~Invoice.third_party
            & Invoice.status.in_([status.value for status in OPEN_STATUSES])
            & (balance != 0)
        )
        .group_by(Invoice.billing_company, Invoice.currency)
        .order_by(Invoice.billing_company, Invoice.currency)
        .tuples()
    )
    return [Account(patient.id, int(company), str(currency)) for company, currency in query.execute()]


def make_statement(account: Account, *, staff: Staff | None = None, now: datetime | None = None) -> Statement:
    """A statement of ``account`` as it stands now; refused when nothing is owed either way."""
    now = now or utcnow()
    with db.atomic():
        invoices = open_invoices(account)
        if not invoices:
            raise ValidationError(
                "patient", N_("nothing is owed on this account: there is no statement to make")
            )
        company = BillingCompany.get_by_id(account.company_id)
        statement = Statement.create(
            patient=account.patient_id,
            billing_company=company,
            currency=account.currency,
            issue_date=clinic_today(company.clinic, now),
            balance_cents=sum(invoice.balance_cents for invoice in invoices),
            created_by=staff,
            created_at=now,
        )
        StatementItem.insert_many(
            [
                {
                    "statement": statement.id,
                    "invoice": invoice.id,
                    "position": position,
                    "total_cents": invoice.total_cents,
                    "credited_cents": invoice.credited_cents,
                    "paid_cents": invoice.paid_cents,
                    "balance_cents": invoice.balance_cents,
                }
                for position, invoice in enumerate(invoices, start=1)
            ]
        ).execute()
    return statement


def items_of(statement: Statement) -> list[StatementItem]:
    """A statement's items, each with its invoice read along, oldest first."""
    return list(
        StatementItem.select(StatementItem, Invoice)
        .join(Invoice)
        .where(StatementItem.statement == statement.id)
        .order_by(StatementItem.position)
    )


def find_statement(reference: str) -> Statement:
    """A statement by its reference (``CDP-ST-00012``) or its id."""
    key = reference.strip().rsplit("-", 1)[-1].removeprefix("ST")
    statement = Statement.get_or_none(Statement.id == int(key)) if key.isdigit() else None
    if statement is None or reference.strip() not in (statement.reference, key, str(statement.id)):
        raise NotFoundError(N_("no statement {reference}"), reference=reference.strip())
    return statement


def current_invoices(statement: Statement) -> list[Invoice]:
    """The statement's invoices as they are now, in its order."""
    query = (
        Invoice.select()
        .join(StatementItem)
        .where(StatementItem.statement == statement.id)
        .order_by(StatementItem.position)
    )
    return list(query)


def owing_invoices(statement: Statement) -> list[Invoice]:
    """The statement's invoices that still owe something now, oldest first: where a payment for
    the statement goes (payments and credits since it was made count)."""
    return [
        invoice
        for invoice in current_invoices(statement)
        if invoice.status == InvoiceStatus.BILLED and invoice.balance_cents > 0
    ]


def due_now(statement: Statement) -> int:
    """What the statement's invoices still owe now; a credit to refund on one of them does not lower
    it (the clinic gives that back, the patient pays what is owed)."""
    return sum(invoice.balance_cents for invoice in owing_invoices(statement))

"""One payment for a statement of account, applied to its invoices oldest first.

Each invoice gets a payment of its own (up to its balance now), all with the same reference, so
each invoice's history, receipt and PDF read as for any payment; a refund of such a payment takes
the money back newest first (``models.workflow.money_back``).
"""

from __future__ import annotations

from datetime import datetime

from locales import N_
from locales.formatting import Money
from models.billing.invoice import Payment
from models.billing.statements import Statement, owing_invoices
from models.core.enums import PaymentMethod
from models.core.errors import ValidationError
from models.database.db import db
from models.people.clinic import Staff
from models.workflow.lifecycle import record_payment


def pay_statement(
    statement: Statement,
    amount_cents: int,
    method: PaymentMethod | str,
    *,
    reference: str | None = None,
    recorded_by: Staff | None = None,
    received_at: datetime | None = None,
) -> list[Payment]:
    """Record ``amount_cents`` received for ``statement``: the oldest invoice still owing is paid
    first, then the next; refused with the reason above what they owe now."""
    with db.atomic():
        owing = owing_invoices(statement)
        due = sum(invoice.balance_cents for invoice in owing)
        if amount_cents <= 0:
            raise ValidationError("amount", N_("the amount must be greater than zero"))
        if amount_cents > due:
            raise ValidationError(
                "amount",
                N_("the payment is more than the {due} the statement's invoices owe now"),
                due=Money(due, statement.currency, statement.billing_company.clinic.country),
            )
        payments, left = [], amount_cents
        for invoice in owing:
            part = min(left, invoice.balance_cents)
            payments.append(
                record_payment(
                    invoice,
                    part,
                    method,
                    reference=reference,
                    recorded_by=recorded_by,
                    received_at=received_at,
                )
            )
            left -= part
            if not left:
                break
    return payments

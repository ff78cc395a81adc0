"""Gapless invoice numbers per billing company: ``PREFIX-YEAR-00042``.

The next value is taken with one ``INSERT … ON CONFLICT DO UPDATE … RETURNING``
inside the caller's billing transaction. A rolled-back billing rolls the counter
back with it, so no number is ever skipped, and the write lock (``BEGIN
IMMEDIATE`` on SQLite, the row lock on PostgreSQL) means no number is used twice.
"""

from __future__ import annotations

from models.billing.invoice import InvoiceSequence
from models.people.clinic import BillingCompany

SEQUENCE_WIDTH = 5


def format_number(prefix: str, year: int, value: int) -> str:
    return f"{prefix}-{year}-{value:0{SEQUENCE_WIDTH}d}" if prefix else f"{year}-{value:0{SEQUENCE_WIDTH}d}"


def take_next_number(company: BillingCompany, year: int) -> str:
    """Reserve the next number of ``company`` for ``year``; call inside a transaction."""
    query = (
        InvoiceSequence.insert(billing_company=company.id, year=year, last_value=1)
        .on_conflict(
            conflict_target=[InvoiceSequence.billing_company, InvoiceSequence.year],
            update={InvoiceSequence.last_value: InvoiceSequence.last_value + 1},
        )
        .returning(InvoiceSequence.last_value)
    )
    (row,) = query.tuples().execute()
    return format_number(company.number_prefix, year, int(row[0]))

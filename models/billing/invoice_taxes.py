"""Each invoice's taxes as computed and printed: one row per tax (its names, code, rate, the
company's registration number, base and amount), written with the lines and again at billing.

A billed invoice keeps these rows as they were: a later change of a tax's rate, name or number
never reaches it. An invoice written before named taxes has no rows; its taxes are read back from
its lines, one per rate, as it always printed them.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import peewee

from models.billing.invoice import Invoice, InvoiceLine
from models.billing.tax_computation import TaxResult
from models.database.base import BaseModel


class InvoiceTax(BaseModel):
    """One tax of one invoice, as its PDF prints it."""

    invoice = peewee.ForeignKeyField(Invoice, backref="tax_rows", on_delete="CASCADE")
    position = peewee.IntegerField()
    code = peewee.CharField(max_length=12, default="")  # empty: a bare rate (lines before named taxes)
    name_fr = peewee.CharField(max_length=60, default="")
    name_en = peewee.CharField(max_length=60, default="")
    rate = peewee.DecimalField(max_digits=7, decimal_places=4)  # percent
    registration = peewee.CharField(max_length=40, null=True)
    base_cents = peewee.BigIntegerField()
    tax_cents = peewee.BigIntegerField()

    class Meta:
        table_name = "invoice_tax"
        indexes = ((("invoice", "position"), True),)


def store_invoice_taxes(invoice_id: int, results: Sequence[TaxResult]) -> None:
    """Replace the invoice's tax rows with ``results`` (inside the caller's transaction)."""
    InvoiceTax.delete().where(InvoiceTax.invoice == invoice_id).execute()
    rows = [
        {
            "invoice": invoice_id,
            "position": position,
            "code": result.code,
            "name_fr": result.name_fr,
            "name_en": result.name_en,
            "rate": result.rate,
            "registration": result.registration,
            "base_cents": result.base_cents,
            "tax_cents": result.tax_cents,
        }
        for position, result in enumerate(results, start=1)
    ]
    if rows:
        InvoiceTax.insert_many(rows).execute()


def invoice_taxes(invoice_id: int) -> list[TaxResult]:
    """The invoice's taxes in print order: its stored rows, else (written before named taxes) one
    per rate read from its lines, their stored amounts summed."""
    rows = InvoiceTax.select().where(InvoiceTax.invoice == invoice_id).order_by(InvoiceTax.position)
    stored = [
        TaxResult(
            row.code,
            row.name_fr,
            row.name_en,
            Decimal(row.rate),
            row.registration,
            row.base_cents,
            row.tax_cents,
        )
        for row in rows
    ]
    if stored:
        return stored
    by_rate: dict[Decimal, tuple[int, int]] = {}
    lines = InvoiceLine.select().where(InvoiceLine.invoice == invoice_id).order_by(InvoiceLine.position)
    for line in lines:
        if line.tax_rate:
            base, tax = by_rate.get(Decimal(line.tax_rate), (0, 0))
            by_rate[Decimal(line.tax_rate)] = (base + line.subtotal_cents, tax + line.tax_cents)
    return [TaxResult("", "", "", rate, None, base, tax) for rate, (base, tax) in sorted(by_rate.items())]

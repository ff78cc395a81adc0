"""Invoices, their lines and payments, and the per-company number sequences.

The rules that change these rows live in ``models.billing.invoicing``; this module only
says what is stored. Money is integer minor units (cents) of ``currency``.
"""

from __future__ import annotations

import peewee

from models.core.enums import InvoiceStatus, PaymentMethod
from models.database.base import BaseModel, UTCDateTimeField, one_of, utcnow
from models.people.clinic import BillingCompany, Staff
from models.people.patient import Patient


class Invoice(BaseModel):
    number = peewee.CharField(max_length=40, null=True, unique=True)  # assigned when billed
    billing_company = peewee.ForeignKeyField(BillingCompany, backref="invoices", on_delete="RESTRICT")
    patient = peewee.ForeignKeyField(Patient, backref="invoices", on_delete="RESTRICT")
    provider = peewee.ForeignKeyField(Staff, null=True, backref="provided_invoices", on_delete="RESTRICT")
    created_by = peewee.ForeignKeyField(Staff, null=True, backref="+", on_delete="SET NULL")
    # Billed-to: a copy of the patient's contact at creation, or a third party's.
    third_party = peewee.BooleanField(default=False)
    billed_to_name = peewee.CharField(max_length=200)
    billed_to_email = peewee.CharField(max_length=254, null=True, index=True)
    billed_to_phone = peewee.CharField(max_length=20, null=True)
    billed_to_language = peewee.CharField(max_length=2, null=True)
    status = peewee.CharField(
        max_length=8,
        default=InvoiceStatus.DRAFT.value,
        index=True,
        constraints=[one_of("status", InvoiceStatus)],
    )
    currency = peewee.CharField(max_length=3)
    issue_date = peewee.DateField(null=True, index=True)  # the clinic's local date of billing
    due_date = peewee.DateField(null=True)
    subtotal_cents = peewee.BigIntegerField(default=0)
    tax_cents = peewee.BigIntegerField(default=0)
    total_cents = peewee.BigIntegerField(
        default=0, index=True, constraints=[peewee.Check("total_cents >= 0")]
    )  # indexed since schema 4
    paid_cents = peewee.BigIntegerField(default=0, constraints=[peewee.Check("paid_cents >= 0")])
    # what credit notes took off the total (schema 17; models.billing.credit_notes)
    credited_cents = peewee.BigIntegerField(
        default=0, constraints=[peewee.Check("credited_cents >= 0 AND credited_cents <= total_cents")]
    )
    version = peewee.IntegerField(default=1)  # bumped on every change; keys the PDF cache
    void_reason = peewee.TextField(null=True)
    created_at = UTCDateTimeField(default=utcnow)
    updated_at = UTCDateTimeField(default=utcnow)
    billed_at = UTCDateTimeField(null=True)
    voided_at = UTCDateTimeField(null=True)

    @property
    def balance_cents(self) -> int:
        """What remains to be paid: the total less its credit notes and payments; nothing is owed
        on a void invoice. Below zero, the clinic owes the payer the difference (a credit to refund)."""
        if self.status == InvoiceStatus.VOID:
            return 0
        return self.total_cents - self.credited_cents - self.paid_cents

    @property
    def status_enum(self) -> InvoiceStatus:
        return InvoiceStatus(self.status)


# History sorts by what is owed through this expression index (schema 4, models.views.history);
# migration v0017 makes the same one in an older database (credit notes joined the balance).
BALANCE_INDEX_SQL = (
    'CREATE INDEX IF NOT EXISTS "invoice_balance" ON "invoice" '
    '((CASE WHEN "status" = \'void\' THEN 0 ELSE "total_cents" - "credited_cents" - "paid_cents" END))'
)
Invoice.add_index(peewee.SQL(BALANCE_INDEX_SQL))


class InvoiceLine(BaseModel):
    invoice = peewee.ForeignKeyField(Invoice, backref="lines", on_delete="CASCADE")
    position = peewee.IntegerField()
    code = peewee.CharField(max_length=32, default="")
    description = peewee.CharField(max_length=500)
    quantity = peewee.DecimalField(max_digits=12, decimal_places=3, auto_round=True)
    unit_price_cents = peewee.BigIntegerField()
    tax_rate = peewee.DecimalField(max_digits=7, decimal_places=4, default=0)  # percent
    # The codes of its taxes, "GST+QST" (schema 18): their rates sum to tax_rate. Empty: exempt,
    # or a line written before named taxes, taxed at its bare tax_rate.
    tax_codes = peewee.CharField(max_length=64, default="")
    subtotal_cents = peewee.BigIntegerField()
    tax_cents = peewee.BigIntegerField()

    class Meta:
        indexes = ((("invoice", "position"), True),)

    @property
    def total_cents(self) -> int:
        return self.subtotal_cents + self.tax_cents


class Payment(BaseModel):
    invoice = peewee.ForeignKeyField(Invoice, backref="payments", on_delete="RESTRICT")
    amount_cents = peewee.BigIntegerField(constraints=[peewee.Check("amount_cents > 0")])
    method = peewee.CharField(max_length=10, constraints=[one_of("method", PaymentMethod)])
    reference = peewee.CharField(max_length=200, null=True)
    received_at = UTCDateTimeField(default=utcnow)
    recorded_by = peewee.ForeignKeyField(Staff, null=True, backref="+", on_delete="SET NULL")
    created_at = UTCDateTimeField(default=utcnow)


class InvoiceSequence(BaseModel):
    """The last number used per billing company and year, bumped in the billing transaction."""

    billing_company = peewee.ForeignKeyField(BillingCompany, on_delete="CASCADE")
    year = peewee.IntegerField()
    last_value = peewee.IntegerField(default=0)

    class Meta:
        indexes = ((("billing_company", "year"), True),)


def describe(invoice: Invoice) -> str:
    """How messages name an invoice: its number, or ``#id`` for a draft."""
    return invoice.number or f"#{invoice.id}"

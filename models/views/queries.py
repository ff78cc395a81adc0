"""The reads the screens and the CLI share: invoice lists with their joins done once."""

from __future__ import annotations

from datetime import date

import peewee

from models.billing.invoice import Invoice
from models.core.enums import InvoiceStatus
from models.core.text import fold
from models.people.clinic import BillingCompany, Staff
from models.people.patient import Patient


def invoice_query(
    *,
    status: InvoiceStatus | None = None,
    text: str = "",
    since: date | None = None,
    until: date | None = None,
    provider: Staff | None = None,
) -> peewee.ModelSelect[Invoice]:
    """Invoices newest first, with patient, company and provider joined (no N+1 queries).

    ``text`` matches an invoice number's start, or the patient's folded name.
    """
    Provider = Staff.alias()
    query = (
        Invoice.select(Invoice, Patient, BillingCompany, Provider)
        .join(Patient, on=Invoice.patient == Patient.id)
        .switch(Invoice)
        .join(BillingCompany, on=Invoice.billing_company == BillingCompany.id)
        .switch(Invoice)
        .join(Provider, peewee.JOIN.LEFT_OUTER, on=Invoice.provider == Provider.id)
        .order_by(Invoice.issue_date.desc(nulls="first"), Invoice.id.desc())
    )
    if status is not None:
        query = query.where(Invoice.status == status.value)
    if since is not None:
        query = query.where(Invoice.issue_date >= since)
    if until is not None:
        query = query.where(Invoice.issue_date <= until)
    if provider is not None:
        query = query.where(Invoice.provider == provider.id)
    needle = text.strip()
    if needle:
        query = query.where(
            Invoice.number.startswith(needle.upper()) | Patient.search_name.startswith(fold(needle))
        )
    return query

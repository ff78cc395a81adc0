"""What the messages of one claim need from the database, read together when they are claimed.

Composing an email, publishing its link and texting its PIN all read the message's invoice
with its billing company, clinic, patient and provider, the staff member who queued it and
its template. Read one message at a time that is half a dozen queries per message, most of
their cost in building the SQL; ``load_facts`` reads them for a whole claim in three.

They are as fresh as the claim: the agent reads them in the same step as it leases the
messages, so a change to the clinic, a staff member or an invoice reaches every message
claimed after it (a claim holds a few dozen messages, sent within seconds).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import peewee

from models.billing.invoice import Invoice
from models.database.base import fk_id
from models.messaging.tables import OutboxMessage, Template
from models.people.clinic import BillingCompany, Clinic, Staff
from models.people.patient import Patient


@dataclass(frozen=True)
class MessageFacts:
    """One message's rows. ``invoice.billing_company.clinic``, ``invoice.patient`` and
    ``invoice.provider`` are loaded with it: reading them costs no query."""

    invoice: Invoice
    staff: Staff | None  # who queued it: the sender's name
    template: Template | None  # automatic emails and reminders are written from it

    @property
    def clinic(self) -> Clinic:
        return self.invoice.billing_company.clinic


def load_facts(messages: Iterable[OutboxMessage]) -> dict[int, MessageFacts]:
    """Each message's facts, by message id (a message whose invoice is gone has none)."""
    messages = list(messages)
    if not messages:
        return {}
    invoices = _invoices({fk_id(message, "invoice") for message in messages})
    staff_ids = {fk_id(message, "created_by") for message in messages} - {None}
    staff = {row.id: row for row in Staff.select().where(Staff.id.in_(staff_ids))} if staff_ids else {}
    template_ids = {fk_id(message, "template") for message in messages} - {None}
    templates = (
        {row.id: row for row in Template.select().where(Template.id.in_(template_ids))}
        if template_ids
        else {}
    )
    facts = {}
    for message in messages:
        invoice = invoices.get(fk_id(message, "invoice"))
        if invoice is not None:
            facts[message.id] = MessageFacts(
                invoice,
                staff.get(fk_id(message, "created_by")),
                templates.get(fk_id(message, "template")),
            )
    return facts


def message_facts(message: OutboxMessage) -> MessageFacts:
    """One message's facts (outside a drain: the composer called on its own); the invoice must exist."""
    facts = load_facts([message]).get(message.id)
    if facts is None:
        raise peewee.DoesNotExist(f"invoice {fk_id(message, 'invoice')} of message {message.id}")
    return facts


def _invoices(ids: set[int]) -> dict[int, Invoice]:
    provider = Staff.alias()
    query = (
        Invoice.select(Invoice, BillingCompany, Clinic, Patient, provider)
        .join(BillingCompany)
        .join(Clinic)
        .switch(Invoice)
        .join(Patient)
        .switch(Invoice)
        .join(provider, peewee.JOIN.LEFT_OUTER, on=(Invoice.provider == provider.id), attr="provider")
        .where(Invoice.id.in_(ids))
    )
    invoices = {}
    for invoice in query:
        if fk_id(invoice, "provider") is None:
            invoice.provider = None  # no provider: not a row of NULLs
        invoices[invoice.id] = invoice
    return invoices

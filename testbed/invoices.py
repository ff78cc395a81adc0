"""Billed invoices to send, for the outbox, agent and CLI tests and the multi-agent benchmark."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from models.billing.invoice import Invoice
from models.billing.invoicing import LineInput, create_draft
from models.database.base import utcnow
from models.links.tables import DownloadLink
from models.messaging.tables import OutboxMessage
from models.people.clinic import BillingCompany, Staff
from models.people.patient import Patient
from models.workflow.lifecycle import bill


def billed_invoice(
    company: BillingCompany,
    *,
    email: str | None = "marie.tremblay@example.org",
    language: str | None = "fr",
    created_by: Staff | None = None,
    price_cents: int = 8500,
    draft: bool = False,
) -> Invoice:
    """A patient with ``email`` and one billed invoice of ``price_cents`` (a draft if asked)."""
    patient = Patient.create(last_name="Tremblay", first_name="Marie", email=email, language=language)
    invoice = create_draft(
        patient=patient,
        billing_company=company,
        created_by=created_by,
        lines=[LineInput("Consultation", Decimal(1), price_cents)],
    )
    return invoice if draft else bill(invoice)


def emailed_link(invoice: Invoice, to: str, *, token_hash: str = "h" * 64) -> DownloadLink:
    """``invoice`` emailed yesterday with a secure link (SMS PIN), as the agent records it: the sent
    message and its live ``DownloadLink`` (13 days left)."""
    now = utcnow()
    email = OutboxMessage.create(
        kind="invoice",
        invoice=invoice,
        recipient_email=to,
        language="fr",
        pin_mode="sms",
        status="sent",
        sent_at=now - timedelta(days=1),
    )
    return DownloadLink.create(
        invoice=invoice,
        message=email,
        token_hash=token_hash,
        pin_hash="p",
        link_key="k" * 64,
        event_tag=token_hash[:32],
        pin_mode="sms",
        expires_at=now + timedelta(days=13),
    )

"""Invoices, patients and staff as plain dicts with stable keys (the CLI's ``--json``).

Keys are part of Facteur's interface: add new ones, never rename or remove.
Money is integer minor units with the currency beside it; dates are ISO 8601.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from models.billing.credit_notes import CreditNote, note_lines, notes_of
from models.billing.invoice import Invoice, InvoiceLine, Payment
from models.billing.invoice_taxes import invoice_taxes
from models.billing.reversals import PaymentReversal
from models.billing.taxes import split_codes
from models.core.enums import ConsentChannel
from models.database.base import fk_id
from models.links.live_links import LiveLink
from models.people.clinic import Staff
from models.people.consent import ConsentRecord, consented
from models.people.patient import Patient


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value else None


def invoice_summary(invoice: Invoice) -> dict[str, Any]:
    patient = invoice.patient
    provider = invoice.provider
    return {
        "id": invoice.id,
        "number": invoice.number,
        "status": invoice.status,
        "billing_company": invoice.billing_company.name,
        "patient": patient.full_name,
        "patient_id": patient.id,
        "provider": provider.display_name if provider else None,
        "billed_to_name": invoice.billed_to_name,
        "billed_to_email": invoice.billed_to_email,
        "billed_to_phone": invoice.billed_to_phone,
        "billed_to_language": invoice.billed_to_language,
        "third_party": invoice.third_party,
        "currency": invoice.currency,
        "subtotal_cents": invoice.subtotal_cents,
        "tax_cents": invoice.tax_cents,
        "total_cents": invoice.total_cents,
        "paid_cents": invoice.paid_cents,
        "credited_cents": invoice.credited_cents,
        "balance_cents": invoice.balance_cents,
        "issue_date": _iso(invoice.issue_date),
        "due_date": _iso(invoice.due_date),
        "created_at": _iso(invoice.created_at),
        "billed_at": _iso(invoice.billed_at),
        "voided_at": _iso(invoice.voided_at),
    }


def invoice_detail(invoice: Invoice, lines: list[InvoiceLine], payments: list[Payment]) -> dict[str, Any]:
    detail = invoice_summary(invoice)
    detail["void_reason"] = invoice.void_reason
    detail["lines"] = [
        {
            "position": line.position,
            "code": line.code,
            "description": line.description,
            "quantity": str(line.quantity.normalize()),
            "unit_price_cents": line.unit_price_cents,
            "tax_rate": str(line.tax_rate.normalize()),
            "tax_codes": split_codes(line.tax_codes),  # none: exempt (or a bare tax_rate, before named taxes)
            "subtotal_cents": line.subtotal_cents,
            "tax_cents": line.tax_cents,
            "total_cents": line.total_cents,
        }
        for line in lines
    ]
    language = invoice.billed_to_language or invoice.billing_company.clinic.default_language
    detail["taxes"] = [
        {
            "code": tax.code,  # empty for a bare rate (an invoice written before named taxes)
            "name": tax.name(language),  # as the invoice prints it
            "name_fr": tax.name_fr,
            "name_en": tax.name_en,
            "rate": str(tax.rate.normalize()),
            "registration": tax.registration,
            "base_cents": tax.base_cents,
            "tax_cents": tax.tax_cents,
        }
        for tax in invoice_taxes(invoice.id)
    ]
    detail["payments"] = [
        {
            "amount_cents": payment.amount_cents,
            "method": payment.method,
            "reference": payment.reference,
            "received_at": _iso(payment.received_at),
        }
        for payment in payments
    ]
    detail["money_back"] = [
        {
            "amount_cents": back.amount_cents,
            "kind": back.kind,
            "reference": back.reference,
            "at": _iso(back.created_at),
        }
        for back in PaymentReversal.select()
        .where(PaymentReversal.invoice == invoice.id)
        .order_by(PaymentReversal.id)
    ]
    detail["credit_notes"] = [credit_note_record(note) for note in notes_of(invoice)]
    return detail


def credit_note_record(note: CreditNote) -> dict[str, Any]:
    """A credit note with its lines; ``invoice`` is the number of the invoice it corrects."""
    return {
        "number": note.number,
        "invoice": note.invoice.number,
        "issue_date": _iso(note.issue_date),
        "reason": note.reason,
        "currency": note.currency,
        "subtotal_cents": note.subtotal_cents,
        "tax_cents": note.tax_cents,
        "total_cents": note.total_cents,
        "created_by": note.created_by.login if note.created_by else None,
        "created_at": _iso(note.created_at),
        "lines": [
            {
                "invoice_line": line.invoice_line.position,
                "code": line.code,
                "description": line.description,
                "subtotal_cents": line.subtotal_cents,
                "tax_cents": line.tax_cents,
                "total_cents": line.total_cents,
            }
            for line in note_lines(note)
        ],
    }


def patient_record(patient: Patient) -> dict[str, Any]:
    return {
        "id": patient.id,
        "last_name": patient.last_name,
        "first_name": patient.first_name,
        "email": patient.email,
        "cell_phone": patient.cell_phone,
        "language": patient.language,
        "health_insurance_number": patient.health_insurance_number,
        "receive_reminders": patient.receive_reminders,
        "receive_statements": patient.receive_statements,
        "consent_email_attachments": patient.consent_email_attachments,
        "consent_sms": patient.consent_sms,
        "email_withdrawn": patient.email_withdrawn,
    }


def consent_export(patient: Patient, records: list[ConsentRecord]) -> dict[str, Any]:
    """A patient's consents: the current state per channel (``true``: given, or for email, allowed)
    and every record, newest first (who recorded it: their login, and their name as it was)."""
    logins = {
        staff.id: staff.login
        for staff in Staff.select(Staff.id, Staff.login).where(
            Staff.id.in_({fk_id(record, "recorded_by") for record in records} - {None})
        )
    }
    return {
        "patient": patient.id,
        "current": {channel.value: consented(patient, channel) for channel in ConsentChannel},
        "records": [
            {
                "id": record.id,
                "channel": record.channel,
                "given": record.given,
                "method": record.method,
                "wording_version": record.wording_version or None,
                "recorded_by": logins.get(fk_id(record, "recorded_by")),
                "recorded_by_name": record.recorded_by_name or None,
                "note": record.note,
                "recorded_at": _iso(record.recorded_at),
            }
            for record in records
        ],
    }


def live_link_record(link: LiveLink) -> dict[str, Any]:
    """One of a patient's live links (``facteur patient links --json``); ``opened`` is null where it
    cannot be known (a Stripe payment link)."""
    return {
        "link": f"{link.kind.value}:{link.id}",
        "kind": link.kind.value,
        "invoice_id": link.invoice_id,
        "document": link.document,
        "sent_at": _iso(link.sent_at),
        "sent_to": link.sent_to or None,
        "opened": None if link.opened < 0 else link.opened,
        "last_opened_at": _iso(link.last_opened_at),
        "expires_at": _iso(link.expires_at),
        "locked": link.locked,
        "revoking": link.revoking,
    }


def staff_record(staff: Staff) -> dict[str, Any]:
    return {
        "id": staff.id,
        "login": staff.login,
        "display_name": staff.display_name,
        "roles": sorted(role.value for role in staff.role_set),
        "language": staff.language,
        "active": staff.active,
    }

"""Offline time used: the PDFs the waiting messages will need, rendered while the clinic is offline
(or the agent blocked), so that a reconnect costs only the network; then those of the scheduled
messages the scheduler will queue next (due within ``SCHEDULED_AHEAD``)."""

from __future__ import annotations

from datetime import timedelta

from agent.compose import wants_pdf
from models.billing.invoice import Invoice
from models.core.enums import OutboxStatus, PinMode, ScheduleStatus, TemplateKind
from models.database.base import fk_id, utcnow
from models.messaging.pin_modes import attachment_allowed
from models.messaging.tables import OutboxMessage, ScheduledMessage, Template
from models.people.clinic import BillingCompany, Clinic
from models.people.patient import Patient

RENDER_AHEAD = 100  # (invoice, language) pairs looked at per probe: the soonest due first
SCHEDULED_AHEAD = timedelta(days=1)


def waiting_pdfs(limit: int = RENDER_AHEAD) -> list[tuple[Invoice, str]]:
    """The (invoice, language) PDFs of the waiting messages, soonest due first, at most ``limit``."""
    wanted: dict[tuple[int, str], None] = {}
    query = (
        OutboxMessage.select()
        .where(OutboxMessage.status == OutboxStatus.PENDING)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
    )
    for message in query.iterator():
        if wants_pdf(message):
            wanted.setdefault((int(fk_id(message, "invoice")), str(message.language)))
            if len(wanted) >= limit:
                break
    if len(wanted) < limit:
        wanted.update(dict.fromkeys(_scheduled_next(limit - len(wanted))))
    ids = {invoice_id for invoice_id, _ in wanted}
    invoices = {invoice.id: invoice for invoice in Invoice.select().where(Invoice.id.in_(ids))} if ids else {}
    return [(invoices[invoice_id], language) for invoice_id, language in wanted if invoice_id in invoices]


def _scheduled_next(limit: int) -> list[tuple[int, str]]:
    """The (invoice, language) PDFs the scheduled messages due within ``SCHEDULED_AHEAD`` will need,
    soonest first: an invoice email sent by secure link or with the invoice attached, a reminder
    carrying it (``models.workflow.automation.options_for`` decides the same way when it queues)."""
    query = (  # the rows each decision reads, in one query (it runs at every offline probe)
        ScheduledMessage.select(ScheduledMessage, Template, Invoice, BillingCompany, Clinic, Patient)
        .join(Template)
        .switch(ScheduledMessage)
        .join(Invoice)
        .join(BillingCompany)
        .join(Clinic)
        .switch(Invoice)
        .join(Patient)
        .where(
            (ScheduledMessage.status == ScheduleStatus.SCHEDULED)
            & (ScheduledMessage.due_at <= utcnow() + SCHEDULED_AHEAD)
            & Template.active
        )
        .order_by(ScheduledMessage.due_at, ScheduledMessage.id)
    )
    wanted: dict[tuple[int, str], None] = {}
    for row in query.iterator():
        invoice, template = row.invoice, row.template
        clinic = invoice.billing_company.clinic
        if template.kind == TemplateKind.STATEMENT:
            continue  # a statement is made when it goes; its documents are rendered then
        if template.kind == TemplateKind.REMINDER:
            needs = bool(template.attach_invoice and attachment_allowed(invoice))
        else:
            needs = clinic.default_pin_mode != PinMode.NONE or bool(template.attach_invoice)
        if needs:
            language = invoice.billed_to_language or invoice.patient.language or clinic.default_language
            wanted.setdefault((int(invoice.id), str(language)))
            if len(wanted) >= limit:
                break
    return list(wanted)

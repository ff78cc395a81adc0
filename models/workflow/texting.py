"""Text messages to patients: a reminder (a text template of kind reminder, on its schedule) and a
payment link staff send (the text template of kind payment that is on), each with the invoice's Pay
page (``models.messaging.text_templates``).

A text goes only to the patient, about their own invoice (not one billed to a third party), only
when their consent to text messages is recorded (``models.people.consent``), to their cell phone,
which must be a mobile number (a landline is refused with the reason), and only while something is
owed that can be paid online. The outbox row (``medium`` ``sms``) carries no email: the agent makes
the Pay page, writes the text in the patient's language and sends it (``agent.delivery.text``),
checking the consent once more, so a consent withdrawn meanwhile stops it. A PIN's text is not one of
these: it is part of a secure send, and needs no consent of its own.
"""

from __future__ import annotations

from datetime import datetime

from locales import N_
from models.billing.invoice import Invoice, describe
from models.core.enums import MessageKind, PinMode, TemplateChannel, TemplateKind
from models.core.errors import FacteurError
from models.database.base import utcnow
from models.database.db import db
from models.links.payment_links import check_link_offered
from models.messaging.sending_window import window_start
from models.messaging.sms_text import mobile_problem
from models.messaging.tables import OutboxMessage, Template
from models.people.clinic import Staff
from models.workflow.sending import SendRefused, check_sendable

NO_SMS_CONSENT = N_(
    "{name} has not consented to text messages: record their consent first (F3 on their record)"
)
NO_CELL_PHONE = N_("{name} has no cell phone number for a text")
THIRD_PARTY = N_(
    "invoice {invoice} is billed to a third party: a text goes only to the patient, about their own invoice"
)
NOTHING_TO_PAY = N_("invoice {invoice} has nothing left to pay")
NO_PAYMENT_TEXT = N_("no payment-link text template is on: turn one on in Templates (F7)")


def text_refusal(invoice: Invoice) -> FacteurError | None:
    """Why no text can go to ``invoice``'s patient about it now, or None."""
    patient = invoice.patient
    if invoice.third_party:
        return SendRefused(THIRD_PARTY, invoice=describe(invoice))
    if invoice.balance_cents <= 0:
        return SendRefused(NOTHING_TO_PAY, invoice=describe(invoice))
    if not patient.consent_sms:
        return SendRefused(NO_SMS_CONSENT, name=patient.full_name)
    phone = (patient.cell_phone or "").strip()
    if not phone:
        return SendRefused(NO_CELL_PHONE, name=patient.full_name)
    problem = mobile_problem(phone)
    if problem is not None:
        return SendRefused(problem, number=phone)
    return None


def enqueue_text(
    invoice: Invoice,
    template: Template,
    *,
    staff: Staff | None = None,
    now: datetime | None = None,
    in_window: bool = False,
    key_configured: bool = True,
) -> OutboxMessage:
    """Queue ``template``'s text (a text template) for ``invoice``'s patient; ``SendRefused`` (or the
    payment link's refusal) says why it cannot go."""
    now = now or utcnow()
    if template.channel != TemplateChannel.SMS:
        raise ValueError(f"template {template.id} is not a text message's")
    with db.atomic():
        current = Invoice.get_by_id(invoice.id)
        check_sendable(current)
        refusal = text_refusal(current)
        if refusal is not None:
            raise refusal
        check_link_offered(current, key_configured=key_configured)
        patient = current.patient
        kind = MessageKind.REMINDER if template.kind == TemplateKind.REMINDER else MessageKind.INVOICE
        return OutboxMessage.create(
            kind=kind.value,
            invoice=current,
            template=template,
            medium=TemplateChannel.SMS.value,
            recipient_phone=patient.cell_phone,
            language=patient.language or str(current.billing_company.clinic.default_language),
            pin_mode=PinMode.NONE.value,
            attach_pdf=False,
            payment_link=True,
            created_by=staff,
            created_at=now,
            in_window=in_window,
            next_attempt_at=window_start(now, current.billing_company.clinic) if in_window else now,
        )


def payment_text_template() -> Template | None:
    """The payment-link text template that is on (the first, if an admin turned on several)."""
    return (
        Template.select()
        .where(
            (Template.channel == TemplateChannel.SMS.value)
            & (Template.kind == TemplateKind.PAYMENT.value)
            & (Template.active == True)  # noqa: E712 (peewee expression)
        )
        .order_by(Template.id)
        .first()
    )


def send_payment_text(
    invoice: Invoice,
    *,
    staff: Staff,
    key_configured: bool,
    now: datetime | None = None,
    in_window: bool = False,
) -> OutboxMessage:
    """Staff send the invoice's payment link by text (at once, unless ``in_window``)."""
    template = payment_text_template()
    if template is None:
        raise SendRefused(NO_PAYMENT_TEXT)
    return enqueue_text(
        invoice, template, staff=staff, now=now, in_window=in_window, key_configured=key_configured
    )

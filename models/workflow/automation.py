"""What happens on billing: every active template gets its scheduled message; those due at once go out.

``on_billed`` is called by ``models.workflow.lifecycle.bill`` inside the billing transaction, so every
way of billing (the TUI, ``facteur invoice bill``, the demo) schedules the same way, and a
failed billing schedules nothing. An active *invoice* template with delay 0 is queued in the
outbox at once with the clinic's default PIN mode; everything else waits for the agent's
scheduler (``models.workflow.reminders.run_due``).

``dispatch`` queues one scheduled message, or records why it cannot go (skipped, with the
reason the Communications screen shows): nothing is silently lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from models.billing.invoice import Invoice
from models.core.enums import (
    InvoiceStatus,
    MessageKind,
    PinMode,
    ScheduleStatus,
    TemplateChannel,
    TemplateKind,
)
from models.core.errors import FacteurError
from models.database.base import utcnow
from models.database.db import db
from models.messaging import schedule_reasons as reasons
from models.messaging.pin_modes import attachment_allowed
from models.messaging.schedule_time import due_time
from models.messaging.tables import ScheduledMessage, Template
from models.people.clinic import Clinic
from models.workflow.sending import enqueue_invoice_email
from models.workflow.texting import enqueue_text

INSURANCE_PIN_LENGTH = 6


class Skip(FacteurError):
    """This scheduled message cannot go; the message is the reason recorded."""


@dataclass(frozen=True)
class Options:
    """How one scheduled message is queued: its kind and the outbox options its template asks for."""

    kind: MessageKind
    pin_mode: PinMode
    phone: str | None = None
    pin: str | None = None
    payment_link: bool = False
    attach_pdf: bool = True


def on_billed(invoice: Invoice, now: datetime | None = None) -> list[ScheduledMessage]:
    """Schedule each active template for ``invoice`` (just billed); dispatch the ones due now."""
    now = now or utcnow()
    clinic = invoice.billing_company.clinic
    start = invoice.billed_at or now
    rows = []
    # statements are per account (statement_schedule); a payment link's text goes when staff send it
    templates = Template.select().where(
        (Template.active == True)  # noqa: E712 (peewee expression)
        & Template.kind.not_in([TemplateKind.STATEMENT.value, TemplateKind.PAYMENT.value])
    )
    for template in templates.order_by(Template.id):
        row = ScheduledMessage.create(
            invoice=invoice,
            template=template,
            due_at=due_time(start, template.delay_value, template.delay_unit, clinic.timezone),
            created_at=now,
            updated_at=now,
        )
        if template.kind == TemplateKind.INVOICE and template.delay_value == 0:
            dispatch(row, invoice, template, clinic, now)
        rows.append(row)
    return rows


def check_still_wanted(invoice: Invoice, template: Template) -> None:
    """Raise ``Skip`` when the message no longer makes sense (void, paid, opted out, no address)."""
    if invoice.status == InvoiceStatus.VOID:
        raise Skip(reasons.VOIDED)
    if not template.active:
        raise Skip(reasons.TEMPLATE_OFF)
    if template.kind == TemplateKind.REMINDER:
        if invoice.balance_cents <= 0:
            raise Skip(reasons.NOTHING_OWED)
        if not invoice.patient.receive_reminders:
            raise Skip(reasons.OPTED_OUT)
        if statements_instead(invoice):
            raise Skip(reasons.STATEMENTS_INSTEAD)
    if template.channel == TemplateChannel.EMAIL and not (invoice.billed_to_email or "").strip():
        raise Skip(reasons.NO_EMAIL)


def statements_instead(invoice: Invoice) -> bool:
    """The patient gets statements of account instead of this invoice's reminders: they chose them,
    the invoice is their own, a statement template is on, and a statement can reach them (else
    the reminders go: nobody is left with nothing)."""
    if invoice.third_party or not invoice.patient.receive_statements:
        return False
    template = statement_template()
    clinic = invoice.billing_company.clinic
    return template is not None and statement_problem(invoice, template, clinic) is None


def statement_template() -> Template | None:
    """The statement template that is on, if any (one at a time: ``models.admin.templates``)."""
    return (
        Template.select()
        .where((Template.active == True) & (Template.kind == TemplateKind.STATEMENT.value))  # noqa: E712
        .order_by(Template.id)
        .first()
    )


def statement_problem(invoice: Invoice, template: Template, clinic: Clinic) -> Skip | None:
    """Why a statement of ``invoice``'s patient could not go with ``template`` (no email address,
    what the clinic's PIN mode needs, consent to an attached PDF); None when it can."""
    patient = invoice.patient
    if not (patient.email or "").strip():
        return Skip(reasons.NO_PATIENT_EMAIL)
    try:
        mode, _phone, _pin = default_pin(invoice, clinic)
    except Skip as exc:
        return exc
    if mode is PinMode.NONE and template.attach_invoice and not attachment_allowed(invoice):
        return Skip(reasons.NO_ATTACHMENT_CONSENT)
    return None


def options_for(invoice: Invoice, template: Template, clinic: Clinic) -> Options:
    """A reminder by email is a plain email; an invoice email uses the clinic's default PIN mode
    (``Skip`` when the mode needs a phone number or a PIN the invoice lacks)."""
    payment_link = bool(template.add_payment_link and invoice.billing_company.stripe_account_id)
    if template.kind == TemplateKind.REMINDER:
        # a reminder is a plain email: the PDF rides along only where the patient consented
        attach = bool(template.attach_invoice and attachment_allowed(invoice))
        return Options(MessageKind.REMINDER, PinMode.NONE, payment_link=payment_link, attach_pdf=attach)
    mode, phone, pin = default_pin(invoice, clinic)
    return Options(MessageKind.INVOICE, mode, phone, pin, payment_link, template.attach_invoice)


def default_pin(invoice: Invoice, clinic: Clinic) -> tuple[PinMode, str | None, str | None]:
    """The clinic's default PIN mode for ``invoice``, with the phone or the PIN it needs; ``Skip``
    when the invoice lacks them."""
    mode = PinMode(clinic.default_pin_mode)
    phone = pin = None
    if mode is PinMode.SMS:
        phone = invoice.billed_to_phone or (None if invoice.third_party else invoice.patient.cell_phone)
        if not phone:
            raise Skip(reasons.NO_PHONE)
    elif mode is PinMode.INSTITUTION:
        number = "".join(ch for ch in invoice.patient.health_insurance_number or "" if ch.isalnum())
        if len(number) < INSURANCE_PIN_LENGTH:
            raise Skip(reasons.NO_INSURANCE_PIN)
        pin = number[-INSURANCE_PIN_LENGTH:]
    return mode, phone, pin


def dispatch(
    row: ScheduledMessage, invoice: Invoice, template: Template, clinic: Clinic, now: datetime
) -> ScheduleStatus:
    """Queue ``row``'s message in the outbox (``enqueued``), or record why not (``skipped``)."""
    try:
        check_still_wanted(invoice, template)
        if template.channel == TemplateChannel.SMS:  # a text: the patient's consent, a mobile number
            with db.atomic():
                message = enqueue_text(invoice, template, now=now, in_window=True)
            settle(row, ScheduleStatus.ENQUEUED, now, outbox_message=message.id, reason=None)
            return ScheduleStatus.ENQUEUED
        options = options_for(invoice, template, clinic)
        with db.atomic():  # a savepoint: a refused enqueue leaves nothing behind
            message = enqueue_invoice_email(
                invoice,
                message="",
                now=now,
                template=template,
                kind=options.kind,
                pin_mode=options.pin_mode,
                phone=options.phone,
                pin=options.pin,
                payment_link=options.payment_link,
                attach_pdf=options.attach_pdf,
                in_window=True,  # automatic: it waits for the clinic's sending hours
            )
    except FacteurError as exc:  # Skip, or what the outbox refused (an invalid address or phone)
        settle(row, ScheduleStatus.SKIPPED, now, reason=reasons.encode(exc.message, **exc.params))
        return ScheduleStatus.SKIPPED
    settle(row, ScheduleStatus.ENQUEUED, now, outbox_message=message.id, reason=None)
    return ScheduleStatus.ENQUEUED


def settle(row: ScheduledMessage, status: ScheduleStatus, now: datetime, **values: Any) -> None:
    ScheduledMessage.update(status=status.value, updated_at=now, **values).where(
        ScheduledMessage.id == row.id
    ).execute()
    row.status = status.value
    for name, value in values.items():
        setattr(row, name, value)

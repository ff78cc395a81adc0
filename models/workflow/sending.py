"""Sending an invoice, as staff ask it: check that it may go, put the message in the outbox
(``enqueue_invoice_email``), send it again, or cancel it while it waits. What the agent then does
with the row is ``models.messaging.outbox``'s.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from locales import N_, translator
from locales.formatting import format_date
from models.billing.invoice import Invoice, describe
from models.billing.statements import Statement
from models.core.enums import InvoiceStatus, MessageKind, OutboxStatus, PinMode, TemplateChannel
from models.core.errors import FacteurError, ValidationError, check_fields
from models.core.validation import check_plain_text, validate_email, validate_language
from models.database.base import fk_id, utcnow
from models.database.db import db
from models.links.payment_links import check_link_offered
from models.messaging.pin_modes import PinChoice, choose
from models.messaging.secure_link import new_token
from models.messaging.sending_window import window_start
from models.messaging.tables import OutboxMessage, Template, Transmission
from models.people.clinic import Staff

MAX_PERSONAL_MESSAGE = 2000
REHAND_PIN = N_(
    "this message's PIN was handed over by the clinic and is not kept: send the invoice from its page"
)


class SendRefused(FacteurError):
    """This invoice or message cannot be (re)sent or cancelled in its present state."""


EMAIL_WITHDRAWN = N_("{name} withdrew their consent to email: print the invoice or hand it over instead")


def default_personal_message(invoice: Invoice, language: str, *, attached: bool = True) -> str:
    """The localized "You will find attached your invoice of YYYY/MM/DD." (the issue date), or
    with a secure link (``attached=False``) "Your invoice of YYYY/MM/DD is ready to download."."""
    issued = invoice.issue_date.strftime("%Y/%m/%d") if invoice.issue_date else ""
    if not attached:
        return translator(language).format(N_("Your invoice of {date} is ready to download."), date=issued)
    return translator(language).format(N_("You will find attached your invoice of {date}."), date=issued)


def default_statement_message(statement: Statement, language: str, *, attached: bool) -> str:
    """ "Your statement of account of December 6, 2026 is ready to download." (or attached)."""
    tr = translator(language)
    country = statement.billing_company.clinic.country
    day = format_date(statement.issue_date, tr.language, country, "long")
    if attached:
        return tr.format(N_("You will find attached your statement of account of {date}."), date=day)
    return tr.format(N_("Your statement of account of {date} is ready to download."), date=day)


def check_sendable(invoice: Invoice) -> None:
    """Only billed (or paid) invoices go out; drafts and void invoices are refused."""
    if invoice.status == InvoiceStatus.DRAFT:
        raise SendRefused(
            N_("invoice {invoice} is a draft: bill it before sending it"), invoice=describe(invoice)
        )
    if invoice.status == InvoiceStatus.VOID:
        raise SendRefused(N_("invoice {invoice} is void: it cannot be sent"), invoice=describe(invoice))


def enqueue_invoice_email(
    invoice: Invoice,
    *,
    email: str | None = None,
    language: str | None = None,
    message: str | None = None,
    staff: Staff | None = None,
    update_patient: bool = False,
    now: datetime | None = None,
    pin_mode: PinMode | str | None = None,
    pin: str | None = None,
    phone: str | None = None,
    kind: MessageKind = MessageKind.INVOICE,
    template: Template | None = None,
    payment_link: bool = False,
    attach_pdf: bool | None = None,
    statement: Statement | None = None,
    in_window: bool = False,
) -> OutboxMessage:
    """Queue ``invoice`` for email; returns at once, online or not.

    ``email`` and ``language`` default to the billed-to person's; ``message`` to
    :func:`default_personal_message` (``""`` sends none). ``update_patient`` also saves
    the email on the patient's record (refused for a third party's address).

    ``pin_mode`` (see ``models.messaging.pin_modes``): ``sms`` or ``institution`` send a secure link
    (its token drawn here; ``phone`` / ``pin`` as typed, else prefilled), ``none`` attaches
    the PDF (the patient's consent is required). Left out (``None``), the PDF is attached as
    before secure delivery existed: the TUI and the CLI always say which mode. Every refused
    field is reported at once (``FieldErrors``). ``attach_pdf=False`` with ``none`` sends a
    plain email without the PDF (a reminder), which needs no consent.

    With a ``template`` the agent writes the subject and body from it (automatic emails,
    reminders, ``kind``). ``payment_link`` adds a "Pay invoice" button (refused where no link can
    be offered; whether a Stripe key is configured is the caller's check:
    ``payment_links.stripe_key_configured``). With a ``statement`` (of account), the message carries
    it and its invoices instead (``invoice`` is then the statement's newest, which it is filed under).
    ``in_window``: it waits for the clinic's sending window (automatic messages, or staff chose it);
    else it goes at once (``models.messaging.sending_window``).
    """
    now = now or utcnow()
    with db.atomic():
        current = Invoice.get_or_none(Invoice.id == invoice.id)
        if current is None:
            raise SendRefused(N_("no invoice {invoice}"), invoice=describe(invoice))
        check_sendable(current)
        if payment_link and statement is None:  # a statement's button is checked by its sender
            check_link_offered(current)
        patient = current.patient
        country = str(current.billing_company.clinic.country)
        checks: dict[str, Callable[[], object]] = {
            "email": lambda: _recipient(current, email),
            "language": lambda: validate_language(
                language or current.billed_to_language or patient.language or _clinic_language(current)
            ),
            "pin": lambda: (
                PinChoice(PinMode.NONE, attach_pdf=attach_pdf is not False)
                if pin_mode is None or (pin_mode == PinMode.NONE and attach_pdf is False)
                else choose(current, pin_mode, pin=pin, phone=phone, country=country)
            ),
        }
        if message is not None:
            checks["message"] = lambda: _personal_message(message)
        if update_patient and current.third_party:
            checks["save"] = _third_party_address
        values = check_fields(checks)
        address, lang, choice = str(values["email"]), str(values["language"]), values["pin"]
        assert isinstance(choice, PinChoice)
        if message is not None:
            text = str(values["message"])
        elif statement is not None:
            text = default_statement_message(statement, lang, attached=choice.attach_pdf)
        else:
            text = default_personal_message(current, lang, attached=choice.attach_pdf)
        if update_patient:
            patient.email = address
            patient.updated_at = now
            patient.save()
        return OutboxMessage.create(
            kind=MessageKind(kind).value,
            invoice=current,
            statement=statement,
            template=template,
            recipient_email=address,
            recipient_phone=choice.phone,
            language=lang,
            pin_mode=choice.mode.value,
            attach_pdf=choice.attach_pdf,
            link_token=choice.link_token,
            pin_hash=choice.pin_hash,
            personal_message=text or None,
            payment_link=payment_link,
            created_by=staff,
            created_at=now,
            in_window=in_window,
            next_attempt_at=window_start(now, current.billing_company.clinic) if in_window else now,
        )


def _recipient(invoice: Invoice, email: str | None) -> str:
    address = email if email is not None else invoice.billed_to_email
    if not (address or "").strip():
        raise ValidationError(
            "email", N_("invoice {invoice} has no email address: give one"), invoice=describe(invoice)
        )
    if not invoice.third_party and invoice.patient.email_withdrawn:
        raise ValidationError("email", EMAIL_WITHDRAWN, name=invoice.patient.full_name)
    return validate_email(address or "")


def _personal_message(text: str) -> str:
    check_plain_text(text, "message")
    if len(text.strip()) > MAX_PERSONAL_MESSAGE:
        raise ValidationError(
            "message", N_("the message is too long (at most {max} characters)"), max=MAX_PERSONAL_MESSAGE
        )
    return text.strip()


def _third_party_address() -> None:
    raise ValidationError(
        "email", N_("this invoice is billed to a third party: the patient's email stays as is")
    )


def _clinic_language(invoice: Invoice) -> str:
    return str(invoice.billing_company.clinic.default_language)


def resend(item: OutboxMessage | Transmission, *, staff: Staff | None = None) -> OutboxMessage:
    """The TUI's "send again": a new pending message with the same recipient and options."""
    original = item.message if isinstance(item, Transmission) else item
    if original is None:
        raise SendRefused(N_("this transmission no longer has its message"))
    if original.pin_mode == PinMode.INSTITUTION:
        # the handed-over PIN is not kept, and a new link needs it: staff give it again
        raise SendRefused(REHAND_PIN)
    now = utcnow()
    with db.atomic():
        invoice = Invoice.get_by_id(fk_id(original, "invoice"))
        check_sendable(invoice)
        if original.sends_email and not invoice.third_party and invoice.patient.email_withdrawn:
            raise SendRefused(EMAIL_WITHDRAWN, name=invoice.patient.full_name)
        if original.medium == TemplateChannel.SMS:  # a text again: the same checks as the first
            from models.workflow.texting import text_refusal  # texting builds on this module

            refusal = text_refusal(invoice)
            if refusal is not None:
                raise refusal
        return OutboxMessage.create(
            kind=original.kind,
            invoice=fk_id(original, "invoice"),
            statement=fk_id(original, "statement"),
            template=fk_id(original, "template"),
            recipient_email=original.recipient_email,
            recipient_phone=original.recipient_phone,
            language=original.language,
            pin_mode=original.pin_mode,
            link_token=new_token() if original.pin_mode == PinMode.SMS else None,  # a new link
            payment_link=original.payment_link,
            link_action=original.link_action,  # a link task is asked again, still without email
            revokes=original.revokes,
            medium=original.medium,  # a text goes again as a text
            attach_pdf=original.attach_pdf,
            personal_message=original.personal_message,  # already dropped if it was sent
            created_by=staff if staff is not None else fk_id(original, "created_by"),
            created_at=now,
            next_attempt_at=now,
        )


def cancel(message: OutboxMessage) -> OutboxMessage:
    """Cancel a pending message; one being sent right now cannot be called back."""
    with db.atomic():
        changed = (
            OutboxMessage.update(
                status=OutboxStatus.CANCELLED.value, personal_message=None, link_token=None, lease_owner=None
            )
            .where((OutboxMessage.id == message.id) & (OutboxMessage.status == OutboxStatus.PENDING))
            .execute()
        )
        current = OutboxMessage.get_by_id(message.id)
    if not changed:
        raise SendRefused(
            N_("message {id} is {status}: only a pending message can be cancelled"),
            id=message.id,
            status=current.status,
        )
    return current

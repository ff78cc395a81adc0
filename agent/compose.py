"""The invoice email: headers without health details, a body in the recipient's language, and
the secure link (a button, its end date, how the PIN comes) or, with consent, the PDF attached.

Subject = the clinic's name; From = the staff member who queued it, at ``[email]
from_address``; the Message-ID is the one stored on the outbox row before the send. The
message is written as bytes directly (``agent.mime``); ``Composer.compose`` reads them back
as an ``EmailMessage``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime as email_date
from email.utils import make_msgid
from functools import lru_cache
from pathlib import Path

import jinja2

from agent.facts import message_facts
from agent.mime import Attachment, OutgoingEmail, address_header, build_email, header
from agent.pdfs import PdfProvider
from agent.statement_documents import statement_document
from agent.steps import Delivery
from agent.template_mail import TemplateBody, template_body
from locales import N_, Translator, translator
from locales.formatting import format_date, format_datetime, format_money, local_datetime
from models.billing.invoice import Invoice
from models.billing.statements import Statement, due_now
from models.core.enums import PinMode
from models.core.errors import FacteurError
from models.database.base import fk_id, utcnow
from models.messaging.tables import OutboxMessage, Template
from models.people.clinic import Clinic

TEMPLATES = Path(__file__).parent / "templates"


@lru_cache(maxsize=1)
def _templates() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, trim_blocks=True, lstrip_blocks=True
    )


@dataclass(frozen=True)
class SecureLink:
    """The portal link in an email: the button, when it stops working, how the PIN comes."""

    url: str
    label: str
    notes: tuple[str, ...]


@dataclass(frozen=True)
class Button:
    """A link the email offers as a button (HTML) and as a line with its address (text)."""

    label: str
    url: str
    note: str = ""

    def text(self) -> str:
        return "\n".join(part for part in (self.label, self.url, self.note) if part)


@dataclass(frozen=True)
class Body:
    """The body's parts, already in the reader's language; rendered as text and as HTML."""

    language: str
    greeting: str
    message: str
    facts: tuple[str, ...]
    closing: str
    signature: tuple[str, ...]
    link: SecureLink | None = None
    buttons: tuple[Button, ...] = ()

    def text(self) -> str:
        link = self.link
        blocks = [
            self.greeting,
            self.message,
            f"{link.label}\n{link.url}\n\n" + "\n".join(link.notes) if link else "",
            "\n".join(self.facts),
            *(button.text() for button in self.buttons),
            "\n".join((self.closing, *self.signature)),
        ]
        return "\n\n".join(block for block in blocks if block) + "\n"

    def html(self) -> str:
        return _templates().get_template("invoice_email.html").render(body=self)


def signature(clinic: Clinic) -> tuple[str, ...]:
    """The lines an email is signed with: the clinic's name and address."""
    return (clinic.name, *(line.strip() for line in clinic.address.splitlines() if line.strip()))


def message_id_domain(from_address: str) -> str:
    return from_address.rpartition("@")[2] or "localhost"


def new_message_id(message: OutboxMessage, domain: str) -> str:
    """A fresh, globally unique Message-ID; generated once per outbox message."""
    return make_msgid(idstring=f"facteur.{message.id}", domain=domain)


def is_secure(message: OutboxMessage) -> bool:
    """Sent as a portal link with a PIN (``sms`` or ``institution``), not as an attachment."""
    return message.pin_mode in (PinMode.SMS, PinMode.INSTITUTION)


def wants_pdf(message: OutboxMessage) -> bool:
    """Whether delivering ``message`` reads its invoice's PDF: attached, or published to the portal
    (a secure link not published yet, or republished with a fresh SMS PIN). A statement's message
    reads its own documents (``agent.statement_documents``)."""
    if fk_id(message, "statement") is not None:
        return False
    if is_secure(message):
        return message.published_at is None or (
            message.pin_mode == PinMode.SMS and message.pin_sent_at is None
        )
    return bool(message.attach_pdf) and message.sends_email


def composable(message: OutboxMessage, delivery: Delivery) -> bool:
    """Whether ``Composer.compose_bytes`` has all it needs on ``delivery`` (no I/O, no waiting). A
    message with a staff-edited template is not: its render waits on the template helper, up to
    the template budget, which the event loop must never do; nor is a statement's, which reads its rows."""
    attached = message.attach_pdf and not is_secure(message)
    reads = fk_id(message, "template") is not None or fk_id(message, "statement") is not None
    return delivery.facts is not None and not reads and (not attached or delivery.pdf is not None)


def secure_link(
    message: OutboxMessage, clinic: Clinic, delivery: Delivery | None, tr: Translator
) -> SecureLink:
    """The link block; the steps before the email must have published the link."""
    if delivery is None or not delivery.download_url or delivery.link_expires_at is None:
        raise SecureLinkMissing(N_("the secure link was not published before the email"))
    # the day it stops, on the clinic's calendar (a time of day adds nothing a patient needs)
    last_day = local_datetime(delivery.link_expires_at, clinic.timezone).date()
    until = format_date(last_day, tr.language, clinic.country, "long")
    if message.pin_mode == PinMode.SMS:
        digits = "".join(ch for ch in message.recipient_phone or "" if ch.isdigit())[-2:]
        how = tr.format(N_("Your PIN comes by SMS to the number ending in {digits}."), digits=digits)
    else:
        how = tr.gettext(N_("The clinic gives you the PIN that opens it."))
    return SecureLink(
        url=delivery.download_url,
        label=tr.gettext(N_("Download your invoice")),
        notes=(how, tr.format(N_("This link stops working on {date}."), date=until)),
    )


class SecureLinkMissing(FacteurError):
    """A secure message reached the composer without its link (no publishing step ran)."""


class Composer:
    """Builds the email for one outbox message (reads the database unless the message's facts are
    on its ``Delivery``: run it off the event loop)."""

    def __init__(self, pdfs: PdfProvider, from_address: str, *, pay_base: str = "") -> None:
        self.pdfs = pdfs
        self.from_address = from_address
        self.pay_base = pay_base  # [portal] url: an attached statement prints the QR code to its Pay page

    def body(
        self,
        message: OutboxMessage,
        invoice: Invoice,
        clinic: Clinic,
        delivery: Delivery | None = None,
        template: Template | None = None,
    ) -> Body | TemplateBody:
        """The email's text; ``delivery`` holds what the steps before it made (links to show).
        A message with a template (automatic emails, reminders) is written from ``template``."""
        if template is not None:
            return template_body(message, template, invoice, clinic, delivery)
        lang = message.language
        tr = translator(lang, clinic.default_language)
        country = clinic.country
        statement_id = fk_id(message, "statement")
        if statement_id is not None:
            return self._statement_body(message, Statement.get_by_id(statement_id), clinic, delivery, tr)
        facts = [tr.format(N_("Invoice {number}"), number=invoice.number or "")]
        if invoice.balance_cents > 0:
            amount = format_money(invoice.balance_cents, invoice.currency, tr.language, country)
            facts.append(tr.format(N_("Amount due: {amount}"), amount=amount))
            if invoice.due_date:
                facts.append(
                    tr.format(
                        N_("Due date: {date}"), date=format_date(invoice.due_date, tr.language, country)
                    )
                )
        else:
            facts.append(tr.gettext(N_("This invoice is paid. Thank you!")))
        buttons = []
        if delivery is not None and delivery.payment_url and invoice.balance_cents > 0:
            note = ""
            if delivery.payment_expires_at is not None:
                until = format_datetime(
                    delivery.payment_expires_at, clinic.timezone, tr.language, country, "long"
                )
                note = tr.format(N_("This payment link works until {time}."), time=until)
            buttons.append(Button(tr.gettext(N_("Pay invoice")), delivery.payment_url, note))
        return Body(
            language=tr.language,
            greeting=tr.format(N_("Hello {name},"), name=invoice.billed_to_name),
            message=message.personal_message or "",
            facts=tuple(facts),
            closing=tr.gettext(N_("Best regards,")),
            signature=signature(clinic),
            link=secure_link(message, clinic, delivery, tr) if is_secure(message) else None,
            buttons=tuple(buttons),
        )

    def _statement_body(
        self,
        message: OutboxMessage,
        statement: Statement,
        clinic: Clinic,
        delivery: Delivery | None,
        tr: Translator,
    ) -> Body:
        """A statement of account: what is owed in all now (payments since it was made count), and
        the link to the statement and its invoices."""
        due = due_now(statement)
        money = format_money(due, statement.currency, tr.language, clinic.country)
        facts = [tr.format(N_("Statement of account {reference}"), reference=statement.reference)]
        if due > 0:
            facts.append(tr.format(N_("Amount due: {amount}"), amount=money))
        else:
            facts.append(tr.gettext(N_("Nothing is owed on this account.")))
        link = None
        if is_secure(message):
            link = replace(
                secure_link(message, clinic, delivery, tr),
                label=tr.gettext(N_("Download your statement and invoices")),
            )
        buttons: tuple[Button, ...] = ()
        if delivery is not None and delivery.payment_url and due > 0:
            buttons = (Button(tr.gettext(N_("Pay the balance")), delivery.payment_url),)
        return Body(
            language=tr.language,
            greeting=tr.format(N_("Hello {name},"), name=statement.patient.full_name),
            message=message.personal_message or "",
            facts=tuple(facts),
            closing=tr.gettext(N_("Best regards,")),
            signature=signature(clinic),
            link=link,
            buttons=buttons,
        )

    def compose_bytes(self, message: OutboxMessage, delivery: Delivery | None = None) -> OutgoingEmail:
        """The email as it goes on the wire (``agent.mime``). The rows come from ``delivery.facts``
        (read with the claim), else from the database; the attached PDF from ``delivery.pdf``, else
        from the renderer. With both on the delivery, it reads no file and no row (``composable``)."""
        facts = delivery.facts if delivery is not None and delivery.facts is not None else None
        if facts is None:
            facts = message_facts(message)
        invoice, clinic, staff = facts.invoice, facts.clinic, facts.staff
        body = self.body(message, invoice, clinic, delivery, facts.template)
        message_id = message.message_id or new_message_id(message, message_id_domain(self.from_address))
        # never a health detail: the clinic's name, or a template's subject (checked when saved)
        subject = body.subject if isinstance(body, TemplateBody) else clinic.name
        headers = "".join(
            (
                address_header("From", staff.display_name if staff else clinic.name, self.from_address),
                address_header("To", invoice.billed_to_name, message.recipient_email or ""),
                header("Subject", subject),
                header("Date", email_date(utcnow())),
                header("Message-ID", message_id),
                header("Content-Language", body.language),
            )
        )
        attachments = []
        statement_id = fk_id(message, "statement")
        if message.attach_pdf and not is_secure(message) and statement_id is not None:
            name, pdf = statement_document(statement_id, body.language, self.pay_base)
            attachments.append(Attachment(name, pdf))  # the statement; its invoices went before
        elif message.attach_pdf and not is_secure(message):  # a secure link never carries the document
            ready = delivery.pdf if delivery is not None and body.language == message.language else None
            pdf = ready if ready is not None else self.pdfs.get(invoice, body.language)
            attachments.append(Attachment(self.pdfs.filename(invoice, body.language), pdf))
        return OutgoingEmail(message_id, build_email(headers, body.text(), body.html(), attachments))

    def compose(self, message: OutboxMessage, delivery: Delivery | None = None) -> EmailMessage:
        """``compose_bytes`` read back as an ``EmailMessage``, for whoever wants to look inside."""
        data = self.compose_bytes(message, delivery).data
        # read with Python's own line ends, as a message built in memory has them
        return message_from_bytes(data.replace(b"\r\n", b"\n"), policy=policy.default)

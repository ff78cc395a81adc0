"""PIN modes: how the person billed gets the PIN that opens an invoice's secure link.

- ``sms`` (secure link, the usual choice): the agent draws a 6-digit PIN when it sends
  and texts it to a cell phone, prefilled from the billed-to person (else the patient);
  a number typed for one message is not saved on any record;
- ``institution``: the clinic hands the PIN over; it is prefilled with the last six
  characters of the patient's health insurance number (spaces, dots and dashes ignored),
  and typed by staff (at least 6 letters or digits) where there is none. Only its keyed
  hash is stored, under the link's token, which is drawn at enqueue;
- ``none``: no link, the PDF attached to the email; only for a patient whose consent to
  attachments is recorded.

``choose`` checks a choice and returns what the outbox row stores; every refusal names
its field (``pin_mode``, ``phone``, ``pin``) so a form can mark it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from locales import N_
from models.billing.invoice import Invoice
from models.core.enums import PinMode
from models.core.errors import ValidationError
from models.core.validation import validate_cell_phone
from models.messaging.secure_link import MIN_TYPED_PIN, new_token, normalize_pin, pin_hash

MAX_TYPED_PIN = 32
_SEPARATORS = re.compile(r"[\s.\-]+")
NO_CONSENT = N_("{name} has not consented to invoices attached to emails: send a secure link instead")


@dataclass(frozen=True)
class PinChoice:
    """What an outbox row keeps of the choice: never a PIN."""

    mode: PinMode
    phone: str | None = None  # E.164, SMS mode only
    link_token: str | None = None
    pin_hash: str | None = None  # institution mode only
    attach_pdf: bool = False


def institution_pin(insurance_number: str | None) -> str | None:
    """The last six characters of the insurance number (``756.1234.5678.97`` -> ``567897``), if it has six."""
    compact = _SEPARATORS.sub("", insurance_number or "").upper()
    return compact[-6:] if len(compact) >= MIN_TYPED_PIN else None


def prefilled_phone(invoice: Invoice) -> str | None:
    """The billed-to person's cell phone, else the patient's when the patient is the one billed."""
    if invoice.billed_to_phone:
        return str(invoice.billed_to_phone)
    if not invoice.third_party and invoice.patient.cell_phone:
        return str(invoice.patient.cell_phone)
    return None


def attachment_allowed(invoice: Invoice) -> bool:
    """The plain attachment needs the patient's recorded consent."""
    return bool(invoice.patient.consent_email_attachments)


def parse_mode(value: PinMode | str) -> PinMode:
    try:
        return PinMode(str(value).strip().lower())
    except ValueError:
        raise ValidationError(
            "pin_mode", N_("{value} is not a PIN mode; expected sms, institution or none"), value=str(value)
        ) from None


def validate_pin(value: str, field: str = "pin") -> str:
    """A PIN staff typed, as compared (``normalize_pin``): 6 to 32 letters or digits."""
    pin = normalize_pin(value)
    if not pin.isalnum() or not pin.isascii():
        if not pin:
            raise ValidationError(field, N_("this field is required"))
        raise ValidationError(field, N_("a PIN holds only letters and digits"))
    if not MIN_TYPED_PIN <= len(pin) <= MAX_TYPED_PIN:
        raise ValidationError(
            field, N_("a PIN has {min} to {max} letters or digits"), min=MIN_TYPED_PIN, max=MAX_TYPED_PIN
        )
    return pin


def choose(
    invoice: Invoice,
    mode: PinMode | str,
    *,
    pin: str | None = None,
    phone: str | None = None,
    country: str = "CA",
) -> PinChoice:
    """Check a PIN mode for ``invoice``: what its outbox row stores (never the PIN itself).

    ``pin`` (institution) defaults to the insurance number's end; ``phone`` (SMS) to
    :func:`prefilled_phone`. Raises ``ValidationError`` on the field at fault.
    """
    chosen = parse_mode(mode)
    if chosen is not PinMode.INSTITUTION and (pin or "").strip():
        raise ValidationError("pin", N_("a PIN is typed only when the clinic hands it over"))
    if chosen is not PinMode.SMS and (phone or "").strip():
        raise ValidationError("phone", N_("a phone number is used only when the PIN goes by SMS"))
    if chosen is PinMode.NONE:
        if not attachment_allowed(invoice):
            raise ValidationError("pin_mode", NO_CONSENT, name=invoice.patient.full_name)
        return PinChoice(PinMode.NONE, attach_pdf=True)
    token = new_token()
    if chosen is PinMode.SMS:
        number = (phone or "").strip() or prefilled_phone(invoice)
        if not number:
            raise ValidationError(
                "phone",
                N_("no cell phone number for {name}: type one to send the PIN by SMS"),
                name=invoice.billed_to_name,
            )
        return PinChoice(PinMode.SMS, phone=validate_cell_phone(number, country, "phone"), link_token=token)
    handed = handover_pin(invoice, pin)
    return PinChoice(PinMode.INSTITUTION, link_token=token, pin_hash=pin_hash(token, handed))


def handover_pin(invoice: Invoice, typed: str | None = None) -> str:
    """The institution PIN as staff hand it over: ``typed``, else the insurance number's last six."""
    text = (typed or "").strip() or institution_pin(invoice.patient.health_insurance_number) or ""
    if not text:
        raise ValidationError(
            "pin",
            N_("{name} has no health insurance number: type a PIN of at least {min} characters"),
            name=invoice.patient.full_name,
            min=MIN_TYPED_PIN,
        )
    return validate_pin(text)

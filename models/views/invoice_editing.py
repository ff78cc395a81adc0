"""What the invoice screens read and write: field parsing, the form's choices, drafts by id.

Screens call these from worker threads and get plain records back, so nothing on the
UI thread touches the database (a peewee model's foreign keys load lazily).
The rules themselves stay in ``models.billing.invoicing``; this module only gathers and checks
what a form holds. Field checks raise ``ValidationError`` naming the form's field.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from locales import N_
from models.billing.invoice import Invoice, describe
from models.billing.invoicing import (
    MAX_QUANTITY,
    BilledTo,
    LineInput,
    billed_to_fields,
    clinic_today,
    create_draft,
    line_input,
    lines_of,
    replace_lines,
)
from models.billing.tax_computation import TaxRule
from models.billing.taxes import check_codes, default_codes, join_codes, split_codes, taxes_in_force
from models.core.enums import InvoiceStatus, PaymentMethod
from models.core.errors import NotFoundError, TransitionError, ValidationError
from models.core.labels import INVOICE_STATUS
from models.core.money import parse_amount
from models.core.validation import (
    REQUIRED,
    blank_to_none,
    optional,
    validate_cell_phone,
    validate_email,
    validate_language,
    validate_name,
)
from models.database.base import utcnow
from models.database.db import db
from models.people.clinic import BillingCompany, Clinic, Staff
from models.people.patient import Patient
from models.people.patients import search_patients
from models.workflow.lifecycle import bill, record_payment, void

# Field parsing (no database) -------------------------------------------------------

_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_ZERO = re.compile(r"0+(?:[.,]0+)?")


def parse_decimal(text: str, field: str, message: str) -> Decimal:
    """``"1,5"`` or ``"1.5"`` as a Decimal; spaces and a trailing % are dropped."""
    cleaned = re.sub(r"[\s\u00a0\u202f]", "", text).removesuffix("%")
    if not _NUMBER.fullmatch(cleaned):
        raise ValidationError(field, message, value=text.strip())
    try:
        return Decimal(cleaned.replace(",", "."))
    except InvalidOperation:
        raise ValidationError(field, message, value=text.strip()) from None


def parse_quantity(text: str, field: str = "quantity") -> Decimal:
    if not text.strip():
        raise ValidationError(field, REQUIRED)
    quantity = parse_decimal(text, field, N_("{value} is not a quantity"))
    if not Decimal(0) < quantity <= MAX_QUANTITY or -quantity.as_tuple().exponent > 3:  # type: ignore[operator]
        raise ValidationError(
            field,
            N_("the quantity must be above 0 and at most {max}, with 3 decimals at most"),
            max=MAX_QUANTITY,
        )
    return quantity


def parse_unit_price(text: str, currency: str, field: str = "unit_price") -> int:
    """Cents; unlike a payment, a line may be free (``0``)."""
    if not text.strip():
        raise ValidationError(field, REQUIRED)
    if _ZERO.fullmatch(text.strip()):
        return 0
    return parse_amount(text, currency, field)


def parse_tax_rate(text: str, field: str = "tax_rate") -> Decimal:
    """A percentage, ``14,975`` or ``14.975 %``; blank is no tax."""
    if not text.strip():
        return Decimal(0)
    rate = parse_decimal(text, field, N_("{value} is not a tax rate; type a percentage such as 14,975"))
    if rate > 100 or -rate.as_tuple().exponent > 4:  # type: ignore[operator]
        raise ValidationError(field, N_("the tax rate must be between 0 and 100 %, with 4 decimals at most"))
    return rate


@dataclass(frozen=True)
class TaxChoice:
    """A company's taxes in force on the form's day (by code), and those a new line starts with."""

    day: date
    rules: dict[str, TaxRule]
    defaults: tuple[str, ...] = ()


def parse_taxes(text: str, taxes: TaxChoice | None, field: str = "taxes") -> tuple[tuple[str, ...], Decimal]:
    """A line's taxes as typed: codes (``GST+QST``, ``gst qst``), or blank for exempt; a bare
    percentage (``14,975``) is a rate as lines had before named taxes (a draft written then)."""
    if not text.strip():
        return (), Decimal(0)
    if _NUMBER.fullmatch(re.sub(r"[\s\u00a0\u202f%]", "", text)):
        return (), parse_tax_rate(text, field)
    codes = split_codes(text)
    if taxes is not None:
        check_codes(codes, taxes.rules, taxes.day, field)
    return codes, Decimal(0)


def taxes_text(line: LineInput, decimal: Callable[[Decimal], str]) -> str:
    """What the form's taxes field shows for a saved line: its codes, else its bare rate."""
    if line.tax_codes:
        return join_codes(line.tax_codes)
    return f"{decimal(line.tax_rate)} %" if line.tax_rate else ""


@dataclass(frozen=True)
class LineFields:
    """One line's text as typed in the form."""

    code: str = ""
    description: str = ""
    quantity: str = "1"
    unit_price: str = ""
    taxes: str = ""  # the codes of its taxes, "GST+QST"; blank: exempt

    @property
    def is_blank(self) -> bool:
        """Nothing typed (the quantity and the taxes a new line starts with do not count)."""
        return not any(part.strip() for part in (self.code, self.description, self.unit_price))


def parse_line(
    fields: LineFields, currency: str, taxes: TaxChoice | None = None
) -> tuple[LineInput | None, list[ValidationError]]:
    """The line, or every field's error (field names: code, description, quantity, unit_price, taxes);
    ``taxes``, when given, are the codes the company has."""
    errors: list[ValidationError] = []

    def attempt(parse, *args):  # type: ignore[no-untyped-def]
        try:
            return parse(*args)
        except ValidationError as error:
            errors.append(error)
            return None

    description = fields.description.strip()
    if not description:
        errors.append(ValidationError("description", REQUIRED))
    elif len(description) > 500:
        errors.append(ValidationError("description", N_("at most {max} characters"), max=500))
    if len(fields.code.strip()) > 32:
        errors.append(ValidationError("code", N_("at most {max} characters"), max=32))
    quantity = attempt(parse_quantity, fields.quantity)
    price = attempt(parse_unit_price, fields.unit_price, currency)
    parsed = attempt(parse_taxes, fields.taxes, taxes)
    if errors:
        return None, errors
    codes, rate = parsed
    return LineInput(description, quantity, price, rate, fields.code.strip(), codes), []


def check_billed_to(
    name: str, email: str, phone: str, language: str, country: str
) -> tuple[BilledTo | None, list[ValidationError]]:
    """A third party's contact, or every field's error (billed_to_name, _email, _phone, _language)."""
    errors: list[ValidationError] = []
    values: dict[str, str | None] = {}
    checks = {
        "name": lambda: validate_name(name, "billed_to_name", max_length=200),
        "email": lambda: optional(validate_email)(email, "billed_to_email"),
        "phone": lambda: optional(validate_cell_phone)(phone, country, "billed_to_phone"),
        "language": lambda: optional(validate_language)(language, "billed_to_language"),
    }
    for key, check in checks.items():
        try:
            values[key] = check()
        except ValidationError as error:
            errors.append(error)
    if errors:
        return None, errors
    return BilledTo(str(values["name"]), values["email"], values["phone"], values["language"]), []


# Reads for the form -----------------------------------------------------------------


@dataclass(frozen=True)
class PatientSummary:
    id: int
    full_name: str
    email: str | None
    cell_phone: str | None
    language: str | None
    health_insurance_number: str | None

    @classmethod
    def of(cls, patient: Patient) -> PatientSummary:
        return cls(
            patient.id,
            patient.full_name,
            patient.email,
            patient.cell_phone,
            patient.language,
            patient.health_insurance_number,
        )


def patient_page(text: str, page: int, size: int) -> tuple[list[PatientSummary], bool]:
    """Page ``page`` (from 0) of the patients matching ``text``, and whether more follow.

    ``search_patients`` walks the name index in order and stops at its limit, so asking
    for the pages up to this one costs little; nobody pages far in a picker, they type more.
    """
    found = search_patients(text, limit=(page + 1) * size + 1)
    rows = found[page * size : (page + 1) * size]
    return [PatientSummary.of(patient) for patient in rows], len(found) > (page + 1) * size


def patient_summary(patient_id: int) -> PatientSummary:
    patient = Patient.get_or_none(Patient.id == patient_id)
    if patient is None:
        raise NotFoundError(N_("no patient #{id}"), id=patient_id)
    return PatientSummary.of(patient)


@dataclass(frozen=True)
class Choice:
    id: int
    label: str


@dataclass(frozen=True)
class CompanyChoice:
    id: int
    label: str
    currency: str


@dataclass(frozen=True)
class FormChoices:
    providers: list[Choice]
    companies: list[CompanyChoice]
    taxes: dict[int, TaxChoice] = field(default_factory=dict)  # by company id


def form_choices(now: datetime | None = None) -> FormChoices:
    """Active staff with the provider role, active billing companies (oldest first: the default),
    and each company's taxes in force on the clinic's today."""
    staff = Staff.select().where(Staff.active == True).order_by(Staff.display_name)  # noqa: E712
    providers = [Choice(person.id, person.display_name) for person in staff if "provider" in person.roles]
    companies = list(BillingCompany.select().where(BillingCompany.active == True).order_by(BillingCompany.id))  # noqa: E712
    taxes = {}
    for company in companies:
        day = clinic_today(company.clinic, now)
        taxes[company.id] = TaxChoice(day, taxes_in_force(company.id, day), default_codes(company.id, day))
    return FormChoices(providers, [CompanyChoice(c.id, c.name, c.currency) for c in companies], taxes)


@dataclass(frozen=True)
class DraftInput:
    """A whole form, checked: what ``save_draft`` writes."""

    patient_id: int
    billing_company_id: int
    provider_id: int | None
    billed_to: BilledTo | None  # None: the patient
    lines: tuple[LineInput, ...]


@dataclass(frozen=True)
class DraftData:
    """A saved draft as the form shows it for editing."""

    invoice_id: int
    patient: PatientSummary
    billing_company_id: int
    provider_id: int | None
    billed_to: BilledTo | None
    lines: tuple[LineInput, ...]


def load_draft(invoice_id: int) -> DraftData:
    invoice = _invoice(invoice_id)
    if invoice.status != InvoiceStatus.DRAFT:
        raise TransitionError(
            N_("invoice {invoice} is {status}: only a draft can be edited"),
            invoice=describe(invoice),
            status=INVOICE_STATUS[invoice.status],
        )
    billed_to = (
        BilledTo(
            invoice.billed_to_name,
            invoice.billed_to_email,
            invoice.billed_to_phone,
            invoice.billed_to_language,
        )
        if invoice.third_party
        else None
    )
    lines = tuple(line_input(line) for line in lines_of(invoice))
    return DraftData(
        invoice.id,
        PatientSummary.of(invoice.patient),
        invoice.billing_company.id,
        invoice.provider.id if invoice.provider else None,
        billed_to,
        lines,
    )


def save_draft(data: DraftInput, *, created_by: Staff | None, invoice_id: int | None = None) -> Invoice:
    """Create the draft, or rewrite draft ``invoice_id`` (header and lines) in one transaction."""
    with db.atomic():
        patient = Patient.get_or_none(Patient.id == data.patient_id)
        if patient is None:
            raise NotFoundError(N_("no patient #{id}"), id=data.patient_id)
        company = BillingCompany.get_or_none(BillingCompany.id == data.billing_company_id)
        if company is None:
            raise NotFoundError(N_("no billing company #{id}"), id=data.billing_company_id)
        provider = Staff.get_or_none(Staff.id == data.provider_id) if data.provider_id else None
        if invoice_id is None:
            return create_draft(
                patient=patient,
                billing_company=company,
                provider=provider,
                created_by=created_by,
                billed_to=data.billed_to,
                lines=data.lines,
            )
        current = _invoice(invoice_id)
        Invoice.update(
            patient=patient,
            billing_company=company,
            provider=provider,
            currency=company.currency,
            **billed_to_fields(patient, data.billed_to),
            updated_at=utcnow(),
        ).where((Invoice.id == current.id) & (Invoice.status == InvoiceStatus.DRAFT.value)).execute()
        return replace_lines(current, data.lines)  # refuses, and rolls back, if no longer a draft


def save_and_bill(
    data: DraftInput, *, created_by: Staff | None, invoice_id: int | None = None, now: datetime | None = None
) -> Invoice:
    """Save then bill in one transaction: if billing is refused, nothing is saved either."""
    with db.atomic():
        return bill(save_draft(data, created_by=created_by, invoice_id=invoice_id), now=now)


# Actions from the detail screen, by id ----------------------------------------------


def _invoice(invoice_id: int) -> Invoice:
    invoice = Invoice.get_or_none(Invoice.id == invoice_id)
    if invoice is None:
        raise NotFoundError(N_("no invoice {invoice}"), invoice=f"#{invoice_id}")
    return invoice


def bill_draft(invoice_id: int, now: datetime | None = None) -> Invoice:
    return bill(_invoice(invoice_id), now=now)


def void_invoice(invoice_id: int, reason: str) -> Invoice:
    return void(_invoice(invoice_id), reason)


def received_at(day: date, clinic: Clinic, now: datetime | None = None) -> datetime:
    """When a payment dated ``day`` (the clinic's calendar) was received, in UTC.

    Today is now; another day is noon there, so the date reads the same in the clinic's
    timezone whatever the offset. A day after today is refused.
    """
    now = now or utcnow()
    today = clinic_today(clinic, now)
    if day > today:
        raise ValidationError("received_on", N_("the payment date cannot be in the future"))
    if day == today:
        return now
    return datetime.combine(day, time(12), tzinfo=ZoneInfo(clinic.timezone)).astimezone(now.tzinfo)


def pay(
    invoice_id: int,
    amount_cents: int,
    method: PaymentMethod,
    *,
    reference: str = "",
    received_on: date | None = None,
    recorded_by: Staff | None = None,
    now: datetime | None = None,
) -> Invoice:
    """Record a payment and return the invoice as it now stands (paid once the balance is 0)."""
    invoice = _invoice(invoice_id)
    clinic = invoice.billing_company.clinic
    at = received_at(received_on, clinic, now) if received_on else None
    record_payment(
        invoice,
        amount_cents,
        method,
        reference=blank_to_none(reference),
        recorded_by=recorded_by,
        received_at=at,
    )
    return _invoice(invoice_id)

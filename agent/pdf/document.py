"""What an invoice PDF shows, read from the database and formatted for one reader.

The template only lays out strings built here: money and dates are formatted
with Babel in the reader's language and the clinic's country (``fr_CA``,
``en_CA``, ``fr_CH``…), labels stay msgids the template translates.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import phonenumbers
from babel import numbers as babel_numbers

from locales import Translator, normalize_language, translator
from locales.formatting import babel_locale, format_date, format_money, local_datetime
from models.billing.invoice import Invoice, Payment
from models.billing.invoicing import clinic_today, lines_of
from models.core.enums import InvoiceStatus
from models.core.labels import PAYMENT_METHOD
from models.people.clinic import BillingCompany, Clinic

LETTER_COUNTRIES = frozenset({"US", "CA"})  # North America prints on Letter, everyone else on A4


@dataclass(frozen=True)
class Party:
    name: str
    address_lines: tuple[str, ...] = ()
    email: str = ""
    phone: str = ""  # as the clinic's country writes it


def readable_phone(number: str, country: str) -> str:
    """A stored phone number (E.164) as people of ``country`` write it; as stored when unreadable."""
    try:
        parsed = phonenumbers.parse(number, country or None)
    except phonenumbers.NumberParseException:
        return number
    style = phonenumbers.PhoneNumberFormat
    return phonenumbers.format_number(
        parsed,
        style.NATIONAL if phonenumbers.region_code_for_number(parsed) == country else style.INTERNATIONAL,
    )


@dataclass(frozen=True)
class Line:
    code: str
    description: str
    quantity: str
    unit_price: str
    tax: str  # the rate, e.g. "14,975 %"; empty when none
    subtotal: str


@dataclass(frozen=True)
class PaymentRow:
    date: str
    method: str  # a msgid, translated by the template
    reference: str
    amount: str


@dataclass(frozen=True)
class InvoiceDocument:
    """Everything the template prints, already formatted."""

    language: str
    page_size: str  # a CSS @page size: "letter" or "A4"
    status: str  # draft, billed, paid or void
    number: str  # the invoice number; empty for a draft (it gets one when billed)
    clinic: Party
    company: Party  # the billing company; its name is omitted when it is the clinic's
    patient: str
    billed_to: Party | None  # only for a third party
    provider: str
    issue_date: str
    due_date: str
    currency: str
    lines: tuple[Line, ...]
    subtotal: str
    taxes: tuple[tuple[str, str, str], ...]  # (rate, base, amount) per tax rate
    tax_total: str
    total: str
    payments: tuple[PaymentRow, ...]
    paid: str
    balance: str
    void_reason: str


def page_size(country: str | None) -> str:
    """Letter in the United States and Canada, A4 elsewhere."""
    return "letter" if (country or "").upper() in LETTER_COUNTRIES else "A4"


def invoice_language(invoice: Invoice) -> str:
    """The billed-to person's language, else the clinic's default: the language an invoice speaks."""
    return invoice_translator(invoice, None).language


def invoice_translator(invoice: Invoice, language: str | None) -> Translator:
    """``language`` if Facteur speaks it, else the billed-to person's, else the clinic's."""
    chosen = normalize_language(language) or normalize_language(invoice.billed_to_language)
    if chosen:
        return translator(chosen)
    return translator(None, invoice.billing_company.clinic.default_language)


def related_digest(invoice: Invoice) -> str:
    """A digest of what the PDF shows from rows other than the invoice's own (whose changes
    bump ``invoice.version``): the clinic, the billing company, the patient's and provider's names."""
    company: BillingCompany = invoice.billing_company
    clinic: Clinic = company.clinic
    provider = _provider_name(invoice)
    fields = (
        clinic.name,
        clinic.address,
        clinic.country,
        clinic.timezone,
        clinic.payment_terms_days,
        clinic.phone,
        clinic.email,
        company.name,
        company.address,
        invoice.patient.full_name,
        provider,
    )
    return hashlib.sha256(repr(fields).encode()).hexdigest()[:12]


def build_document(invoice: Invoice, language: str) -> InvoiceDocument:
    """Read ``invoice`` with its lines, payments, clinic and company, formatted for ``language``."""
    company: BillingCompany = invoice.billing_company
    clinic: Clinic = company.clinic
    lang = invoice_translator(invoice, language).language
    country = clinic.country

    def money(cents: int) -> str:
        return format_money(cents, invoice.currency, lang, country)

    lines = list(lines_of(invoice))
    payments = list(
        Payment.select().where(Payment.invoice == invoice.id).order_by(Payment.received_at, Payment.id)
    )
    taxes: dict[Decimal, tuple[int, int]] = {}  # rate -> (base, tax): the lines at that rate
    for line in lines:
        if line.tax_rate:
            base, tax = taxes.get(line.tax_rate, (0, 0))
            taxes[line.tax_rate] = (base + line.subtotal_cents, tax + line.tax_cents)
    # A draft has no dates yet: the preview shows the ones billing it today would give.
    issued: date = invoice.issue_date or clinic_today(clinic)
    due: date = invoice.due_date or issued + timedelta(days=clinic.payment_terms_days)
    third_party = bool(invoice.third_party)
    return InvoiceDocument(
        language=lang,
        page_size=page_size(country),
        status=invoice.status,
        number=invoice.number or "",
        clinic=Party(
            clinic.name,
            _address(clinic.address),
            clinic.email,
            readable_phone(clinic.phone, country) if clinic.phone else "",
        ),
        company=Party(company.name if company.name != clinic.name else "", _address(company.address)),
        patient=invoice.patient.full_name,
        billed_to=Party(invoice.billed_to_name, (), invoice.billed_to_email or "") if third_party else None,
        provider=_provider_name(invoice),
        issue_date=format_date(issued, lang, country, "long"),
        due_date=format_date(due, lang, country, "long"),
        currency=invoice.currency,
        lines=tuple(
            Line(
                code=line.code,
                description=line.description,
                quantity=_decimal(line.quantity, lang, country),
                unit_price=money(line.unit_price_cents),
                tax=_percent(line.tax_rate, lang, country) if line.tax_rate else "",
                subtotal=money(line.subtotal_cents),
            )
            for line in lines
        ),
        subtotal=money(invoice.subtotal_cents),
        taxes=tuple(
            (_percent(rate, lang, country), money(base), money(tax))
            for rate, (base, tax) in sorted(taxes.items())
        ),
        tax_total=money(invoice.tax_cents),
        total=money(invoice.total_cents),
        payments=tuple(
            PaymentRow(
                date=format_date(
                    local_datetime(payment.received_at, clinic.timezone).date(), lang, country, "medium"
                ),
                method=PAYMENT_METHOD.get(payment.method, payment.method),
                reference=payment.reference or "",
                amount=money(payment.amount_cents),
            )
            for payment in payments
        ),
        paid=money(invoice.paid_cents),
        balance=money(invoice.balance_cents),
        void_reason=(invoice.void_reason or "") if invoice.status == InvoiceStatus.VOID else "",
    )


def _provider_name(invoice: Invoice) -> str:
    provider = invoice.provider
    return provider.display_name if provider is not None else ""


def _address(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in (text or "").splitlines() if part.strip())


def _decimal(value: Decimal, lang: str, country: str) -> str:
    return babel_numbers.format_decimal(value.normalize(), "#,##0.###", locale=babel_locale(lang, country))


def _percent(rate: Decimal, lang: str, country: str) -> str:
    """A rate stored in percent (``14.975``) as the reader writes it: ``14,975 %`` / ``14.975%``."""
    return babel_numbers.format_percent(
        rate / 100, locale=babel_locale(lang, country), decimal_quantization=False
    )

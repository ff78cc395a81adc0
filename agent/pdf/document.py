"""What an invoice PDF shows, read from the database and formatted for one reader.

The template only lays out strings built here: money and dates are formatted
with Babel in the reader's language and the clinic's country (``fr_CA``,
``en_CA``, ``fr_CH``…), labels stay msgids the template translates.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import phonenumbers
from babel import numbers as babel_numbers

from agent.pdf.pay_code import pay_code_svg, svg_data_uri, swiss_bill_svg
from locales import Translator, normalize_language, translator
from locales.formatting import babel_locale, format_date, format_money, local_datetime
from models.billing.invoice import Invoice, InvoiceLine, Payment
from models.billing.invoice_taxes import InvoiceTax, invoice_taxes
from models.billing.invoicing import clinic_today, lines_of
from models.billing.swiss_bill import swiss_bill
from models.billing.tax_computation import TaxResult
from models.billing.taxes import split_codes
from models.core.enums import InvoiceStatus
from models.core.labels import PAYMENT_METHOD
from models.links.pay_doors import paper_token, pay_expiry
from models.people.clinic import BillingCompany, Clinic

LETTER_COUNTRIES = frozenset({"US", "CA"})
# the company's QR-bill creditor, which the payment part prints
QR_COLUMNS = (
    "qr_account",
    "qr_reference",
    "qr_street",
    "qr_house_number",
    "qr_postal_code",
    "qr_city",
    "qr_country",
)  # North America prints on Letter, everyone else on A4


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
    tax: str  # its taxes' names, "TPS+TVQ"; a bare rate before named taxes, "14,975 %"
    subtotal: str
    exempt: bool = False  # no tax: the template says so


@dataclass(frozen=True)
class TaxRow:
    """One tax of the invoice; ``name`` is empty for a bare rate (an invoice before named taxes)."""

    name: str
    rate: str
    base: str
    amount: str
    registration: str  # the company's number for this tax; "" when none


@dataclass(frozen=True)
class PaymentRow:
    date: str
    method: str  # a msgid, translated by the template
    reference: str
    amount: str


@dataclass(frozen=True)
class PayCode:
    """The QR code to the invoice's Pay page (``agent.pdf.pay_code``) and its address written out."""

    url: str
    image: str  # a data: URI of an SVG


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
    taxes: tuple[TaxRow, ...]  # each tax with its base, as billed (``models.billing.invoice_taxes``)
    tax_total: str
    total: str
    payments: tuple[PaymentRow, ...]
    paid: str
    balance: str
    void_reason: str
    pay: PayCode | None = None  # a billed invoice with a balance and a Pay page (``pay_target``)
    swiss_bill: str = ""  # the QR-bill's payment part, a data: URI of an SVG; "" without one


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


def pay_target(invoice: Invoice, pay_base: str, today: date | None = None) -> str:
    """The address the invoice's QR code leads to, ``<portal>/pay/<token>``: for a billed invoice with
    a balance and a Pay page (billing opened it) that has not expired; "" otherwise, or without the
    portal's address (``pay_base``, ``[portal] url``)."""
    if not pay_base or invoice.status != InvoiceStatus.BILLED or invoice.balance_cents <= 0:
        return ""
    clinic: Clinic = invoice.billing_company.clinic
    issued = invoice.issue_date or clinic_today(clinic)
    if (today or clinic_today(clinic)) >= pay_expiry(issued, clinic.timezone).date():
        return ""  # the page says "expired": the paper no longer offers it
    token = paper_token(invoice.id)
    return f"{pay_base.rstrip('/')}/pay/{token}" if token else ""


def related_digest(invoice: Invoice, pay_base: str = "") -> str:
    """A digest of what the PDF shows from rows other than the invoice's own (whose changes
    bump ``invoice.version``): the clinic, the billing company (its QR-bill creditor too), the
    patient's and provider's names, where the QR code leads (the portal's address and the
    Pay page, or none once expired), and its taxes' rows (names, rates, registration numbers)."""
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
        pay_target(invoice, pay_base),
        *(getattr(company, name) for name in QR_COLUMNS),
        _tax_rows(invoice),
    )
    return hashlib.sha256(repr(fields).encode()).hexdigest()[:12]


def build_document(invoice: Invoice, language: str, *, pay_base: str = "") -> InvoiceDocument:
    """Read ``invoice`` with its lines, payments, clinic and company, formatted for ``language``;
    with the portal's address (``pay_base``), the QR code to its Pay page, and in Switzerland the
    QR-bill's payment part (``models.billing.swiss_bill``)."""
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
    taxes = invoice_taxes(invoice.id)
    names = {tax.code: tax.name(lang) for tax in taxes if tax.code}
    # A draft has no dates yet: the preview shows the ones billing it today would give.
    issued: date = invoice.issue_date or clinic_today(clinic)
    due: date = invoice.due_date or issued + timedelta(days=clinic.payment_terms_days)
    third_party = bool(invoice.third_party)
    return InvoiceDocument(
        language=lang,
        page_size=page_size(country),
        status=invoice.status,
        number=invoice.number or "",
        clinic=clinic_party(clinic),
        company=company_party(company),
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
                tax=line_taxes(line, names, lang, country),
                subtotal=money(line.subtotal_cents),
                exempt=not line.tax_codes and not line.tax_rate,
            )
            for line in lines
        ),
        subtotal=money(invoice.subtotal_cents),
        taxes=tax_rows(taxes, money, lang, country),
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
        pay=_pay_code(invoice, pay_base),
        swiss_bill=_swiss_bill(invoice, lang),
    )


def _pay_code(invoice: Invoice, pay_base: str) -> PayCode | None:
    url = pay_target(invoice, pay_base)
    return PayCode(url, svg_data_uri(pay_code_svg(url))) if url else None


def _swiss_bill(invoice: Invoice, language: str) -> str:
    bill = swiss_bill(invoice, language)
    return svg_data_uri(swiss_bill_svg(bill)) if bill is not None else ""


def tax_rows(
    taxes: Iterable[TaxResult], money: Callable[[int], str], lang: str, country: str
) -> tuple[TaxRow, ...]:
    """Each tax as the totals print it: its name in ``lang``, rate, base, amount and the company's
    number for it (an invoice's taxes, or what a credit note gives back of them)."""
    return tuple(
        TaxRow(
            tax.name(lang),
            percent(tax.rate, lang, country),
            money(tax.base_cents),
            money(tax.tax_cents),
            tax.registration or "",
        )
        for tax in taxes
    )


def line_taxes(line: InvoiceLine, names: dict[str, str], lang: str, country: str) -> str:
    codes = split_codes(line.tax_codes)
    if codes:
        return "+".join(names.get(code, code) for code in codes)
    return percent(line.tax_rate, lang, country) if line.tax_rate else ""


def _tax_rows(invoice: Invoice) -> tuple[object, ...]:
    """The invoice's stored taxes (names, rates, registration numbers), for the digest."""
    rows = InvoiceTax.select().where(InvoiceTax.invoice == invoice.id).order_by(InvoiceTax.position)
    return tuple(
        (row.code, row.name_fr, row.name_en, str(row.rate), row.registration, row.base_cents, row.tax_cents)
        for row in rows
    )


def _provider_name(invoice: Invoice) -> str:
    provider = invoice.provider
    return provider.display_name if provider is not None else ""


def clinic_party(clinic: Clinic) -> Party:
    """The clinic as a document's masthead gives it: name, address, email and phone."""
    phone = readable_phone(clinic.phone, clinic.country) if clinic.phone else ""
    return Party(clinic.name, _address(clinic.address), clinic.email, phone)


def company_party(company: BillingCompany) -> Party:
    """The billing company under the clinic's name; its name is left out when it is the clinic's."""
    return Party(company.name if company.name != company.clinic.name else "", _address(company.address))


def _address(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in (text or "").splitlines() if part.strip())


def _decimal(value: Decimal, lang: str, country: str) -> str:
    return babel_numbers.format_decimal(value.normalize(), "#,##0.###", locale=babel_locale(lang, country))


def percent(rate: Decimal, lang: str, country: str) -> str:
    """A rate stored in percent (``14.975``) as the reader writes it: ``14,975 %`` / ``14.975%``."""
    return babel_numbers.format_percent(
        rate / 100, locale=babel_locale(lang, country), decimal_quantization=False
    )

"""The Swiss QR-bill of an invoice: its creditor (the billing company's account and address, set in
Settings), checked as SIX's implementation guidelines and the ``qrbill`` library check it, and its
reference, made from the invoice's number.

A clinic in Switzerland (clinic country CH) billing in CHF or EUR prints the payment part after each
invoice that has a balance (``agent.pdf.swiss_bill`` draws it). The account is an IBAN of Switzerland
or Liechtenstein. A QR-IBAN (its institution id 30000 to 31999) takes a QR reference: 26 digits, the
company's id then the number's digits, and a check digit (modulo 10, recursive). A plain IBAN takes a
creditor reference (ISO 11649): ``RF``, two check digits and the number's letters and digits. The
address is a structured one (type S, the only one banks take from November 2025): the company's
name, street and house number (optional), postal code, city and country.

Settings refuse what would make a bill the banks reject; an invoice whose company's details are
missing (or became invalid) prints without the payment part rather than failing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from stdnum import iban, iso11649
from stdnum.ch import esr

from locales import N_, translator
from models.billing.invoice import Invoice
from models.core.enums import InvoiceStatus, SwissReference
from models.core.errors import ValidationError, check_fields
from models.core.validation import REQUIRED, validate_country
from models.people.clinic import BillingCompany, Clinic

SWISS_CURRENCIES = frozenset({"CHF", "EUR"})
ACCOUNT_COUNTRIES = ("CH", "LI")
QR_IID = range(30000, 32000)  # a QR-IBAN's institution id (its 5th to 9th characters)
# the lengths the QR-bill allows (SIX IG 4.3.3): the name, street, house number, postal code, city
LIMITS = {"name": 70, "qr_street": 70, "qr_house_number": 16, "qr_postal_code": 16, "qr_city": 35}

NO_ACCOUNT = N_("a QR-bill needs the account it is paid into: an IBAN or a QR-IBAN")
BAD_IBAN = N_("{value} is not a valid IBAN: check its letters and digits")
NOT_SWISS = N_("a QR-bill is paid into an account in Switzerland or Liechtenstein (CH… or LI…)")
QR_IBAN_NEEDS_QR = N_("a QR-IBAN takes a QR reference: choose it, or give the account's plain IBAN")
QR_NEEDS_QR_IBAN = N_(
    "a QR reference needs a QR-IBAN: choose the creditor reference (RF), or give the account's QR-IBAN"
)
NEEDED_ON_BILL = N_("needed on the QR-bill (the creditor's address)")
TOO_LONG_ON_BILL = N_("at most {max} characters on a QR-bill")


@dataclass(frozen=True)
class SwissBill:
    """What the payment part prints, as ``qrbill.QRBill`` takes it."""

    account: str  # compact: CH4431999123000889012
    creditor: tuple[tuple[str, str], ...]  # name, street, house_num, pcode, city, country
    amount: str  # "85.00"
    currency: str
    reference: str
    language: str  # fr or en
    additional_information: str  # "Facture CDL-2026-00001": no health detail

    def qrbill_arguments(self) -> dict[str, object]:
        """The keyword arguments of ``qrbill.QRBill``."""
        return {
            "account": self.account,
            "creditor": dict(self.creditor),
            "amount": self.amount,
            "currency": self.currency,
            "reference_number": self.reference,
            "language": self.language,
            "additional_information": self.additional_information,
        }


def compact_account(value: str) -> str:
    return iban.compact(value or "")


def is_qr_iban(account: str) -> bool:
    """Whether a (valid, compact) IBAN is a QR-IBAN."""
    iid = account[4:9]
    return iid.isdigit() and int(iid) in QR_IID


def _account(value: str, typed_address: bool) -> str:
    account = compact_account(value)
    if not account:
        if typed_address:
            raise ValidationError("qr_account", NO_ACCOUNT)
        return ""
    if not iban.is_valid(account):
        raise ValidationError("qr_account", BAD_IBAN, value=value.strip())
    if account[:2] not in ACCOUNT_COUNTRIES:
        raise ValidationError("qr_account", NOT_SWISS)
    return account


def _reference(value: str, account_value: str) -> str:
    try:
        kind = SwissReference(value or SwissReference.CREDITOR.value)
    except ValueError as exc:
        raise ValidationError("qr_reference", REQUIRED) from exc
    account = compact_account(account_value)
    if account and iban.is_valid(account):  # a bad account is refused on its own field
        if is_qr_iban(account) and kind is not SwissReference.QR:
            raise ValidationError("qr_reference", QR_IBAN_NEEDS_QR)
        if not is_qr_iban(account) and kind is SwissReference.QR:
            raise ValidationError("qr_reference", QR_NEEDS_QR_IBAN)
    return kind.value


def _part(field: str, value: str, needed: bool) -> str:
    text = " ".join((value or "").split())
    if needed and not text:
        raise ValidationError(field, NEEDED_ON_BILL)
    if field in LIMITS and len(text) > LIMITS[field]:
        raise ValidationError(field, TOO_LONG_ON_BILL, max=LIMITS[field])
    return text


def _country(value: str, needed: bool) -> str:
    code = (value or "").strip().upper()
    if not code:
        if needed:
            raise ValidationError("qr_country", NEEDED_ON_BILL)
        return "CH"
    try:
        return validate_country(code)
    except ValidationError as exc:
        raise ValidationError("qr_country", exc.message, **exc.params) from exc


def creditor_checks(
    *,
    account: str,
    reference: str,
    street: str,
    house_number: str,
    postal_code: str,
    city: str,
    country: str,
) -> dict[str, Callable[[], object]]:
    """The checks of a company's QR-bill creditor (``models.core.errors.check_fields``), by field.
    All empty: no QR-bill, nothing needed. An account or any part of the address typed: the account
    (a valid Swiss or Liechtenstein IBAN), the reference that goes with it, the postal code and city
    are needed. The company's name is the creditor's (its first 70 characters)."""
    typed_address = any(part.strip() for part in (street, house_number, postal_code, city))
    needed = bool(account.strip()) or typed_address
    checks: dict[str, Callable[[], object]] = {
        "qr_account": lambda: _account(account, typed_address),
        "qr_reference": lambda: _reference(reference, account),
        "qr_street": lambda: _part("qr_street", street, False),
        "qr_house_number": lambda: _part("qr_house_number", house_number, False),
        "qr_postal_code": lambda: _part("qr_postal_code", postal_code, needed),
        "qr_city": lambda: _part("qr_city", city, needed),
        "qr_country": lambda: _country(country, needed),
    }
    return checks


def company_creditor_valid(company: BillingCompany) -> bool:
    """Whether the company's stored details make a QR-bill (they are set and still pass the checks)."""
    if not company.qr_account:
        return False
    try:
        check_fields(
            creditor_checks(
                account=company.qr_account,
                reference=company.qr_reference,
                street=company.qr_street,
                house_number=company.qr_house_number,
                postal_code=company.qr_postal_code,
                city=company.qr_city,
                country=company.qr_country,
            )
        )
    except ValidationError:
        return False
    return True


def qr_reference(company_id: int, number: str) -> str:
    """The QR reference of an invoice: the company's id (4 digits) and the number's digits, padded to
    26 digits, and the check digit. Unique per company: its numbers are."""
    digits = f"{company_id:04d}" + "".join(ch for ch in number if ch.isascii() and ch.isdigit())
    body = digits[-26:].rjust(26, "0")
    return body + esr.calc_check_digit(body)


def creditor_reference(number: str) -> str:
    """The creditor reference (ISO 11649) of an invoice: ``RF``, the check digits and the number's
    letters and digits (its last 21: the year and the sequence are at the end)."""
    body = "".join(ch for ch in number.upper() if ch.isascii() and ch.isalnum())[-21:] or "0"
    as_digits = "".join(str(int(ch, 36)) for ch in body + "RF00")
    reference = f"RF{98 - int(as_digits) % 97:02d}{body}"
    assert iso11649.is_valid(reference)
    return reference


def invoice_reference(company: BillingCompany, number: str) -> str:
    """The reference the company's QR-bill carries for invoice ``number``."""
    if company.qr_reference == SwissReference.QR:
        return qr_reference(company.id, number)
    return creditor_reference(number)


def swiss_bill(invoice: Invoice, language: str) -> SwissBill | None:
    """The QR-bill of a billed invoice with a balance, for a clinic in Switzerland billing in CHF or
    EUR whose company has valid creditor details; None otherwise (the PDF prints without it)."""
    company: BillingCompany = invoice.billing_company
    clinic: Clinic = company.clinic
    if (
        (clinic.country or "").upper() != "CH"
        or invoice.currency not in SWISS_CURRENCIES
        or invoice.status != InvoiceStatus.BILLED
        or not invoice.number
        or invoice.balance_cents <= 0
        or not company_creditor_valid(company)
    ):
        return None
    tr = translator(language)
    return SwissBill(
        account=compact_account(company.qr_account),
        creditor=(
            ("name", " ".join(company.name.split())[: LIMITS["name"]]),
            ("street", company.qr_street),
            ("house_num", company.qr_house_number),
            ("pcode", company.qr_postal_code),
            ("city", company.qr_city),
            ("country", company.qr_country or "CH"),
        ),
        amount=f"{Decimal(invoice.balance_cents) / 100:.2f}",
        currency=invoice.currency,
        reference=invoice_reference(company, invoice.number),
        language=tr.language,
        additional_information=tr.format(N_("Invoice {number}"), number=invoice.number),
    )

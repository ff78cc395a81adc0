"""Checking and writing a company's taxes: add one, edit one, end one on a date, load a preset.

Every refusal is a ``ValidationError`` naming the form's field: a code of letters, digits and
dashes; both printed names; a rate from 0 to 100 %; an end not before the start; and one rate
per code at any date (a code's date ranges never overlap). Who may do this (admins) is checked
above, in ``models.admin.tax_settings``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from locales import N_
from models.billing.tax_presets import find_preset
from models.billing.taxes import Tax
from models.core.errors import NotFoundError, ValidationError, check_fields
from models.core.validation import REQUIRED, check_plain_text
from models.database.base import fk_id
from models.database.db import db
from models.people.clinic import BillingCompany

_CODE = re.compile(r"[A-Z][A-Z0-9-]{0,11}")
MAX_NAME = 60
MAX_REGISTRATION = 40


@dataclass(frozen=True)
class TaxInput:
    """A tax as an admin types it (the rate as text or a Decimal, in percent)."""

    code: str
    name_fr: str
    name_en: str
    rate: str | Decimal
    registration: str = ""
    valid_from: date | None = None
    valid_until: date | None = None
    position: int = 0
    on_new_lines: bool = True


def check_code(value: str) -> str:
    code = value.strip().upper()
    if not _CODE.fullmatch(code):
        raise ValidationError(
            "code",
            N_("a tax code is 1 to 12 letters, digits or dashes, starting with a letter (GST, QST, VAT)"),
        )
    return code


def check_tax_name(value: str, field: str) -> str:
    name = " ".join(value.split())
    if not name:
        raise ValidationError(field, REQUIRED)
    if len(name) > MAX_NAME:
        raise ValidationError(field, N_("at most {max} characters"), max=MAX_NAME)
    check_plain_text(name, field)
    return name


def check_rate(value: str | Decimal) -> Decimal:
    """A percentage from 0 to 100 with 4 decimals at most: ``9,975``, ``9.975 %`` or a Decimal."""
    text = str(value).strip().removesuffix("%").strip().replace(",", ".").replace(" ", "")
    try:
        rate = Decimal(text)
    except InvalidOperation:
        raise ValidationError(
            "rate", N_("{value} is not a tax rate; type a percentage such as 14,975"), value=value
        ) from None
    if not rate.is_finite() or not Decimal(0) <= rate <= Decimal(100) or -rate.as_tuple().exponent > 4:  # type: ignore[operator]
        raise ValidationError("rate", N_("the tax rate must be between 0 and 100 %, with 4 decimals at most"))
    return rate


def check_registration(value: str) -> str | None:
    number = " ".join(value.split())
    if len(number) > MAX_REGISTRATION:
        raise ValidationError("registration", N_("at most {max} characters"), max=MAX_REGISTRATION)
    check_plain_text(number, "registration")
    return number or None


def check_dates(valid_from: date | None, valid_until: date | None) -> None:
    if valid_from and valid_until and valid_until < valid_from:
        raise ValidationError("valid_until", N_("a tax cannot end before it starts"))


def check_no_overlap(
    company_id: int, code: str, valid_from: date | None, valid_until: date | None, tax_id: int | None
) -> None:
    """Refuse a second rate of ``code`` over dates another rate of it already covers."""
    for other in Tax.select().where((Tax.billing_company == company_id) & (Tax.code == code)):
        if other.id == tax_id:
            continue
        starts_before_other_ends = (
            other.valid_until is None or valid_from is None or valid_from <= other.valid_until
        )
        ends_after_other_starts = (
            other.valid_from is None or valid_until is None or other.valid_from <= valid_until
        )
        if starts_before_other_ends and ends_after_other_starts:
            raise ValidationError(
                "valid_from",
                N_("{code} already applies from {start} to {end}: end it first, or change the dates"),
                code=code,
                start=other.valid_from.isoformat() if other.valid_from else "…",
                end=other.valid_until.isoformat() if other.valid_until else "…",
            )


def checked_values(data: TaxInput) -> dict[str, object]:
    """Every field checked at once (``FieldErrors`` with each refusal); the columns to write."""
    values = check_fields(
        {
            "code": lambda: check_code(data.code),
            "name_fr": lambda: check_tax_name(data.name_fr, "name_fr"),
            "name_en": lambda: check_tax_name(data.name_en, "name_en"),
            "rate": lambda: check_rate(data.rate),
            "registration": lambda: check_registration(data.registration),
            "valid_until": lambda: check_dates(data.valid_from, data.valid_until),
        }
    )
    values.pop("valid_until")
    return {
        **values,
        "valid_from": data.valid_from,
        "valid_until": data.valid_until,
        "position": data.position,
        "on_new_lines": data.on_new_lines,
    }


def add_tax(company_id: int, data: TaxInput) -> Tax:
    """A new tax (or a new rate of a code) for the company."""
    with db.atomic():
        if BillingCompany.get_or_none(BillingCompany.id == company_id) is None:
            raise NotFoundError(N_("no billing company #{id}"), id=company_id)
        values = checked_values(data)
        check_no_overlap(company_id, str(values["code"]), data.valid_from, data.valid_until, None)
        return Tax.create(billing_company=company_id, **values)


def edit_tax(tax_id: int, data: TaxInput) -> Tax:
    """Change a tax; invoices already billed keep what they printed (``models.billing.invoice_taxes``)."""
    with db.atomic():
        tax = find_tax(tax_id)
        values = checked_values(data)
        company_id = fk_id(tax, "billing_company")
        check_no_overlap(company_id, str(values["code"]), data.valid_from, data.valid_until, tax.id)
        Tax.update(**values).where(Tax.id == tax.id).execute()
        return find_tax(tax_id)


def end_tax(tax_id: int, last_day: date) -> Tax:
    """The last day a tax applies (a rate that changes ends, and a new one starts the next day)."""
    with db.atomic():
        tax = find_tax(tax_id)
        check_dates(tax.valid_from, last_day)
        Tax.update(valid_until=last_day).where(Tax.id == tax.id).execute()
        return find_tax(tax_id)


def find_tax(tax_id: int) -> Tax:
    tax = Tax.get_or_none(Tax.id == tax_id)
    if tax is None:
        raise NotFoundError(N_("no tax #{id}"), id=tax_id)
    return tax


def load_preset(company_id: int, key: str) -> list[Tax]:
    """Add the preset's taxes to the company, all or none; a rate it already has is left as it is,
    and a code it already has keeps its registration number for the new rates. Returns those added."""
    preset = find_preset(key)
    added: list[Tax] = []
    with db.atomic():
        existing = list(Tax.select().where(Tax.billing_company == company_id))
        codes = list(dict.fromkeys(tax.code for tax in preset.taxes))
        for tax in preset.taxes:
            same_code = [row for row in existing if row.code == tax.code]
            if any(
                (row.rate, row.valid_from, row.valid_until)
                == (Decimal(tax.rate), tax.valid_from, tax.valid_until)
                for row in same_code
            ):
                continue
            registration = next((row.registration for row in same_code if row.registration), "") or ""
            order = same_code[0].position if same_code else codes.index(tax.code) + 1
            data = TaxInput(
                tax.code,
                tax.name_fr,
                tax.name_en,
                tax.rate,
                registration,
                tax.valid_from,
                tax.valid_until,
                order,
                tax.on_new_lines,
            )
            added.append(add_tax(company_id, data))
    return added

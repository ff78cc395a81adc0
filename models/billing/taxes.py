"""Taxes an admin defines per billing company, and which of them are in force on a date.

A tax has a short code unique per company at any date (``GST``, ``QST``, ``HST``, ``VAT``), its
printed name in French and English (TPS/GST, TVQ/QST…), a rate in percent, the company's
registration number for it, and the dates it applies from and until (both optional): when a rate
changes, the old row ends and a new one with the same code starts. The rules that check and write
these rows are ``models.billing.tax_definitions``'; the presets are ``models.billing.tax_presets``'.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import peewee

from locales import N_
from models.billing.tax_computation import TaxRule
from models.core.errors import ValidationError
from models.database.base import BaseModel, UTCDateTimeField, utcnow
from models.people.clinic import BillingCompany

CODE_SEPARATOR = "+"  # a line's codes as stored: "GST+QST"


class Tax(BaseModel):
    """One rate of one tax of a billing company, over the dates it applies."""

    billing_company = peewee.ForeignKeyField(BillingCompany, backref="taxes", on_delete="RESTRICT")
    code = peewee.CharField(max_length=12)
    name_fr = peewee.CharField(max_length=60)
    name_en = peewee.CharField(max_length=60)
    rate = peewee.DecimalField(max_digits=7, decimal_places=4)  # percent
    registration = peewee.CharField(max_length=40, null=True)  # the company's number for this tax
    valid_from = peewee.DateField(null=True)  # None: since always
    valid_until = peewee.DateField(null=True)  # None: until further notice (the last day it applies)
    position = peewee.IntegerField(default=0)  # the order taxes print in
    on_new_lines = peewee.BooleanField(default=True)  # a new invoice line starts with it
    created_at = UTCDateTimeField(default=utcnow)

    class Meta:
        indexes = ((("billing_company", "code"), False),)

    def applies_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_until is None or day <= self.valid_until
        )

    def rule(self) -> TaxRule:
        return TaxRule(
            self.code, self.name_fr, self.name_en, self.rate, self.registration or None, self.position
        )


def company_taxes(company_id: int) -> list[Tax]:
    """Every rate of every tax of the company, in print order, the older rates of a code first."""
    return list(
        Tax.select()
        .where(Tax.billing_company == company_id)
        .order_by(Tax.position, Tax.code, Tax.valid_from.asc(nulls="first"), Tax.id)
    )


def taxes_in_force(company_id: int, day: date) -> dict[str, TaxRule]:
    """The company's taxes that apply on ``day``, by code, in print order."""
    return {tax.code: tax.rule() for tax in company_taxes(company_id) if tax.applies_on(day)}


def default_codes(company_id: int, day: date) -> tuple[str, ...]:
    """The codes a new line starts with: the taxes in force marked for new lines."""
    return tuple(tax.code for tax in company_taxes(company_id) if tax.applies_on(day) and tax.on_new_lines)


def split_codes(text: str) -> tuple[str, ...]:
    """``"gst+qst"``, ``"GST, QST"`` or ``"GST QST"`` as ``("GST", "QST")``, each once, in order."""
    parts = text.replace(",", " ").replace(CODE_SEPARATOR, " ").upper().split()
    return tuple(dict.fromkeys(parts))


def join_codes(codes: Iterable[str]) -> str:
    return CODE_SEPARATOR.join(codes)


def check_codes(
    codes: Iterable[str], rules: dict[str, TaxRule], day: date, field: str, position: int | None = None
) -> None:
    """Refuse a code that is not one of the company's taxes on ``day``, naming those that are."""
    for code in codes:
        if code not in rules:
            params = {"code": code, "date": day.isoformat(), "known": ", ".join(rules) or "—"}
            if position is None:
                raise ValidationError(
                    field, N_("no tax {code} applies on {date}; the company's taxes: {known}"), **params
                )
            raise ValidationError(
                field,
                N_("line {position}: no tax {code} applies on {date}; the company's taxes: {known}"),
                position=position,
                **params,
            )

"""Settings → Taxes: an admin lists, adds, edits and ends a company's taxes, or loads a preset.

Each write takes the acting staff member and refuses anyone who is not an admin
(``SettingsRefused``); the tax rules themselves are ``models.billing.tax_definitions``'.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from models.admin.settings import require_admin
from models.billing import tax_definitions
from models.billing.tax_definitions import TaxInput
from models.billing.taxes import Tax, company_taxes
from models.people.clinic import BillingCompany, Staff


@dataclass(frozen=True)
class CompanyTaxes:
    """One billing company and every rate of its taxes (what the Taxes section shows)."""

    company_id: int
    company_name: str
    taxes: tuple[Tax, ...]


def list_taxes() -> list[CompanyTaxes]:
    """Every billing company with its taxes, active companies first, by name."""
    companies = BillingCompany.select().order_by(BillingCompany.active.desc(), BillingCompany.name)
    return [CompanyTaxes(c.id, c.name, tuple(company_taxes(c.id))) for c in companies]


def add_tax(company_id: int, data: TaxInput, *, acting: Staff) -> Tax:
    require_admin(acting)
    return tax_definitions.add_tax(company_id, data)


def edit_tax(tax_id: int, data: TaxInput, *, acting: Staff) -> Tax:
    require_admin(acting)
    return tax_definitions.edit_tax(tax_id, data)


def end_tax(tax_id: int, last_day: date, *, acting: Staff) -> Tax:
    require_admin(acting)
    return tax_definitions.end_tax(tax_id, last_day)


def load_preset(company_id: int, key: str, *, acting: Staff) -> list[Tax]:
    require_admin(acting)
    return tax_definitions.load_preset(company_id, key)

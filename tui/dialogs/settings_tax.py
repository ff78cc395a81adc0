"""``TaxDialog``: add a tax (or a new rate of one) to a billing company, or edit one, ending it by
its last day; ``TaxPresetDialog``: load a preset's taxes (Québec, the HST provinces, Switzerland…).

The rules (codes, rates, dates that never overlap for a code) live in
``models.billing.tax_definitions``; a refusal is shown on its field with the reason.
"""

from __future__ import annotations

from datetime import date

from textual.app import ComposeResult
from textual.widgets import Checkbox, Input, Select

from locales import N_
from models.admin.tax_settings import add_tax, edit_tax, load_preset
from models.billing.tax_definitions import TaxInput
from models.billing.tax_presets import PRESETS
from models.billing.taxes import Tax
from models.core.errors import ValidationError, check_fields
from models.database.base import fk_id
from tui.dialogs.settings_form import SettingsDialog
from tui.session import StaffSession
from tui.widgets.invoice_field import FormField

Companies = list[tuple[int, str]]  # (id, name) of the billing companies
# (label, widget id, field, placeholder) of the text fields, each a msgid
TEXT_FIELDS = (
    (N_("Code"), "tax-code", "code", N_("GST, QST, HST, VAT: lines name it so")),
    (N_("Name in French"), "tax-name-fr", "name_fr", N_("as French invoices print it: TPS")),
    (N_("Name in English"), "tax-name-en", "name_en", N_("as English invoices print it: GST")),
    (N_("Rate (%)"), "tax-rate", "rate", N_("9.975")),
    (
        N_("Registration number"),
        "tax-registration",
        "registration",
        N_("the company's number for it (optional)"),
    ),
    (N_("From"), "tax-from", "valid_from", N_("YYYY-MM-DD; blank: since always")),
    (N_("Until"), "tax-until", "valid_until", N_("YYYY-MM-DD, its last day; blank: no end")),
)


def parse_day(text: str, field: str) -> date | None:
    """``YYYY-MM-DD``, or blank for none."""
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValidationError(field, N_("{value} is not a date (YYYY-MM-DD)"), value=text.strip()) from None


class TaxDialog(SettingsDialog):
    """Dismisses with ``True`` once saved; ``tax`` ``None`` adds one to a company chosen here."""

    def __init__(self, session: StaffSession, companies: Companies, tax: Tax | None = None) -> None:
        super().__init__(session)
        self.companies = companies
        self.tax = tax

    def title_text(self) -> str:
        tr = self.session.tr
        if self.tax is None:
            return tr.gettext(N_("New tax"))
        return tr.format(N_("Tax: {code}"), code=self.tax.code)

    def fields(self) -> ComposeResult:
        tr = self.session.tr
        tax, session = self.tax, self.session
        first = self.companies[0][0] if self.companies else Select.NULL
        company = Select(
            [(name, company_id) for company_id, name in self.companies],
            value=fk_id(tax, "billing_company") if tax else first,
            allow_blank=not self.companies,
            compact=True,
            id="tax-company",
        )
        company.disabled = tax is not None  # a tax belongs to its company: add one to another instead
        yield FormField(N_("Company"), company, session, field="company")
        values = _values(tax)
        for label, widget_id, field, hint in TEXT_FIELDS:
            yield FormField(
                label,
                Input(values[field], placeholder=tr.gettext(hint), compact=True, id=widget_id),
                session,
                field=field,
            )
        yield FormField(
            N_("New lines"),
            Checkbox(
                tr.gettext(N_("A new invoice line starts with this tax")),
                tax.on_new_lines if tax else True,
                id="tax-on-new-lines",
                compact=True,
            ),
            session,
            field="on_new_lines",
        )

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#tax-code", Input).focus()

    def read(self) -> dict[str, object]:
        return {
            "company": self.query_one("#tax-company", Select).value,
            **{
                name: self.query_one(f"#tax-{name}", Input).value
                for name in ("code", "name-fr", "name-en", "rate", "registration", "from", "until")
            },
            "on_new_lines": self.query_one("#tax-on-new-lines", Checkbox).value,
        }

    def write_data(self, data: object) -> None:
        assert isinstance(data, dict)
        days = check_fields(
            {
                "valid_from": lambda: parse_day(str(data["from"]), "valid_from"),
                "valid_until": lambda: parse_day(str(data["until"]), "valid_until"),
            }
        )
        values = TaxInput(
            str(data["code"]),
            str(data["name-fr"]),
            str(data["name-en"]),
            str(data["rate"]),
            str(data["registration"]),
            days["valid_from"],  # type: ignore[arg-type]
            days["valid_until"],  # type: ignore[arg-type]
            self.tax.position if self.tax else 0,
            bool(data["on_new_lines"]),
        )
        acting = self.session.staff
        if self.tax is not None:
            edit_tax(self.tax.id, values, acting=acting)
        elif isinstance(data["company"], int):
            add_tax(data["company"], values, acting=acting)
        else:
            raise ValidationError("company", N_("choose a billing company"))


class TaxPresetDialog(SettingsDialog):
    """Load a preset's taxes for a company; dismisses with ``True`` once loaded."""

    TITLE_MSGID = N_("Load a tax preset")

    def __init__(self, session: StaffSession, companies: Companies) -> None:
        super().__init__(session)
        self.companies = companies
        self.added = 0

    def fields(self) -> ComposeResult:
        tr, session = self.session.tr, self.session
        yield FormField(
            N_("Company"),
            Select(
                [(name, company_id) for company_id, name in self.companies], compact=True, id="preset-company"
            ),
            session,
            field="company",
        )
        yield FormField(
            N_("Preset"),
            Select([(tr.gettext(p.label), p.key) for p in PRESETS], compact=True, id="preset-key"),
            session,
            field="preset",
        )

    def read(self) -> tuple[object, object]:
        return self.query_one("#preset-company", Select).value, self.query_one("#preset-key", Select).value

    def write_data(self, data: object) -> None:
        assert isinstance(data, tuple)
        company, key = data
        if not isinstance(company, int):
            raise ValidationError("company", N_("choose a billing company"))
        if not isinstance(key, str):
            raise ValidationError("preset", N_("choose a preset"))
        self.added = len(load_preset(company, key, acting=self.session.staff))

    def _saved(self) -> None:
        tr = self.session.tr
        if not self.added:
            self.app.notify(tr.gettext(N_("The company already has these taxes; nothing was added.")))
        super()._saved()


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


def _values(tax: Tax | None) -> dict[str, str]:
    """The text fields' values: the tax's, or blank for a new one."""
    if tax is None:
        return {field: "" for _label, _id, field, _hint in TEXT_FIELDS}
    return {
        "code": tax.code,
        "name_fr": tax.name_fr,
        "name_en": tax.name_en,
        "rate": str(tax.rate.normalize()),
        "registration": tax.registration or "",
        "valid_from": _day(tax.valid_from),
        "valid_until": _day(tax.valid_until),
    }

"""``TaxesPane``: every billing company's taxes and rates; A adds, Enter or E edits (and ends, by
its last day), P loads a preset (Québec, the HST provinces, Switzerland…)."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType

from locales import N_
from models.admin.tax_settings import list_taxes
from models.billing.taxes import Tax
from models.database.base import fk_id
from tui.screens.settings_tables import _TablePane
from tui.session import StaffSession


class TaxesPane(_TablePane):
    BINDINGS: ClassVar[list[BindingType]] = [
        *_TablePane.BINDINGS,
        Binding("p", "preset", N_("Preset")),
    ]
    COLUMNS = (
        (N_("Company"), 1),
        (N_("Code"), 0),
        (N_("Name"), 1),
        (N_("Rate"), 0),
        (N_("From"), 0),
        (N_("Until"), 0),
        (N_("Registration number"), 1),
    )
    HELP = N_("A adds a tax, Enter edits or ends the one selected, P loads a preset.")

    def __init__(self, session: StaffSession) -> None:
        super().__init__(session, id="settings-taxes")
        self.companies: list[tuple[int, str]] = []
        self.company_names: dict[int, str] = {}

    def load(self) -> list[object]:
        companies = list_taxes()
        self.companies = [(c.company_id, c.company_name) for c in companies]
        self.company_names = dict(self.companies)
        return [tax for company in companies for tax in company.taxes]

    def row(self, record: object) -> tuple[str, ...]:
        assert isinstance(record, Tax)
        tr = self.session.tr
        return (
            self.company_names.get(fk_id(record, "billing_company"), ""),
            record.code,
            record.name_en if tr.language == "en" else record.name_fr,
            tr.format(N_("{rate} %"), rate=record.rate.normalize()),
            record.valid_from.isoformat() if record.valid_from else "…",
            record.valid_until.isoformat() if record.valid_until else "…",
            record.registration or "—",
        )

    def dialog(self, record: object | None):  # type: ignore[no-untyped-def]
        from tui.dialogs.settings_tax import TaxDialog

        return TaxDialog(self.session, self.companies, record if isinstance(record, Tax) else None)

    def action_preset(self) -> None:
        from tui.dialogs.settings_tax import TaxPresetDialog

        self.app.push_screen(TaxPresetDialog(self.session, self.companies), self._dialog_closed)

"""``CompanyDialog``: add or edit a billing company (name, address, currency, prefix, Stripe, active).

Once invoices were numbered with a company's prefix, the prefix field is locked and says why
(numbers stay unique and gapless); the model refuses the change as well.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Checkbox, Input, Static, TextArea

from locales import N_
from models.admin.settings import CompanyInput, add_billing_company, edit_billing_company
from models.people.clinic import BillingCompany
from tui.dialogs.settings_form import SettingsDialog
from tui.session import StaffSession
from tui.widgets.invoice_field import FormField


class CompanyDialog(SettingsDialog):
    """Dismisses with ``True`` once saved; ``company`` ``None`` adds one."""

    def __init__(
        self, session: StaffSession, company: BillingCompany | None = None, *, prefix_locked: bool = False
    ) -> None:
        super().__init__(session)
        self.company = company
        self.prefix_locked = prefix_locked

    def title_text(self) -> str:
        tr = self.session.tr
        if self.company is None:
            return tr.gettext(N_("New billing company"))
        return tr.format(N_("Billing company: {name}"), name=self.company.name)

    def fields(self) -> ComposeResult:
        tr = self.session.tr
        company = self.company
        session = self.session
        yield FormField(
            N_("Name"),
            Input(company.name if company else "", compact=True, id="company-name"),
            session,
            field="name",
        )
        yield FormField(
            N_("Address"),
            TextArea(company.address if company else "", compact=True, id="company-address"),
            session,
            field="address",
        )
        yield FormField(
            N_("Currency"),
            Input(company.currency if company else "CAD", compact=True, id="company-currency", max_length=3),
            session,
            field="currency",
        )
        prefix = Input(
            company.number_prefix if company else "", compact=True, id="company-prefix", max_length=12
        )
        prefix.disabled = self.prefix_locked
        yield FormField(N_("Number prefix"), prefix, session, field="number_prefix")
        if self.prefix_locked and company is not None:
            yield Static(
                tr.format(
                    N_("Invoices were numbered with {prefix}: the prefix can no longer change."),
                    prefix=company.number_prefix,
                ),
                classes="settings-note",
                markup=False,
            )
        yield FormField(
            N_("Stripe account"),
            Input(
                (company.stripe_account_id or "") if company else "",
                placeholder=tr.gettext(N_("acct_… (optional: payment links need it)")),
                compact=True,
                id="company-stripe",
            ),
            session,
            field="stripe_account_id",
        )
        yield FormField(
            N_("Active"),
            Checkbox(
                tr.gettext(N_("New invoices may use it")),
                company.active if company else True,
                id="company-active",
                compact=True,
            ),
            session,
            field="active",
        )

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#company-name", Input).focus()

    def read(self) -> CompanyInput:
        return CompanyInput(
            name=self.query_one("#company-name", Input).value,
            address=self.query_one("#company-address", TextArea).text,
            currency=self.query_one("#company-currency", Input).value,
            number_prefix=self.query_one("#company-prefix", Input).value,
            stripe_account_id=self.query_one("#company-stripe", Input).value,
            active=self.query_one("#company-active", Checkbox).value,
        )

    def write_data(self, data: object) -> None:
        assert isinstance(data, CompanyInput)
        acting = self.session.staff
        if self.company is None:
            add_billing_company(data, acting=acting)
        else:
            edit_billing_company(self.company.id, data, acting=acting)

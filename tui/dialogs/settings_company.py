"""``CompanyDialog``: add or edit a billing company (name, address, currency, prefix, Stripe, active;
in Switzerland, the QR-bill's creditor: its account, reference and address).

Its Stripe keys (the agent's and the portal's restricted keys) are typed here, kept in owner-only
files (``models.core.stripe_keys``), never shown again (only their last four characters), and
checked with Stripe once saved: the dialog names any permission Stripe refuses.

Once invoices were numbered with a company's prefix, the prefix field is locked and says why
(numbers stay unique and gapless); the model refuses the change as well. So is the credit note
prefix once the company issued a credit note (empty, it is the invoice prefix and -NC).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.widgets import Checkbox, Input, Select, Static, TextArea

from locales import N_
from models.admin.settings import (
    QR_FIELDS,
    CompanyInput,
    add_billing_company,
    edit_billing_company,
    save_stripe_keys,
    validate_stripe_keys,
)
from models.core.enums import SwissReference
from models.core.stripe_keys import KEY_FIELDS, KeyRole, mask, stripe_keys
from models.people.clinic import BillingCompany
from tui.dialogs.settings_form import SettingsDialog
from tui.session import StaffSession
from tui.widgets.invoice_field import FormField

if TYPE_CHECKING:
    from agent.stripe.key_check import KeyCheck  # the stripe library loads when a key is checked


class CompanyDialog(SettingsDialog):
    """Dismisses with ``True`` once saved; ``company`` ``None`` adds one."""

    def __init__(
        self,
        session: StaffSession,
        company: BillingCompany | None = None,
        *,
        prefix_locked: bool = False,
        credit_locked: bool = False,
    ) -> None:
        super().__init__(session)
        self.company = company
        self.prefix_locked = prefix_locked
        self.credit_locked = credit_locked  # the company issued credit notes: their prefix stays
        self.checks: list[KeyCheck] = []  # what Stripe said of the keys just saved

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
        yield from self._credit_prefix_field()
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
        for role, label, widget_id in (
            (KeyRole.AGENT, N_("Stripe key (agent)"), "company-stripe-key"),
            (KeyRole.PORTAL, N_("Stripe key (portal)"), "company-stripe-portal-key"),
        ):
            yield FormField(
                label,
                Input(
                    "",
                    placeholder=self._key_placeholder(role),
                    password=True,
                    compact=True,
                    id=widget_id,
                ),
                session,
                field=KEY_FIELDS[role],
            )
        if self.swiss:
            yield from self._swiss_fields()
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

    def _credit_prefix_field(self) -> ComposeResult:
        """The credit note prefix: empty for the invoice prefix and -NC (the placeholder shows it),
        locked once a credit note carries it."""
        tr, company = self.session.tr, self.company
        field = Input(
            company.credit_prefix if company else "",
            placeholder=self._default_credit_prefix(company.number_prefix if company else ""),
            compact=True,
            id="company-credit-prefix",
            max_length=12,
        )
        field.disabled = self.credit_locked
        yield FormField(N_("Credit note prefix"), field, self.session, field="credit_prefix")
        if self.credit_locked and company is not None:
            yield Static(
                tr.format(
                    N_("Credit notes were numbered with {prefix}: the prefix can no longer change."),
                    prefix=company.credit_prefix or self._default_credit_prefix(company.number_prefix),
                ),
                classes="settings-note",
                markup=False,
            )

    def _default_credit_prefix(self, number_prefix: str) -> str:
        prefix = number_prefix.strip().upper()
        return f"{prefix}-NC" if prefix else self.session.tr.gettext(N_("the invoice prefix and -NC"))

    @on(Input.Changed, "#company-prefix")
    def invoice_prefix_typed(self, event: Input.Changed) -> None:
        """The credit note prefix's placeholder follows the invoice prefix it defaults to."""
        self.query_one("#company-credit-prefix", Input).placeholder = self._default_credit_prefix(event.value)

    @property
    def swiss(self) -> bool:
        """Whether the QR-bill's creditor is asked: in Switzerland, or where it was set before."""
        return self.session.country == "CH" or bool(self.company and self.company.qr_account)

    def _swiss_fields(self) -> ComposeResult:
        """The Swiss QR-bill's creditor (``models.billing.swiss_bill``): its account and reference,
        and the address the bill prints under the company's name."""
        tr = self.session.tr
        company, session = self.company, self.session
        yield FormField(
            N_("QR-bill account"),
            Input(
                company.qr_account if company else "",
                placeholder=tr.gettext(N_("IBAN or QR-IBAN, CH… (optional: the QR-bill needs it)")),
                compact=True,
                id="company-qr-account",
            ),
            session,
            field="qr_account",
        )
        references = [
            (tr.gettext(N_("Creditor reference (RF…), with an IBAN")), SwissReference.CREDITOR.value),
            (tr.gettext(N_("QR reference, with a QR-IBAN")), SwissReference.QR.value),
        ]
        chosen = company.qr_reference if company else SwissReference.CREDITOR.value
        yield FormField(
            N_("QR-bill reference"),
            Select(references, value=chosen, allow_blank=False, compact=True, id="company-qr-reference"),
            session,
            field="qr_reference",
        )
        for label, name, widget_id, most in (
            (N_("Street"), "qr_street", "company-qr-street", 70),
            (N_("House number"), "qr_house_number", "company-qr-house", 16),
            (N_("Postal code"), "qr_postal_code", "company-qr-postcode", 16),
            (N_("City"), "qr_city", "company-qr-city", 35),
            (N_("Country"), "qr_country", "company-qr-country", 2),
        ):
            value = str(getattr(company, name)) if company else ("CH" if name == "qr_country" else "")
            yield FormField(
                label, Input(value, compact=True, id=widget_id, max_length=most), session, field=name
            )

    def _swiss_values(self) -> dict[str, str | None]:
        """The creditor as typed; None for each when the form does not ask it (kept as it is)."""
        if not self.swiss:
            return dict.fromkeys(QR_FIELDS)
        reference = self.query_one("#company-qr-reference", Select).value
        return {
            "qr_account": self.query_one("#company-qr-account", Input).value,
            "qr_reference": str(reference) if isinstance(reference, str) else None,
            "qr_street": self.query_one("#company-qr-street", Input).value,
            "qr_house_number": self.query_one("#company-qr-house", Input).value,
            "qr_postal_code": self.query_one("#company-qr-postcode", Input).value,
            "qr_city": self.query_one("#company-qr-city", Input).value,
            "qr_country": self.query_one("#company-qr-country", Input).value,
        }

    def _key_placeholder(self, role: KeyRole) -> str:
        """Whether a key is kept (as Stripe's dashboard shows it), never the key."""
        tr = self.session.tr
        account = self.company.stripe_account_id if self.company else ""
        kept = stripe_keys(self.session.config, role).own_key(account or "")
        if kept:
            return tr.format(N_("{key} kept: type a new one to replace it"), key=mask(kept))
        if role is KeyRole.AGENT:
            return tr.gettext(N_("rk_live_… (a restricted key)"))
        return tr.gettext(N_("rk_live_… (Checkout Sessions only)"))

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#company-name", Input).focus()

    def read(self) -> tuple[CompanyInput, dict[KeyRole, str]]:
        """The company's fields, and the keys typed (kept apart: they never reach the database)."""
        company = CompanyInput(
            name=self.query_one("#company-name", Input).value,
            address=self.query_one("#company-address", TextArea).text,
            currency=self.query_one("#company-currency", Input).value,
            number_prefix=self.query_one("#company-prefix", Input).value,
            credit_prefix=self.query_one("#company-credit-prefix", Input).value,
            stripe_account_id=self.query_one("#company-stripe", Input).value,
            active=self.query_one("#company-active", Checkbox).value,
            **self._swiss_values(),
        )
        keys = {
            KeyRole.AGENT: self.query_one("#company-stripe-key", Input).value,
            KeyRole.PORTAL: self.query_one("#company-stripe-portal-key", Input).value,
        }
        return company, keys

    def write_data(self, data: object) -> None:
        """The company, then its keys (owner-only files), then, for keys just typed, one check of
        each permission with Stripe (this worker waits for it; the dialog says what it found)."""
        assert isinstance(data, tuple)
        company_input: CompanyInput = data[0]
        keys: dict[KeyRole, str] = data[1]
        acting, config = self.session.staff, self.session.config
        # a bad key, or a key without an account to name it by, saves nothing, the company neither
        validate_stripe_keys(keys, company_input.stripe_account_id)
        if self.company is None:
            company = add_billing_company(company_input, acting=acting)
        else:
            company = edit_billing_company(self.company.id, company_input, acting=acting)
        account = company.stripe_account_id or ""
        self.checks = []
        if save_stripe_keys(config, account, keys, acting=acting):
            from agent.stripe.key_check import check_keys

            self.checks = asyncio.run(check_keys(config, account, self.session.tr))

    def _saved(self) -> None:
        tr = self.session.tr
        checks = self.checks
        if checks:
            text = "\n".join(check.text(tr) for check in checks if check.masked)
            good = all(check.ok for check in checks if check.masked)
            title = tr.gettext(
                N_("Stripe keys saved and checked") if good else N_("Stripe keys saved: check them")
            )
            self.app.notify(text, title=title, severity="information" if good else "warning", timeout=15)
        super()._saved()

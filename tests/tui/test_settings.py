"""The Settings tab through Pilot at 80x24: each section's main path and its refusals."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Checkbox, Input, Select, TabbedContent

from models.core.config import Config, StripeSettings
from models.core.enums import Role
from models.core.stripe_keys import stripe_keys
from models.people.clinic import BillingCompany, Clinic, Staff
from tests.agent.stripe_fixtures import fake_stripe
from tests.stripe_fake import FakeStripe
from tui.dialogs.confirm import ConfirmDialog
from tui.dialogs.settings_company import CompanyDialog
from tui.dialogs.settings_staff import StaffDialog
from tui.screens.settings import SettingsView
from tui.widgets.invoice_field import FormField
from tui.widgets.page_table import PageTable

from .conftest import Clinic_, until
from .invoices.conftest import messages, settle

SIZE = (80, 24)
__all__ = ["fake_stripe"]  # fixtures


async def open_settings(pilot: Pilot[Any]) -> SettingsView:
    await settle(pilot)
    await pilot.press("f4")
    await settle(pilot)
    return pilot.app.screen.query_one(SettingsView)


async def section(pilot: Pilot[Any], pane: str) -> None:
    view = pilot.app.screen.query_one(SettingsView)
    view.show_section(pane)
    await settle(pilot)


async def type_into(pilot: Pilot[Any], selector: str, text: str) -> None:
    """Fill a field as typing would end (the forms under test read values, not keystrokes; typing
    itself is tried on the patient and invoice forms)."""
    widget = pilot.app.screen.query_one(selector, Input)
    widget.focus()
    widget.value = text
    widget.cursor_position = len(text)
    await pilot.pause()


def has_error(pilot: Pilot[Any], field: str) -> bool:
    return pilot.app.screen.query_one(f"#field-{field}", FormField).has_class("-has-error")


async def test_edit_clinic_name_is_saved(make_app: Callable[..., Any], clinic: Clinic_) -> None:
    app = make_app("admin")
    async with app.run_test(size=SIZE) as pilot:
        await open_settings(pilot)
        await type_into(pilot, "#clinic-name", "Clinique du Lac")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert Clinic.get().name == "Clinique du Lac"
        assert "Clinique enregistrée" in messages(app)  # the admin reads French


async def test_bad_timezone_is_marked_and_nothing_saved(
    make_app: Callable[..., Any], clinic: Clinic_
) -> None:
    app = make_app("admin")
    async with app.run_test(size=SIZE) as pilot:
        await open_settings(pilot)
        await type_into(pilot, "#clinic-name", "Nouveau nom")
        await type_into(pilot, "#clinic-timezone", "Mars/Olympus")
        await type_into(pilot, "#clinic-terms", "-5")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert has_error(pilot, "timezone") and has_error(pilot, "payment_terms_days")
        assert not has_error(pilot, "name")
        assert app.focused is app.screen.query_one("#clinic-timezone")
        error = app.screen.query_one("#field-timezone .field-error").render()
        assert "Mars/Olympus" in str(error) and "fuseau" in str(error)
        # What was typed stays; nothing was written.
        assert app.screen.query_one("#clinic-timezone", Input).value == "Mars/Olympus"
        assert app.screen.query_one("#clinic-name", Input).value == "Nouveau nom"
        assert Clinic.get().name == "Clinique du Parc"
        assert Clinic.get().timezone == "America/Toronto"


async def test_leaving_changed_clinic_form_asks(make_app: Callable[..., Any], clinic: Clinic_) -> None:
    app = make_app("admin")
    async with app.run_test(size=SIZE) as pilot:
        view = await open_settings(pilot)
        await type_into(pilot, "#clinic-name", "Changé")
        await section(pilot, "settings-staff")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("enter")  # the safe answer has the focus: keep editing
        await settle(pilot)
        assert view.current == "settings-clinic"
        assert app.screen.query_one("#clinic-name", Input).value == "Changé"
        await section(pilot, "settings-staff")
        await pilot.click("#confirm-yes")
        await settle(pilot)
        assert view.current == "settings-staff"
        assert app.screen.query_one("#clinic-name", Input).value == "Clinique du Parc"
        assert Clinic.get().name == "Clinique du Parc"


async def test_add_company_bad_stripe_then_good_its_key_kept_apart_and_checked(
    make_app: Callable[..., Any], clinic: Clinic_, fake_stripe: FakeStripe, tui_config: Config
) -> None:
    account = "acct_1AbCdEfGh2"
    key = fake_stripe.mint_key(account, frozenset({"rak_checkout_session_write", "rak_event_read"}))
    app = make_app("admin", stripe=StripeSettings(api_base=fake_stripe.url, timeout=5))
    async with app.run_test(size=SIZE) as pilot:
        await open_settings(pilot)
        await section(pilot, "settings-companies")
        app.screen.query_one("#settings-companies PageTable", PageTable).focus()
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, CompanyDialog)
        await type_into(pilot, "#company-name", "Physio Nord")
        await type_into(pilot, "#company-prefix", "PN")
        await type_into(pilot, "#company-stripe", "acct_x")
        await type_into(pilot, "#company-stripe-key", "pk_live_published")  # a publishable key
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, CompanyDialog)
        assert has_error(pilot, "stripe_key")
        assert app.screen.query_one("#company-name", Input).value == "Physio Nord"
        assert BillingCompany.select().count() == 1
        await type_into(pilot, "#company-stripe-key", key)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, CompanyDialog) and has_error(pilot, "stripe_account_id")
        assert BillingCompany.select().count() == 1
        await type_into(pilot, "#company-stripe", account)
        await pilot.press("ctrl+s")
        await until(pilot, lambda: not isinstance(app.screen, CompanyDialog))
        company = BillingCompany.get(BillingCompany.number_prefix == "PN")
        assert company.stripe_account_id == account
        table = app.screen.query_one("#settings-companies PageTable", PageTable)
        assert table.row_count == 2
        # the key in an owner-only file named by the account, never the database; Stripe asked once
        kept = stripe_keys(tui_config).path(account)
        assert kept.read_text().strip() == key and kept.stat().st_mode & 0o777 == 0o600
        assert key[-4:] not in str(BillingCompany.select().dicts()[:])
        (note,) = [n for n in app._notifications if "Stripe" in str(n.title)]
        assert "Paiements (Charges) : lecture, Remboursements : écriture" in note.message
        assert key not in note.message
        assert {r.path for r in fake_stripe.requests} == {  # each permission asked once
            "/v1/checkout/sessions/cs_facteur_permission_check/expire",
            "/v1/events",
            "/v1/charges",
            "/v1/refunds",
        }


async def test_duplicate_prefix_is_refused(make_app: Callable[..., Any], clinic: Clinic_) -> None:
    app = make_app("admin")
    async with app.run_test(size=SIZE) as pilot:
        await open_settings(pilot)
        await section(pilot, "settings-companies")
        app.screen.query_one("#settings-companies PageTable", PageTable).focus()
        await pilot.press("a")
        await settle(pilot)
        await type_into(pilot, "#company-name", "Autre")
        await type_into(pilot, "#company-prefix", "cdp")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert has_error(pilot, "number_prefix")
        text = str(app.screen.query_one("#field-number_prefix .field-error").render())
        assert "CDP" in text and "Clinique du Parc inc." in text
        assert BillingCompany.select().count() == 1


async def test_used_prefix_is_locked_and_says_why(make_app: Callable[..., Any], clinic: Clinic_) -> None:
    from decimal import Decimal

    from models.billing.invoicing import LineInput, create_draft
    from models.people.patient import Patient
    from models.workflow.lifecycle import bill

    patient = Patient.create(last_name="Tremblay", first_name="Marc")
    draft = create_draft(
        patient=patient,
        billing_company=clinic.company,
        lines=[LineInput("Consultation", Decimal(1), 5000, Decimal(0), "C01")],
    )
    bill(draft)
    app = make_app("admin")
    async with app.run_test(size=SIZE) as pilot:
        await open_settings(pilot)
        await section(pilot, "settings-companies")
        app.screen.query_one("#settings-companies PageTable", PageTable).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CompanyDialog)
        assert app.screen.query_one("#company-prefix", Input).disabled
        note = str(app.screen.query_one(".settings-note").render())
        assert "CDP" in note


async def test_add_staff_member_with_roles(make_app: Callable[..., Any], clinic: Clinic_) -> None:
    app = make_app("admin")
    async with app.run_test(size=SIZE) as pilot:
        await open_settings(pilot)
        await section(pilot, "settings-staff")
        app.screen.query_one("#settings-staff PageTable", PageTable).focus()
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, StaffDialog)
        await type_into(pilot, "#staff-login", "bob")
        await type_into(pilot, "#staff-name", "Bob Brault")
        app.screen.query_one("#staff-role-provider", Checkbox).value = True
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, StaffDialog)
        bob = Staff.get(Staff.login == "bob")
        assert bob.role_set == {Role.BILLING, Role.PROVIDER}
        assert app.screen.query_one("#settings-staff PageTable", PageTable).row_count == 4


async def test_last_admin_cannot_lose_admin(make_app: Callable[..., Any], clinic: Clinic_) -> None:
    app = make_app("admin")
    async with app.run_test(size=SIZE) as pilot:
        await open_settings(pilot)
        await section(pilot, "settings-staff")
        table = app.screen.query_one("#settings-staff PageTable", PageTable)
        table.focus()
        table.move_cursor(0)  # Anne Admin, by name
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, StaffDialog) and app.screen.staff is not None
        assert app.screen.staff.login == "admin"
        app.screen.query_one("#staff-role-admin", Checkbox).value = False
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, StaffDialog)
        assert has_error(pilot, "roles")
        assert "dernier" in str(app.screen.query_one("#field-roles .field-error").render())
        assert Staff.get(Staff.login == "admin").has_role(Role.ADMIN)
        # Escape with changes asks; leaving without saving closes.
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.click("#confirm-yes")
        await settle(pilot)
        assert not isinstance(app.screen, (StaffDialog, ConfirmDialog))


async def test_non_admin_is_kept_out(make_app: Callable[..., Any], clinic: Clinic_) -> None:
    app = make_app("clerk")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        assert app.screen.query_one(TabbedContent).active != "settings"
        assert not app.screen.query(SettingsView)
        assert any("admin" in text for text in messages(app))
        # Built for a clerk anyway, the view shows why and no form.
        view = SettingsView(app.session)
        await app.screen.query_one("#settings").mount(view)
        await settle(pilot)
        assert not view.query(Input)
        assert "admin" in str(view.query_one("#settings-denied").render())


async def test_database_error_becomes_a_notification(make_app: Callable[..., Any], clinic: Clinic_) -> None:
    app = make_app("admin")
    async with app.run_test(size=SIZE) as pilot:
        await open_settings(pilot)
        # Another admin removes this one's admin role meanwhile: the save is refused with the reason.
        Staff.update(roles="billing").where(Staff.login == "admin").execute()
        await type_into(pilot, "#clinic-name", "Autre")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert any("admin" in text for text in messages(app))
        assert Clinic.get().name == "Clinique du Parc"
        assert app.screen.query_one("#clinic-name", Input).value == "Autre"


async def test_admin_switching_own_language_sees_it_at_once(
    make_app: Callable[..., Any], clinic: Clinic_
) -> None:
    app = make_app("admin")
    async with app.run_test(size=SIZE) as pilot:
        await open_settings(pilot)
        await section(pilot, "settings-staff")
        table = app.screen.query_one("#settings-staff PageTable", PageTable)
        table.focus()
        table.move_cursor(0)
        await pilot.press("enter")
        await settle(pilot)
        app.screen.query_one("#staff-language", Select).value = "en"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert Staff.get(Staff.login == "admin").language == "en"
        assert app.session.staff.language == "en"
        assert str(app.screen.query_one(TabbedContent).get_tab("settings").label) == "F4 Settings"
        assert messages(app)[-1] == "Saved"


async def test_clinic_contact_link_days_and_default_pin_mode(
    make_app: Callable[..., Any], clinic: Clinic_
) -> None:
    app = make_app("admin")
    async with app.run_test(size=SIZE) as pilot:
        await open_settings(pilot)
        assert app.screen.query_one("#clinic-link-days", Input).value == "14"
        await type_into(pilot, "#clinic-phone", "514 555 0100")
        await type_into(pilot, "#clinic-link-days", "45")
        app.screen.query_one("#clinic-pin-mode", Select).value = "institution"
        app.screen.query_one("#clinic-receipts", Select).value = "all"  # the desk's payments too
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert has_error(pilot, "link_days") and not has_error(pilot, "phone")
        assert "de 1 à 30" in str(app.screen.query_one("#field-link_days .field-error").render())
        assert Clinic.get().link_days == 14  # nothing written
        await type_into(pilot, "#clinic-link-days", "7")
        await pilot.press("ctrl+s")
        await settle(pilot)
        saved = Clinic.get()
        assert (saved.phone, saved.link_days, saved.default_pin_mode) == ("+15145550100", 7, "institution")
        assert saved.receipts == "all"
        assert app.screen.query_one("#clinic-phone", Input).value == "+15145550100"  # shown as saved

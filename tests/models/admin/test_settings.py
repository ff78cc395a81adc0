"""Settings writes: each saves what was asked, refuses bad values by field, and writes nothing then."""

from __future__ import annotations

from decimal import Decimal

import pytest

from models.admin.settings import (
    ClinicInput,
    CompanyInput,
    SettingsRefused,
    StaffInput,
    add_billing_company,
    add_staff_member,
    edit_billing_company,
    edit_staff,
    list_companies,
    list_staff,
    update_clinic,
)
from models.billing.invoicing import LineInput, create_draft
from models.core.errors import FieldErrors, ValidationError
from models.people.clinic import BillingCompany, Clinic, Staff
from models.people.patient import Patient
from models.workflow.lifecycle import bill
from tests.conftest import Setup


@pytest.fixture
def admin(setup: Setup) -> Staff:
    return Staff.create(login="anne", display_name="Anne Admin", roles="admin,billing")


def clinic_input(**changes: str) -> ClinicInput:
    values = {
        "name": "Clinique du Lac",
        "address": " 1 rue du Lac \n Montréal ",
        "timezone": "america/montreal",
        "default_language": "English",
        "payment_terms_days": "15",
    }
    return ClinicInput(**(values | changes))


def company_input(**changes: object) -> CompanyInput:
    values: dict[str, object] = {
        "name": "Physio Nord",
        "address": "",
        "currency": "cad",
        "number_prefix": "pn",
        "stripe_account_id": "",
        "active": True,
    }
    return CompanyInput(**(values | changes))  # type: ignore[arg-type]


def test_update_clinic_saves_normalized_values(admin: Staff) -> None:
    clinic = update_clinic(clinic_input(), acting=admin)
    assert (clinic.name, clinic.address, clinic.timezone) == (
        "Clinique du Lac",
        "1 rue du Lac\nMontréal",
        "America/Montreal",
    )
    assert (clinic.default_language, clinic.payment_terms_days) == ("en", 15)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"name": "  "}, "name"),
        ({"default_language": "de"}, "default_language"),
        ({"payment_terms_days": "-3"}, "payment_terms_days"),
        ({"payment_terms_days": "400"}, "payment_terms_days"),
        ({"payment_terms_days": ""}, "payment_terms_days"),
    ],
)
def test_update_clinic_refuses_by_field_and_writes_nothing(
    admin: Staff, changes: dict[str, str], field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        update_clinic(clinic_input(**changes), acting=admin)
    assert refused.value.field == field
    assert Clinic.get().name == "Clinique du Parc"


def test_non_admin_is_refused_everywhere(setup: Setup) -> None:
    clerk = setup.provider
    calls = [
        lambda: update_clinic(clinic_input(), acting=clerk),
        lambda: add_billing_company(company_input(), acting=clerk),
        lambda: edit_billing_company(setup.company.id, company_input(), acting=clerk),
        lambda: add_staff_member("bob", StaffInput("Bob", ["billing"], "fr"), acting=clerk),
        lambda: edit_staff(clerk.id, StaffInput("X", ["admin"], "fr"), acting=clerk),
    ]
    for call in calls:
        with pytest.raises(SettingsRefused, match="not an admin"):
            call()
    assert Clinic.get().name == "Clinique du Parc"
    assert BillingCompany.select().count() == 2


def test_add_company_with_stripe_id(admin: Staff) -> None:
    company = add_billing_company(company_input(stripe_account_id=" acct_1AbCdEfGh2 "), acting=admin)
    assert (company.currency, company.number_prefix, company.stripe_account_id) == (
        "CAD",
        "PN",
        "acct_1AbCdEfGh2",
    )
    assert [c.name for c in list_companies()][-1] == "Physio Plateau"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"stripe_account_id": "acct_x"}, "stripe_account_id"),
        ({"stripe_account_id": "sk_live_12345678"}, "stripe_account_id"),
        ({"currency": "XYZ"}, "currency"),
        ({"number_prefix": "A-"}, "number_prefix"),
        ({"number_prefix": "cdp"}, "number_prefix"),  # taken by the setup's company
    ],
)
def test_add_company_refusals(admin: Staff, changes: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        add_billing_company(company_input(**changes), acting=admin)
    assert refused.value.field == field
    assert BillingCompany.select().count() == 2


def test_edit_company_prefix_free_until_invoices_are_numbered(setup: Setup, admin: Staff) -> None:
    edited = edit_billing_company(setup.company.id, company_input(number_prefix="CDQ"), acting=admin)
    assert edited.number_prefix == "CDQ"
    with pytest.raises(ValidationError, match="already the prefix of Physio Plateau"):
        edit_billing_company(setup.company.id, company_input(number_prefix="PPL"), acting=admin)
    patient = Patient.create(last_name="Tremblay", first_name="Marc")
    draft = create_draft(
        patient=patient,
        billing_company=edited,
        lines=[LineInput("Consultation", Decimal(1), 5000, Decimal(0), "C01")],
    )
    # A draft has no number yet: the prefix may still change.
    assert edit_billing_company(setup.company.id, company_input(number_prefix="CDP"), acting=admin)
    bill(draft)
    with pytest.raises(ValidationError) as refused:
        edit_billing_company(setup.company.id, company_input(number_prefix="NEW"), acting=admin)
    assert refused.value.field == "number_prefix"
    assert "already numbered with CDP" in str(refused.value)
    # Everything else may still change, the prefix staying as it was.
    renamed = edit_billing_company(
        setup.company.id, company_input(number_prefix="cdp", name="Renommée", active=False), acting=admin
    )
    assert (renamed.name, renamed.number_prefix, renamed.active) == ("Renommée", "CDP", False)


def test_add_staff_member(admin: Staff) -> None:
    staff = add_staff_member(
        "bob", StaffInput(" Bob  Brault ", ["provider", "billing"], "English"), acting=admin
    )
    assert (staff.display_name, staff.roles, staff.language) == ("Bob Brault", "billing,provider", "en")
    with pytest.raises(ValidationError) as refused:
        add_staff_member("bob", StaffInput("Bob", ["billing"], "fr"), acting=admin)
    assert refused.value.field == "login"
    with pytest.raises(ValidationError) as refused:
        add_staff_member("carl", StaffInput("Carl", [], "fr"), acting=admin)
    assert refused.value.field == "roles"
    with pytest.raises(ValidationError) as refused:
        add_staff_member("Not Valid", StaffInput("Carl", ["billing"], "fr"), acting=admin)
    assert refused.value.field == "login"
    assert [s.login for s in list_staff()] == ["anne", "bob", "dr.roy"]


def test_edit_staff_saves(setup: Setup, admin: Staff) -> None:
    edited = edit_staff(
        setup.provider.id, StaffInput("Julie Roy", ["provider"], "en", active=False), acting=admin
    )
    assert (edited.display_name, edited.roles, edited.language, edited.active) == (
        "Julie Roy",
        "provider",
        "en",
        False,
    )


def test_admin_cannot_demote_or_deactivate_themselves(setup: Setup, admin: Staff) -> None:
    Staff.update(roles="admin").where(Staff.id == setup.provider.id).execute()  # not the last admin
    with pytest.raises(ValidationError, match="your own admin role") as refused:
        edit_staff(admin.id, StaffInput("Anne", ["billing"], "fr"), acting=admin)
    assert refused.value.field == "roles"
    with pytest.raises(ValidationError, match="deactivate yourself") as refused:
        edit_staff(admin.id, StaffInput("Anne", ["admin"], "fr", active=False), acting=admin)
    assert refused.value.field == "active"
    assert Staff.get_by_id(admin.id).roles == "admin,billing"


def test_last_admin_stays(setup: Setup, admin: Staff) -> None:
    # Anne is the only admin: taking her role away or deactivating her says why not.
    with pytest.raises(ValidationError, match="Anne Admin is the last admin") as refused:
        edit_staff(admin.id, StaffInput("Anne Admin", ["billing"], "fr"), acting=admin)
    assert refused.value.field == "roles"
    with pytest.raises(ValidationError, match="the last admin") as refused:
        edit_staff(admin.id, StaffInput("Anne Admin", ["admin"], "fr", active=False), acting=admin)
    assert refused.value.field == "active"
    # An inactive admin does not count.
    zoe = Staff.create(login="zoe", display_name="Zoé", roles="admin", active=False)
    with pytest.raises(ValidationError, match="the last admin"):
        edit_staff(admin.id, StaffInput("Anne Admin", ["billing"], "fr"), acting=admin)
    # With Zoé active, Zoé may take Anne's admin role; then Anne may no longer act.
    edit_staff(zoe.id, StaffInput("Zoé", ["admin"], "fr"), acting=admin)
    edit_staff(admin.id, StaffInput("Anne Admin", ["billing"], "fr"), acting=zoe)
    with pytest.raises(SettingsRefused):
        edit_staff(zoe.id, StaffInput("Zoé", ["billing"], "fr"), acting=admin)
    assert Staff.get_by_id(zoe.id).roles == "admin"


def test_every_refused_field_is_reported_at_once(admin: Staff) -> None:
    with pytest.raises(FieldErrors) as refused:
        update_clinic(clinic_input(name="", timezone="Nowhere", payment_terms_days="x"), acting=admin)
    assert [error.field for error in refused.value.errors] == ["name", "timezone", "payment_terms_days"]
    assert refused.value.field == "name"  # reads as the first
    with pytest.raises(FieldErrors) as refused:
        add_staff_member("Bad Login", StaffInput("", [], "de"), acting=admin)
    assert [error.field for error in refused.value.errors] == ["login", "display_name", "roles", "language"]


def test_the_sending_window_is_saved_normalized_and_refused_by_field(admin: Staff) -> None:
    window = {"send_opens": "8:00", "send_closes": "24:00", "send_days": "5,1-4", "holiday_calendar": "ca-qc"}
    saved = update_clinic(clinic_input(**window), acting=admin)
    assert (saved.send_opens, saved.send_closes, saved.send_days, saved.holiday_calendar) == (
        "08:00",
        "24:00",
        "1-5",
        "CA-QC",
    )
    wrong = {"send_opens": "18:00", "send_closes": "08:00", "send_days": "", "holiday_calendar": "CA-XX"}
    with pytest.raises(FieldErrors) as refused:
        update_clinic(clinic_input(name="Autre nom", **wrong), acting=admin)
    assert {error.field for error in refused.value.errors} == {"send_days", "holiday_calendar"}
    with pytest.raises(ValidationError) as backwards:
        update_clinic(clinic_input(send_opens="18:00", send_closes="08:00"), acting=admin)
    assert backwards.value.field == "send_closes"
    assert Clinic.get().name == "Clinique du Lac" and Clinic.get().send_opens == "08:00"  # nothing written

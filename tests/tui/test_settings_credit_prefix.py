"""Settings → a billing company's credit note prefix at 80x24: its default, its refusals, its lock."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input

from models.billing.credit_notes import CreditNote
from models.billing.invoicing import LineInput, create_draft
from models.people.clinic import BillingCompany, Staff
from models.people.patient import Patient
from models.workflow.lifecycle import bill, credit
from tui.dialogs.settings_company import CompanyDialog
from tui.widgets.page_table import PageTable

from .conftest import Clinic_
from .invoices.conftest import settle
from .test_settings import SIZE, has_error, open_settings, section, type_into


async def edit_company(pilot: Pilot[Any]) -> CompanyDialog:
    """The clinic's company in its dialog, for an admin who reads English."""
    await open_settings(pilot)
    await section(pilot, "settings-companies")
    pilot.app.screen.query_one("#settings-companies PageTable", PageTable).focus()
    await pilot.press("enter")
    await settle(pilot)
    dialog = pilot.app.screen
    assert isinstance(dialog, CompanyDialog)
    return dialog


def error_of(pilot: Pilot[Any], field: str) -> str:
    return str(pilot.app.screen.query_one(f"#field-{field} .field-error").render())


async def save(pilot: Pilot[Any]) -> None:
    await pilot.press("ctrl+s")
    await settle(pilot)


async def test_the_prefix_defaults_to_the_invoice_prefix_and_is_checked(
    make_app: Callable[..., Any], clinic: Clinic_
) -> None:
    BillingCompany.create(
        clinic=clinic.clinic, name="Physio Nord", currency="CAD", number_prefix="PN", credit_prefix="AVN"
    )
    Staff.update(language="en").where(Staff.id == clinic.admin.id).execute()
    app = make_app("admin")
    async with app.run_test(size=SIZE) as pilot:
        dialog = await edit_company(pilot)
        field = dialog.query_one("#company-credit-prefix", Input)
        assert (field.value, field.placeholder) == ("", "CDP-NC")  # empty: the invoice prefix and -NC
        for typed, expected in (
            ("av!", "capital letters, digits or dashes"),
            ("CDP", "differ from the invoice prefix"),
            ("pn", "PN is already used by Physio Nord"),
            ("AVN", "AVN is already used by Physio Nord"),
        ):
            await type_into(pilot, "#company-credit-prefix", typed)
            await save(pilot)
            assert app.screen is dialog and has_error(pilot, "credit_prefix"), typed
            assert expected in error_of(pilot, "credit_prefix"), typed
        assert BillingCompany.get_by_id(clinic.company.id).credit_prefix == ""
        await type_into(pilot, "#company-credit-prefix", "av")
        await save(pilot)
        assert app.screen is not dialog
        assert BillingCompany.get_by_id(clinic.company.id).credit_prefix == "AV"


async def test_the_prefix_is_locked_once_a_credit_note_carries_it(
    make_app: Callable[..., Any], clinic: Clinic_
) -> None:
    patient = Patient.create(last_name="Tremblay", first_name="Marc")
    draft = create_draft(
        patient=patient,
        billing_company=clinic.company,
        lines=[LineInput("Consultation", Decimal(1), 5000, Decimal(0), "C01")],
    )
    credit(bill(draft), "Erreur")
    assert CreditNote.get().number.startswith("CDP-NC-")
    Staff.update(language="en").where(Staff.id == clinic.admin.id).execute()
    app = make_app("admin")
    async with app.run_test(size=SIZE) as pilot:
        dialog = await edit_company(pilot)
        assert dialog.query_one("#company-credit-prefix", Input).disabled
        notes = [str(note.render()) for note in dialog.query(".settings-note")]
        assert "Credit notes were numbered with CDP-NC: the prefix can no longer change." in notes
        dialog.query_one("#company-credit-prefix", Input).value = "AV"  # forced past the lock
        await save(pilot)
        assert app.screen is dialog and has_error(pilot, "credit_prefix")
        assert "already numbered with CDP-NC" in error_of(pilot, "credit_prefix")
    assert BillingCompany.get_by_id(clinic.company.id).credit_prefix == ""

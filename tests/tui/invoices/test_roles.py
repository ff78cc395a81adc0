"""Who may do what on the invoice screens, and that a refusal says why."""

from __future__ import annotations

from collections.abc import Callable

from textual.widgets import Select, Static

from models.billing.invoice import Invoice
from models.core.enums import InvoiceStatus
from models.people.clinic import Staff
from tui.screens.invoice_detail import InvoiceDetailScreen
from tui.screens.invoice_form import InvoiceFormScreen
from tui.widgets.invoice_lines import InvoiceLinesEditor

from ..conftest import Clinic_
from .conftest import Billing, messages, open_screen, settle


async def test_staff_without_billing_or_provider_are_denied_with_the_reason(
    make_app: Callable[..., object], billing: Billing
) -> None:
    Staff.create(login="boss", display_name="Bea Boss", roles="admin", language="en")
    app = make_app("boss")
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        form = InvoiceFormScreen(app.session)  # type: ignore[attr-defined]
        await open_screen(pilot, form)
        denied = str(form.query_one("#form-denied", Static).render())
        assert "Bea Boss does not have the billing role" in denied
        assert not form.query_one("#invoice-form").display
        await pilot.press("ctrl+s")
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is not form  # type: ignore[attr-defined]


async def test_a_provider_drafts_for_themselves_but_cannot_bill(
    make_app: Callable[..., object], billing: Billing, clinic: Clinic_
) -> None:
    app = make_app("dr.roy")
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        form = InvoiceFormScreen(app.session, patient_id=billing.patients[3].id)  # type: ignore[attr-defined]
        await open_screen(pilot, form)
        assert form.query_one("#form-note").display
        provider = form.query_one("#provider", Select)
        assert provider.value == clinic.provider.id and provider.disabled
        row = form.query_one(InvoiceLinesEditor).rows[0]
        row.input("description").value = "Suivi"
        row.input("unit_price").value = "60"
        await pilot.press("ctrl+b")
        await settle(pilot)
        assert any("Julie Roy" in m and "facturation" in m for m in messages(app)), messages(app)
        assert not Invoice.select().where(Invoice.patient == billing.patients[3].id).exists()
        await pilot.press("ctrl+s")
        await settle(pilot)
        draft = Invoice.get(Invoice.patient == billing.patients[3].id)
        assert draft.status == InvoiceStatus.DRAFT and draft.provider.id == clinic.provider.id


async def test_a_provider_cannot_open_someone_elses_draft(
    make_app: Callable[..., object], billing: Billing, clinic: Clinic_
) -> None:
    other = Staff.create(login="dr.lee", display_name="Dr Amy Lee", roles="provider", language="en")
    Invoice.update(provider=clinic.provider).where(Invoice.id == billing.draft.id).execute()
    app = make_app("dr.lee")
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        form = InvoiceFormScreen(app.session, invoice_id=billing.draft.id)  # type: ignore[attr-defined]
        await open_screen(pilot, form)
        assert form.denied is not None and other.display_name in form.denied


async def test_the_detail_refuses_a_payment_to_a_provider_and_says_why(
    make_app: Callable[..., object], billing: Billing
) -> None:
    app = make_app("dr.roy")
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        detail = InvoiceDetailScreen(app.session, billing.billed.id)  # type: ignore[attr-defined]
        await open_screen(pilot, detail)
        assert detail.query_one("#detail-note").display
        await pilot.press("p")
        await pilot.pause()
        assert app.screen is detail  # type: ignore[attr-defined]
        assert any("facturation" in m for m in messages(app)), messages(app)

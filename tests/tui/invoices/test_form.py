"""The invoice form driven by keys at 80x24: the main path and every way it refuses input."""

from __future__ import annotations

from collections.abc import Callable

from textual.widgets import Input

from models.billing.invoice import Invoice
from models.billing.tax_definitions import load_preset
from models.core.enums import InvoiceStatus
from tui.screens.invoice_detail import InvoiceDetailScreen
from tui.screens.invoice_form import InvoiceFormScreen
from tui.widgets.invoice_lines import InvoiceLinesEditor
from tui.widgets.invoice_totals import InvoiceTotals
from tui.widgets.patient_picker import PatientPicker

from ..conftest import Clinic_
from .conftest import Billing, messages, open_screen, settle


def totals_text(screen: InvoiceFormScreen) -> str:
    return " | ".join(f"{label} {amount}" for label, amount in screen.query_one(InvoiceTotals).rows)


async def test_pick_patient_two_lines_save_then_bill(
    make_app: Callable[..., object], billing: Billing
) -> None:
    app = make_app("reception")
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        form = InvoiceFormScreen(app.session)  # type: ignore[attr-defined]
        await open_screen(pilot, form)
        assert form.ready
        await pilot.press(*"bela")
        await settle(pilot)
        picker = form.query_one(PatientPicker)
        assert [row.full_name for row in picker.rows] == ["Élise Bélanger"]
        await pilot.press("enter")
        assert form.patient is not None and form.patient.full_name == "Élise Bélanger"
        editor = form.query_one(InvoiceLinesEditor)
        row = editor.rows[0]
        row.input("code").focus()
        await pilot.press("C", "0", "1", "tab", *"Consultation", "tab", "backspace", "1", "tab", *"95,00")
        await pilot.pause()
        assert "95,00" in str(row.query_one(".line-total").render())
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert len(editor.rows) == 2
        await pilot.press(*"O02", "tab", *"Orthèse", "tab", "backspace", "2", "tab", *"40", "tab", *"14,975")
        await pilot.pause()
        # 95 + 2 x 40 = 175 before tax; 80 x 14.975 % = 11.98 of tax
        text = totals_text(form)
        assert "175,00" in text and "11,98" in text and "186,98" in text, text
        await pilot.press("ctrl+s")
        await settle(pilot)
        invoice = Invoice.get(Invoice.id == form.invoice_id)
        assert invoice.status == InvoiceStatus.DRAFT and invoice.total_cents == 18698
        assert not form.dirty
        assert f"Brouillon no {invoice.id} enregistré" in messages(app)
        await pilot.press("ctrl+b")
        await settle(pilot)
        invoice = Invoice.get(Invoice.id == invoice.id)
        assert invoice.status == InvoiceStatus.BILLED and invoice.number == "CDP-2026-00002"
        assert any("CDP-2026-00002" in m for m in messages(app))
        assert isinstance(app.screen, InvoiceDetailScreen)  # type: ignore[attr-defined]
        assert app.screen.invoice_id == invoice.id  # type: ignore[attr-defined]


async def test_an_invalid_amount_is_marked_and_nothing_is_saved(
    make_app: Callable[..., object], billing: Billing
) -> None:
    app = make_app("reception")
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        before = Invoice.select().count()
        form = InvoiceFormScreen(app.session, patient_id=billing.patients[0].id)  # type: ignore[attr-defined]
        await open_screen(pilot, form)
        row = form.query_one(InvoiceLinesEditor).rows[0]
        row.input("description").value = "Consultation"
        row.input("unit_price").value = "12,3x"
        await pilot.pause()
        assert str(row.query_one(".line-total").render()) == "—"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert Invoice.select().count() == before
        assert row.input("unit_price").has_class("-refused")
        error = str(row.query_one(".line-error").render())
        assert "12,3x" in error and "pas un montant" in error, error
        assert row.input("unit_price").value == "12,3x"  # what was typed stays
        assert any("Rien n’a été enregistré" in m for m in messages(app)), messages(app)


async def test_leaving_with_changes_asks_first(make_app: Callable[..., object], billing: Billing) -> None:
    from tui.dialogs.confirm import ConfirmDialog

    app = make_app("clerk")
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        form = InvoiceFormScreen(app.session, invoice_id=billing.draft.id)  # type: ignore[attr-defined]
        await open_screen(pilot, form)
        row = form.query_one(InvoiceLinesEditor).rows[0]
        assert row.input("description").value == "Consultation initiale"
        assert not form.dirty  # loading the draft is not a change
        row.input("description").value = "Consultation de suivi"
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)  # type: ignore[attr-defined]
        await pilot.press("enter")  # the focused answer keeps editing
        await pilot.pause()
        assert app.screen is form  # type: ignore[attr-defined]
        assert row.input("description").value == "Consultation de suivi"
        await pilot.press("escape")
        await pilot.pause()
        await pilot.click("#confirm-yes")
        await pilot.pause()
        assert app.screen is not form  # type: ignore[attr-defined]
        assert Invoice.get(Invoice.id == billing.draft.id).lines[0].description == "Consultation initiale"


async def test_leaving_an_unchanged_form_does_not_ask(
    make_app: Callable[..., object], billing: Billing
) -> None:
    app = make_app("clerk")
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        form = InvoiceFormScreen(app.session, invoice_id=billing.draft.id)  # type: ignore[attr-defined]
        await open_screen(pilot, form)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is not form  # type: ignore[attr-defined]


async def test_a_third_party_with_a_bad_email_is_refused(
    make_app: Callable[..., object], billing: Billing
) -> None:
    app = make_app("clerk")
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        form = InvoiceFormScreen(app.session, invoice_id=billing.draft.id)  # type: ignore[attr-defined]
        await open_screen(pilot, form)
        await pilot.click("#third-party")
        await pilot.pause()
        await pilot.press(*"Assurances XYZ", "tab", *"claims@@xyz", "tab", *"514 555")
        await pilot.press("ctrl+s")
        await settle(pilot)
        email = form.query_one("#field-billed_to_email")
        phone = form.query_one("#field-billed_to_phone")
        assert email.has_class("-has-error") and phone.has_class("-has-error")
        assert "claims@@xyz is not a valid email address" in str(email.query_one(".field-error").render())
        assert not form.query_one("#field-billed_to_name").has_class("-has-error")
        invoice = Invoice.get(Invoice.id == billing.draft.id)
        assert not invoice.third_party and invoice.billed_to_name == "Marc Tremblay"
        assert form.query_one("#billed_to_email", Input).value == "claims@@xyz"
        # Corrected, it saves the third party as typed and normalized.
        form.query_one("#billed_to_email", Input).value = "claims@xyz.example"
        form.query_one("#billed_to_phone", Input).value = "514 555 0199"
        await pilot.press("ctrl+s")
        await settle(pilot)
        invoice = Invoice.get(Invoice.id == billing.draft.id)
        assert invoice.third_party and invoice.billed_to_name == "Assurances XYZ"
        assert (invoice.billed_to_email, invoice.billed_to_phone) == ("claims@xyz.example", "+15145550199")


async def test_billing_an_empty_invoice_saves_nothing(
    make_app: Callable[..., object], billing: Billing
) -> None:
    app = make_app("clerk")
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        before = Invoice.select().count()
        form = InvoiceFormScreen(app.session, patient_id=billing.patients[2].id)  # type: ignore[attr-defined]
        await open_screen(pilot, form)
        await pilot.press("ctrl+b")
        await settle(pilot)
        assert Invoice.select().count() == before  # the draft is not left behind either
        assert any("has no lines to bill" in m for m in messages(app)), messages(app)
        assert app.screen is form  # type: ignore[attr-defined]


async def test_the_picker_pages_through_namesakes(make_app: Callable[..., object], billing: Billing) -> None:
    app = make_app("clerk")
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        form = InvoiceFormScreen(app.session)  # type: ignore[attr-defined]
        await open_screen(pilot, form)
        await pilot.press(*"bouch")
        await settle(pilot)
        picker = form.query_one(PatientPicker)
        assert len(picker.rows) == 6 and picker.has_more
        await pilot.press("pagedown")
        await settle(pilot)
        assert [row.full_name for row in picker.rows] == [f"Client{i} Bouchard" for i in (6, 7, 8)]
        assert not picker.has_more
        await pilot.press("down", "down", "enter")
        await pilot.pause()
        assert form.patient is not None and form.patient.full_name == "Client7 Bouchard"


async def test_a_database_error_becomes_a_notification(
    make_app: Callable[..., object], billing: Billing, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    import peewee

    import tui.screens.invoice_form as module

    def locked(*args: object, **kwargs: object) -> None:
        raise peewee.OperationalError("database is locked")

    monkeypatch.setattr(module, "save_draft", locked)
    app = make_app("clerk")
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        form = InvoiceFormScreen(app.session, invoice_id=billing.draft.id)  # type: ignore[attr-defined]
        await open_screen(pilot, form)
        form.query_one(InvoiceLinesEditor).rows[0].input("description").value = "Changed"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert any("stayed busy" in m for m in messages(app)), messages(app)
        assert app.screen is form and form.dirty and not form.busy  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")  # and it can try again
        await settle(pilot)
        assert sum("stayed busy" in m for m in messages(app)) == 2


async def test_a_missing_invoice_is_said_not_crashed(
    make_app: Callable[..., object], billing: Billing
) -> None:
    app = make_app("clerk")
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        await open_screen(pilot, InvoiceDetailScreen(app.session, 9999))  # type: ignore[attr-defined]
        assert any("#9999" in m for m in messages(app)), messages(app)
        await open_screen(pilot, InvoiceFormScreen(app.session, invoice_id=billing.billed.id))  # type: ignore[attr-defined]
        assert any("only a draft can be edited" in m for m in messages(app)), messages(app)


async def test_lines_choose_taxes_by_code_and_the_totals_show_each_tax(
    make_app: Callable[..., object], billing: Billing, clinic: Clinic_
) -> None:
    load_preset(clinic.company.id, "qc")
    app = make_app("clerk")  # English
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        form = InvoiceFormScreen(app.session, patient_id=billing.patients[0].id)  # type: ignore[attr-defined]
        await open_screen(pilot, form)
        editor = form.query_one(InvoiceLinesEditor)
        first = editor.rows[0]
        assert first.input("taxes").value == "GST+QST"  # the company's taxes for new lines
        first.input("description").value = "Massage therapy"
        first.input("unit_price").value = "100"
        await pilot.press("ctrl+n")
        await pilot.pause()
        second = editor.rows[1]
        second.input("description").value = "Physiotherapy"
        second.input("unit_price").value = "80"
        second.input("taxes").value = ""
        assert second.input("taxes").placeholder == "exempt"
        await pilot.pause()
        text = totals_text(form)
        assert "GST (5%) on $100.00 $5.00" in text and "QST (9.975%) on $100.00 $9.98" in text, text
        assert "Total $194.98" in text, text
        second.input("taxes").value = "hst"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert form.invoice_id is None
        assert "no tax HST applies on 2026-03-14; the company's taxes: GST, QST" in str(
            second.query_one(".line-error").render()
        )
        second.input("taxes").value = ""
        await pilot.press("ctrl+s")
        await settle(pilot)
        invoice = Invoice.get(Invoice.id == form.invoice_id)
        assert [(line.tax_codes, line.tax_cents) for line in invoice.lines] == [("GST+QST", 1498), ("", 0)]
        assert invoice.total_cents == 19498

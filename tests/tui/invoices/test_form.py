"""The invoice form driven by keys at 80x24: the main path and every way it refuses input."""

from __future__ import annotations

from collections.abc import Callable

from textual.widgets import Input

from models.enums import InvoiceStatus
from models.invoice import Invoice
from tui.screens.invoice_detail import InvoiceDetailScreen
from tui.screens.invoice_form import InvoiceFormScreen
from tui.widgets.invoice_lines import InvoiceLinesEditor
from tui.widgets.invoice_totals import InvoiceTotals
from tui.widgets.patient_picker import PatientPicker

from .conftest import Billing, messages, open_screen, settle


def totals_text(screen: InvoiceFormScreen) -> str:
    return " | ".join(f"{label} {amount}" for label, amount in screen.query_one(InvoiceTotals).rows)


async def test_pick_patient_two_lines_save_then_bill(make_app: Callable[..., object], billing: Billing) -> None:
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
        assert any(f"#{invoice.id}" in m for m in messages(app))
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

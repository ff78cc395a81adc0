"""Credit notes from the invoice detail at 80x24, from the keyboard: the whole invoice, chosen lines,
the refusals, a credit to refund and its refund by hand."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.widgets import Input

from models.billing.credit_notes import CreditNote, CreditNoteLine
from models.billing.invoice import Invoice
from models.billing.reversals import PaymentReversal
from models.core.enums import InvoiceStatus
from models.workflow.lifecycle import record_payment
from tui.dialogs.confirm import ConfirmDialog
from tui.dialogs.credit_note import CreditNoteDialog
from tui.dialogs.refund import RefundDialog
from tui.screens.invoice_detail import InvoiceDetailScreen
from tui.widgets.invoice_totals import InvoiceTotals
from tui.widgets.plain_table import PlainTable

from .conftest import Billing, messages, settle, until
from .test_detail import open_detail

SIZE = (80, 24)


def text_of(dialog: Any, selector: str) -> str:
    return str(dialog.query_one(selector).render())


async def open_credit(pilot: Any) -> CreditNoteDialog:
    await pilot.press("c")
    await settle(pilot)
    dialog = pilot.app.screen
    assert isinstance(dialog, CreditNoteDialog)
    return dialog


def in_sight(dialog: CreditNoteDialog, selector: str) -> bool:
    """Whether the widget lies whole on the 80x24 screen."""
    region = dialog.query_one(selector).region
    return region.height > 0 and region.y >= 0 and region.bottom <= SIZE[1] and region.right <= SIZE[0]


async def test_the_whole_invoice_is_credited_in_french(
    make_app: Callable[..., Any], billing: Billing
) -> None:
    app = make_app("reception")
    async with app.run_test(size=SIZE) as pilot:
        detail = await open_detail(pilot, billing.billed.id)
        assert detail.check_action("credit", ())
        dialog = await open_credit(pilot)
        assert in_sight(dialog, "#credit-ok") and in_sight(dialog, "#credit-cancel")
        assert "186,98\xa0$" in text_of(dialog, "#credit-total")  # the whole invoice, taxes included
        await pilot.press("tab", *"Erreur de patient", "enter")
        await until(pilot, lambda: detail.view is not None and detail.view.status == InvoiceStatus.CREDITED)
        note = CreditNote.get()
        assert (note.number, note.reason, note.total_cents) == (
            "CDP-NC-2026-00001",
            "Erreur de patient",
            18698,
        )
        assert CreditNoteLine.select().count() == 2
        assert any("CDP-NC-2026-00001" in text and "0,00\xa0$" in text for text in messages(app))
        table = detail.query_one("#detail-credit-notes", PlainTable)
        assert [str(cell) for cell in table.get_row_at(0)] == [
            "CDP-NC-2026-00001",
            "14 mars 2026",
            "Erreur de patient",
            "-186,98\xa0$",
        ]
        totals = dict(detail.query_one(InvoiceTotals).rows)
        assert totals["Solde"] == "0,00\xa0$" and "186,98\xa0$" in totals.values()
        assert not detail.check_action("credit", ())  # nothing left to credit: the footer hides it
        await pilot.press("c")
        await pilot.pause()
        assert app.screen is detail


async def test_chosen_lines_with_an_amount_and_a_credit_to_refund_given_back_by_hand(
    make_app: Callable[..., Any], billing: Billing
) -> None:
    record_payment(billing.billed, billing.billed.balance_cents, "cash")
    app = make_app("clerk")
    async with app.run_test(size=SIZE) as pilot:
        detail = await open_detail(pilot, billing.billed.id)
        assert detail.view is not None and detail.view.status == InvoiceStatus.PAID
        dialog = await open_credit(pilot)
        await pilot.press("down", "enter")  # Chosen lines
        await pilot.pause()
        assert dialog.query_one("#credit-lines").display
        assert "$0.00" in text_of(dialog, "#credit-total")  # none chosen yet
        await pilot.press("tab", "tab")  # past the first line to its amount
        amount = dialog.query_one("#credit-line-1 Input", Input)
        assert app.focused is amount and amount.selected_text == "95.00"  # typing replaces it
        await pilot.press("tab", "tab")  # the second line's amount
        await pilot.press(*"40")  # half of 2 x $40.00, its tax along: 40.00 + 5.99
        await pilot.pause()
        assert dialog.query_one("#credit-line-2 Input", Input).value == "40"
        assert "$45.99" in text_of(dialog, "#credit-total")
        await pilot.press("tab", *"One orthotic returned")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: detail.view is not None and detail.view.credited_cents == 4599)
        (line,) = CreditNoteLine.select()
        assert (line.subtotal_cents, line.tax_cents) == (4000, 599)
        assert detail.view.balance_cents == -4599
        assert any("a credit of $45.99 is to be refunded" in text for text in messages(app))
        totals = dict(detail.query_one(InvoiceTotals).rows)
        assert totals["Credited"] == "$45.99" and totals["Credit to refund"] == "$45.99"
        assert "Balance" not in totals
        # The cash payment gives the credit back by hand.
        assert detail.check_action("refund", ())
        await pilot.press("r")
        await settle(pilot)
        refund = app.screen
        assert isinstance(refund, RefundDialog)
        assert "by hand" in text_of(refund, "#refund-title")
        assert refund.query_one("#refund-amount", Input).value == "45.99"  # the credit to refund
        refund.query_one("#refund-reason", Input).value = "cash back"
        await pilot.press("enter")
        await until(pilot, lambda: detail.view is not None and detail.view.balance_cents == 0)
        back = PaymentReversal.get()
        assert (back.amount_cents, back.reason) == (4599, "cash back")
        invoice = Invoice.get_by_id(billing.billed.id)
        assert (invoice.paid_cents, invoice.status) == (18698 - 4599, InvoiceStatus.PAID)
        assert any("Recorded $45.99 given back" in text and "balance $0.00" in text for text in messages(app))


async def test_refusals_are_shown_in_the_dialog_and_keep_what_was_typed(
    make_app: Callable[..., Any], billing: Billing
) -> None:
    app = make_app("clerk")
    async with app.run_test(size=SIZE) as pilot:
        detail = await open_detail(pilot, billing.billed.id)
        dialog = await open_credit(pilot)
        await pilot.press("ctrl+s")  # no reason
        await until(pilot, lambda: not dialog.busy)
        assert "needs a reason" in text_of(dialog, "#field-reason .field-error")
        assert app.focused is dialog.query_one("#credit-reason")
        await pilot.press(*"Wrong fee")
        await pilot.press("shift+tab", "down", "enter")  # Chosen lines, none chosen
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "choose at least one line" in text_of(dialog, "#credit-error")
        await pilot.press("tab", "tab", *"100")  # more than the $95.00 line 1 has left
        await pilot.press("ctrl+s")
        await until(pilot, lambda: not dialog.busy and dialog.query_one("#credit-error").display)
        assert "line 1: at most $95.00 before tax is left to credit" in text_of(dialog, "#credit-error")
        assert dialog.query_one("#credit-line-1 Input").has_class("-invalid")
        assert dialog.query_one("#credit-line-1 Input", Input).value == "100"
        assert dialog.query_one("#credit-reason", Input).value == "Wrong fee"
        amount = dialog.query_one("#credit-line-1 Input", Input)
        amount.value = "9x"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "line 1: 9x is not an amount" in text_of(dialog, "#credit-error")
        assert not CreditNote.select().exists()
        # Escape with something typed asks; the safe answer keeps it all.
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is dialog and amount.value == "9x"
        await pilot.press("escape")
        await settle(pilot)
        await pilot.click("#confirm-yes")
        await settle(pilot)
        assert app.screen is detail
    assert not CreditNote.select().exists()


async def test_credit_is_offered_on_billed_or_paid_invoices_only(
    make_app: Callable[..., Any], billing: Billing
) -> None:
    app = make_app("clerk")
    async with app.run_test(size=SIZE) as pilot:
        draft = await open_detail(pilot, billing.draft.id)
        assert not draft.check_action("credit", ())
        await pilot.press("escape")
        await settle(pilot)
        billed = await open_detail(pilot, billing.billed.id)
        assert billed.check_action("credit", ())
        footer_keys = [key.key for key in app.screen.query("FooterKey")]
        assert "c" in footer_keys
        await pilot.press("escape")  # an untouched dialog closes at once
        await settle(pilot)


async def test_a_provider_without_billing_cannot_credit(
    make_app: Callable[..., Any], billing: Billing
) -> None:
    app = make_app("dr.roy")
    async with app.run_test(size=SIZE) as pilot:
        detail = await open_detail(pilot, billing.billed.id)
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, InvoiceDetailScreen) and app.screen is detail
    assert not CreditNote.select().exists()


async def test_history_shows_and_filters_the_credited_status(
    make_app: Callable[..., Any], billing: Billing
) -> None:
    from textual.widgets import Select

    from models.workflow.lifecycle import credit
    from tui.screens.history import HistoryView

    credit(billing.billed, "Wrong patient")
    app = make_app("clerk")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)
        view = app.screen.query_one(HistoryView)
        status = view.query_one("#history-status", Select)
        assert ("credited", "credited") in [(str(label), value) for label, value in status._options]
        status.value = InvoiceStatus.CREDITED.value
        await settle(pilot)
        assert list(view.rows_by_id) == [billing.billed.id]
        assert "credited" in view.draw_row(view.rows_by_id[billing.billed.id]).cells

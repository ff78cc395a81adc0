"""The invoice detail: payments (and their refusals), voiding, billing a draft, transmissions, send."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from textual import on
from textual.widgets import Input

from models.billing.invoice import Invoice, Payment
from models.core.enums import Channel, InvoiceStatus, TransmissionStatus
from models.messaging.tables import Transmission
from tui.dialogs.payment import PaymentDialog
from tui.dialogs.void import VoidDialog
from tui.screens.invoice_detail import InvoiceDetailScreen
from tui.screens.invoice_form import InvoiceFormScreen
from tui.widgets.invoice_transmissions import InvoiceTransmissions

from ..conftest import FROZEN_NOW
from .conftest import Billing, messages, open_screen, settle, until


async def open_detail(pilot, invoice_id: int, **options: object) -> InvoiceDetailScreen:  # type: ignore[no-untyped-def]
    detail = InvoiceDetailScreen(pilot.app.session, invoice_id, **options)  # type: ignore[arg-type]
    await open_screen(pilot, detail)
    return detail


def field_error(dialog: PaymentDialog, field: str) -> str:
    return str(dialog.query_one(f"#field-{field} .field-error").render())


async def test_a_payment_larger_than_the_balance_or_zero_is_refused(
    make_app: Callable[..., object], billing: Billing
) -> None:
    app = make_app("clerk")
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        await open_detail(pilot, billing.billed.id)
        await pilot.press("p")
        await pilot.pause()
        dialog = app.screen  # type: ignore[attr-defined]
        assert isinstance(dialog, PaymentDialog)
        amount = dialog.query_one("#payment-amount", Input)
        assert amount.value == "186.98"  # the balance, as the clerk (en) types amounts
        amount.value = "200"
        await pilot.press("enter")
        await pilot.pause()
        assert "more than the balance ($186.98)" in field_error(dialog, "amount")
        amount.value = "0"
        await pilot.press("enter")
        await pilot.pause()
        assert "greater than zero" in field_error(dialog, "amount")
        assert app.screen is dialog  # type: ignore[attr-defined]
        await pilot.press("escape")
        await settle(pilot)
        assert not Payment.select().exists()


async def test_paying_the_balance_in_two_payments_makes_it_paid(
    make_app: Callable[..., object], billing: Billing
) -> None:
    app = make_app("clerk")
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        detail = await open_detail(pilot, billing.billed.id)
        await pilot.press("p")
        await pilot.pause()
        dialog = app.screen  # type: ignore[attr-defined]
        dialog.query_one("#payment-amount", Input).value = "86.98"
        dialog.query_one("#payment-date", Input).value = "2026-03-13"
        dialog.query_one("#payment-reference", Input).value = "TX-1"
        await pilot.click("#payment-ok")
        await until(pilot, lambda: detail.view is not None and detail.view.balance_cents == 10000)
        first = Payment.get()
        assert (first.amount_cents, first.method, first.reference) == (8698, "cash", "TX-1")
        assert first.received_at.date().isoformat() == "2026-03-13"
        await pilot.press("p")
        await pilot.pause()
        assert app.screen.query_one("#payment-amount", Input).value == "100.00"  # type: ignore[attr-defined]
        await pilot.press("enter")
        await until(pilot, lambda: detail.view is not None and detail.view.status == InvoiceStatus.PAID)
        assert detail.view.balance_cents == 0
        assert Invoice.get(Invoice.id == billing.billed.id).status == InvoiceStatus.PAID
        assert "Payment recorded" in messages(app)
        await pilot.press("p")  # a paid invoice takes no more payments
        await pilot.pause()
        assert app.screen is detail  # type: ignore[attr-defined]


async def test_a_future_payment_date_is_refused(make_app: Callable[..., object], billing: Billing) -> None:
    app = make_app("clerk")
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        await open_detail(pilot, billing.billed.id)
        await pilot.press("p")
        await pilot.pause()
        dialog = app.screen  # type: ignore[attr-defined]
        assert dialog.query_one("#payment-date", Input).value == "2026-03-14"  # the frozen clock's day
        dialog.query_one("#payment-date", Input).value = "2026-03-15"
        await pilot.press("enter")
        await pilot.pause()
        assert "cannot be in the future" in field_error(dialog, "received_on")
        dialog.query_one("#payment-date", Input).value = "14/03"
        await pilot.press("enter")
        await pilot.pause()
        assert "14/03 is not a date" in field_error(dialog, "received_on")


async def test_voiding_asks_for_a_reason_and_a_confirmation(
    make_app: Callable[..., object], billing: Billing
) -> None:
    app = make_app("reception")
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        detail = await open_detail(pilot, billing.billed.id)
        await pilot.press("v")
        await pilot.pause()
        assert isinstance(app.screen, VoidDialog)  # type: ignore[attr-defined]
        await pilot.press("enter")  # no reason yet
        await pilot.pause()
        assert isinstance(app.screen, VoidDialog)  # type: ignore[attr-defined]
        assert "obligatoire" in str(app.screen.query_one(".field-error").render())  # type: ignore[attr-defined]
        await pilot.press(*"Erreur de patient", "enter")  # Enter moves to the decision
        await pilot.pause()
        assert isinstance(app.screen, VoidDialog)  # type: ignore[attr-defined]
        await pilot.press("escape")  # changed their mind
        await settle(pilot)
        assert Invoice.get(Invoice.id == billing.billed.id).status == InvoiceStatus.BILLED
        await pilot.press("v")
        await pilot.pause()
        await pilot.press(*"Erreur de patient")
        await pilot.click("#void-yes")
        await until(pilot, lambda: detail.view is not None and detail.view.status == InvoiceStatus.VOID)
        invoice = Invoice.get(Invoice.id == billing.billed.id)
        assert (invoice.status, invoice.void_reason) == (InvoiceStatus.VOID, "Erreur de patient")
        assert detail.view is not None and detail.view.status == InvoiceStatus.VOID
        await until(pilot, lambda: "Facture annulée" in messages(app))  # the notice follows the view


async def test_a_draft_is_edited_then_billed_from_its_detail(
    make_app: Callable[..., object], billing: Billing
) -> None:
    app = make_app("clerk")
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        detail = await open_detail(pilot, billing.draft.id)
        await pilot.press("p")  # not for a draft: nothing opens
        await pilot.press("e")
        await settle(pilot)
        form = app.screen  # type: ignore[attr-defined]
        assert isinstance(form, InvoiceFormScreen)
        await pilot.press("ctrl+n", "tab", *"Radio", "tab", "tab", *"30")  # code left empty
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is detail  # type: ignore[attr-defined]
        assert detail.view is not None and detail.view.total_cents == 12500
        await pilot.press("b")
        await settle(pilot)
        assert detail.view.status == InvoiceStatus.BILLED and detail.view.number == "CDP-2026-00002"
        assert "Invoice CDP-2026-00002 billed" in messages(app)


async def test_transmissions_refresh_while_the_detail_is_open(
    make_app: Callable[..., object], billing: Billing
) -> None:
    app = make_app("clerk")
    async with app.run_test(size=(120, 40)) as pilot:  # type: ignore[attr-defined]
        detail = await open_detail(pilot, billing.billed.id, refresh_seconds=0.05)
        table = detail.query_one(InvoiceTransmissions)
        assert table.row_count == 1
        assert [str(cell) for cell in table.get_row_at(0)][1:] == [
            "email",
            "reclamations@beaulieu.example",
            "sent",
            "250",
            "<f1@clinique.example>",
        ]
        Transmission.create(
            invoice=billing.billed,
            channel=Channel.EMAIL,
            status=TransmissionStatus.FAILED,
            reply_code="550",
            created_at=FROZEN_NOW + timedelta(minutes=1),
        )
        await until(pilot, lambda: table.row_count == 2)
        assert str(table.get_row_at(0)[3]) == "failed"


async def test_send_posts_a_request_the_app_can_take(
    make_app: Callable[..., object], billing: Billing
) -> None:
    asked: list[int] = []

    class Listening(InvoiceDetailScreen):
        @on(InvoiceDetailScreen.SendRequested)
        def heard(self, message: InvoiceDetailScreen.SendRequested) -> None:
            asked.append(message.invoice_id)

    app = make_app("clerk")
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        detail = Listening(app.session, billing.billed.id)  # type: ignore[attr-defined]
        await open_screen(pilot, detail)
        await pilot.press("s")
        await pilot.pause()
        assert asked == [billing.billed.id]


async def test_money_back_and_an_open_dispute_show_among_the_payments(
    make_app: Callable[..., object], billing: Billing
) -> None:
    from models.billing.reversals import open_dispute, reverse_payment
    from models.core.enums import ReversalKind
    from models.database.base import utcnow
    from models.workflow.lifecycle import record_payment
    from tui.widgets.plain_table import PlainTable

    paid = record_payment(billing.billed, billing.billed.balance_cents, "stripe", reference="pi_test_1")
    reverse_payment(paid, 2000, ReversalKind.REFUND, "ch_test_1:refunded:2000")
    open_dispute(paid, "dp_test_1", 5000, "fraudulent", utcnow())
    app = make_app("clerk")
    async with app.run_test(size=(120, 40)) as pilot:  # type: ignore[attr-defined]
        await open_detail(pilot, billing.billed.id)
        table = app.screen.query_one("#detail-payments", PlainTable)  # type: ignore[attr-defined]
        rows = [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]
    assert [row[1:] for row in rows] == [
        ["Stripe", "pi_test_1", "$186.98"],
        ["refund", "", "-$20.00"],
        ["disputed", "fraudulent", "($50.00)"],
    ]
    assert Invoice.get_by_id(billing.billed.id).balance_cents == 2000


async def test_a_stripe_payment_is_refunded_from_the_invoice_through_the_agent(
    make_app: Callable[..., object], billing: Billing
) -> None:
    from models.billing.reversals import RefundRequest
    from models.workflow.lifecycle import record_payment
    from tui.dialogs.refund import RefundDialog

    record_payment(billing.billed, 5000, "cash")
    app = make_app("clerk")
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        detail = await open_detail(pilot, billing.billed.id)
        assert detail.view is not None and detail.view.refundable is not None
        assert not detail.view.refundable.stripe  # a desk payment is given back by hand
        paid = record_payment(billing.billed, 6000, "stripe", reference="pi_test_9")
        await open_detail(pilot, billing.billed.id)
        await pilot.press("r")
        await settle(pilot)
        dialog = app.screen  # type: ignore[attr-defined]
        assert isinstance(dialog, RefundDialog)
        amount = dialog.query_one("#refund-amount", Input)
        assert amount.value == "60.00"  # what the Stripe payment can give back
        amount.value = "70"
        await pilot.press("enter")
        await pilot.pause()
        assert "at most $60.00" in str(dialog.query_one("#field-amount .field-error").render())
        amount.value = "20"
        dialog.query_one("#refund-reason", Input).value = "overcharged"
        await pilot.press("enter")
        await settle(pilot)
    (asked,) = RefundRequest.select()
    assert (asked.__data__["payment"], asked.amount_cents, asked.reason, asked.status) == (
        paid.id,
        2000,
        "overcharged",
        "pending",
    )

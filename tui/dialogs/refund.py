"""``RefundDialog``: give money back on a payment: the amount (what the payment can still give
back, or the credit to refund, by default) and why. Dismisses with a ``RefundEntry``, or ``None`` on
Escape. For a Stripe payment the caller queues it (``models.billing.reversals.request_refund``) and
the agent makes it through Stripe when online; for a payment recorded at the desk (``by_hand``) it
records money the clinic gave back itself (``refund_by_hand``). Both check again."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from locales import N_
from models.core.errors import ValidationError
from models.core.money import parse_amount
from tui.session import StaffSession
from tui.widgets.invoice_field import FormField
from tui.widgets.money_format import MoneyFormat


@dataclass(frozen=True)
class RefundEntry:
    amount_cents: int
    reason: str


class RefundDialog(ModalScreen[RefundEntry | None]):
    """Refund at most ``refundable_cents`` of a payment of ``invoice_label``: through Stripe, or
    ``by_hand``; ``amount_cents`` is the amount offered (by default, all it can give back)."""

    CSS_PATH = "refund.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", show=False)]

    def __init__(
        self,
        session: StaffSession,
        *,
        invoice_label: str,
        refundable_cents: int,
        currency: str,
        by_hand: bool = False,
        amount_cents: int | None = None,
    ) -> None:
        super().__init__()
        self.session = session
        self.invoice_label = invoice_label
        self.refundable_cents = refundable_cents
        self.by_hand = by_hand
        self.amount_cents = min(amount_cents or refundable_cents, refundable_cents)
        self.money = MoneyFormat(currency, session.tr.language, session.country)

    def compose(self) -> ComposeResult:
        tr, session = self.session.tr, self.session
        title = (
            N_("Refund by hand on invoice {invoice} · at most {amount}")
            if self.by_hand
            else N_("Refund through Stripe on invoice {invoice} · at most {amount}")
        )
        with Vertical(id="refund-box"):
            yield Static(
                tr.format(title, invoice=self.invoice_label, amount=self.money(self.refundable_cents)),
                id="refund-title",
                markup=False,
            )
            if self.by_hand:
                yield Static(
                    tr.gettext(
                        N_(
                            "Records money the clinic gave back itself (cash, transfer, card terminal): "
                            "nothing goes through Stripe."
                        )
                    ),
                    id="refund-note",
                )
            yield FormField(
                N_("Amount"),
                Input(
                    self.money.plain(self.amount_cents),
                    compact=True,
                    select_on_focus=True,
                    id="refund-amount",
                ),
                session,
                field="amount",
            )
            yield FormField(N_("Reason"), Input(compact=True, id="refund-reason"), session, field="reason")
            with Horizontal(id="refund-buttons"):
                yield Button(tr.gettext(N_("Refund")), id="refund-ok", variant="primary", compact=True)
                yield Button(tr.gettext(N_("Cancel")), id="refund-cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#refund-amount", Input).focus()

    def check(self) -> RefundEntry | None:
        """The entry, or ``None`` with each refused field marked and explained."""
        tr = self.session.tr
        errors: dict[str, str] = {}
        amount = 0
        try:
            amount = parse_amount(self.query_one("#refund-amount", Input).value, self.money.currency)
            if amount > self.refundable_cents:
                errors["amount"] = tr.format(
                    N_("at most {amount} can still be refunded"), amount=self.money(self.refundable_cents)
                )
        except ValidationError as exc:
            errors["amount"] = exc.render(tr)
        reason = self.query_one("#refund-reason", Input).value.strip()
        if len(reason) > 200:
            errors["reason"] = tr.format(N_("at most {max} characters"), max=200)
        for field in self.query(FormField):
            field.show_error(errors.get(field.field))
        return None if errors else RefundEntry(amount, reason)

    @on(Input.Submitted)
    @on(Button.Pressed, "#refund-ok")
    def submit(self) -> None:
        entry = self.check()
        if entry is not None:
            self.dismiss(entry)

    @on(Button.Pressed, "#refund-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

"""``PaymentDialog``: amount (the balance by default), method, reference and date of a payment.

Dismisses with a ``PaymentEntry`` once every field reads right, or ``None`` on Escape.
The caller records it (``models.views.invoice_editing.pay``), which checks again inside its transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Select, Static

from locales import N_
from models.core.enums import PaymentMethod
from models.core.errors import ValidationError
from models.core.labels import PAYMENT_METHOD
from models.core.money import parse_amount
from tui.session import StaffSession
from tui.widgets.invoice_field import FormField
from tui.widgets.money_format import MoneyFormat


@dataclass(frozen=True)
class PaymentEntry:
    amount_cents: int
    method: PaymentMethod
    reference: str
    received_on: date


class PaymentDialog(ModalScreen[PaymentEntry | None]):
    """Record a payment on ``invoice_label`` (its number), at most ``balance_cents``; ``title`` says
    what it pays when that is not one invoice (a statement of account)."""

    CSS_PATH = "payment.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", show=False)]

    def __init__(
        self,
        session: StaffSession,
        *,
        invoice_label: str,
        balance_cents: int,
        currency: str,
        today: date,
        title: str | None = None,
    ) -> None:
        super().__init__()
        self.session = session
        self.invoice_label = invoice_label
        self.heading = title
        self.balance_cents = balance_cents
        self.today = today
        self.money = MoneyFormat(currency, session.tr.language, session.country)

    def compose(self) -> ComposeResult:
        tr, session = self.session.tr, self.session
        methods = [(tr.gettext(PAYMENT_METHOD[m]), m) for m in PaymentMethod if m != PaymentMethod.STRIPE]
        with Vertical(id="payment-box"):
            yield Static(
                self.heading
                or tr.format(
                    N_("Payment on invoice {invoice} · balance {balance}"),
                    invoice=self.invoice_label,
                    balance=self.money(self.balance_cents),
                ),
                id="payment-title",
            )
            yield FormField(
                N_("Amount"),
                Input(self.money.plain(self.balance_cents), compact=True, id="payment-amount"),
                session,
                field="amount",
            )
            yield FormField(
                N_("Method"),
                Select(methods, allow_blank=False, compact=True, id="payment-method"),
                session,
                field="method",
            )
            yield FormField(
                N_("Reference"), Input(compact=True, id="payment-reference"), session, field="reference"
            )
            yield FormField(
                N_("Date"),
                Input(
                    self.today.isoformat(),
                    compact=True,
                    placeholder=tr.gettext(N_("YYYY-MM-DD")),
                    id="payment-date",
                ),
                session,
                field="received_on",
            )
            with Horizontal(id="payment-buttons"):
                yield Button(
                    tr.gettext(N_("Record the payment")), id="payment-ok", variant="primary", compact=True
                )
                yield Button(tr.gettext(N_("Cancel")), id="payment-cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#payment-amount", Input).focus()

    def check(self) -> PaymentEntry | None:
        """The entry, or ``None`` with each refused field marked and explained."""
        tr = self.session.tr
        errors: dict[str, str] = {}
        amount = 0
        try:
            amount = parse_amount(self.query_one("#payment-amount", Input).value, self.money.currency)
            if amount > self.balance_cents:
                errors["amount"] = tr.format(
                    N_("the payment is more than the balance ({balance})"),
                    balance=self.money(self.balance_cents),
                )
        except ValidationError as exc:
            errors["amount"] = exc.render(tr)
        received_on = self.today
        text = self.query_one("#payment-date", Input).value.strip()
        try:
            received_on = date.fromisoformat(text)
            if received_on > self.today:
                errors["received_on"] = tr.gettext(N_("the payment date cannot be in the future"))
        except ValueError:
            errors["received_on"] = tr.format(N_("{value} is not a date; type it as YYYY-MM-DD"), value=text)
        reference = self.query_one("#payment-reference", Input).value.strip()
        if len(reference) > 200:
            errors["reference"] = tr.format(N_("at most {max} characters"), max=200)
        for field in self.query(FormField):
            field.show_error(errors.get(field.field))
        if errors:
            return None
        method = self.query_one("#payment-method", Select).value
        return PaymentEntry(amount, PaymentMethod(str(method)), reference, received_on)

    @on(Input.Submitted)
    @on(Button.Pressed, "#payment-ok")
    def submit(self) -> None:
        entry = self.check()
        if entry is not None:
            self.dismiss(entry)

    @on(Button.Pressed, "#payment-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

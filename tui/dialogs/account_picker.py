"""``AccountPicker``: which of a patient's accounts (billing company and currency) a statement is of;
dismisses with the chosen ``AccountChoice``, or ``None`` on Escape."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from locales import N_
from models.views.statement_view import AccountChoice
from tui.session import StaffSession
from tui.widgets.money_format import MoneyFormat


class AccountPicker(ModalScreen[AccountChoice | None]):
    """↑/↓ and Enter pick an account; Escape picks none."""

    CSS_PATH = "account_picker.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss(None)", show=False)]

    def __init__(self, session: StaffSession, patient_name: str, choices: list[AccountChoice]) -> None:
        super().__init__()
        self.session = session
        self.patient_name = patient_name
        self.choices = choices

    def compose(self) -> ComposeResult:
        tr, country = self.session.tr, self.session.country

        def line(choice: AccountChoice) -> str:
            money = MoneyFormat(choice.account.currency, tr.language, country)
            return f"{choice.company_name} · {choice.account.currency} · {money(choice.balance_cents)}"

        with Vertical(id="account-picker"):
            yield Label(
                tr.format(N_("Statement of account for {name}: which account?"), name=self.patient_name),
                id="account-picker-title",
                markup=False,
            )
            yield OptionList(
                *(Option(line(choice), id=str(index)) for index, choice in enumerate(self.choices)),
                id="account-options",
                markup=False,
            )
            yield Label(tr.gettext(N_("Enter makes its statement; Escape goes back.")), classes="hint")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.choices[int(event.option.id or 0)])

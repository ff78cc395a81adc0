"""``CreditNoteDialog``: a credit note on a billed or paid invoice, for the whole invoice (the
default) or chosen lines, each an amount before tax (what it has left, by default), and why.

The total the note will credit, tax included, follows what is typed (each line's tax as the model
computes it: ``credit_notes.credited_tax``). Ctrl+S or Enter issues it in a worker through
``models.workflow.lifecycle.credit``, which checks everything again; a refusal is shown here and
keeps what was typed. Dismisses with a ``CreditIssued``, or ``None``: Escape asks first when
something was typed or chosen.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, RadioButton, RadioSet, Static

from locales import N_, Translator
from models.billing.credit_notes import REASON_MAX, LineCredit, credited_tax
from models.core.errors import ValidationError
from models.core.money import parse_amount
from models.views.invoice_view import CreditLineView, InvoiceView
from tui.dialogs.confirm import ConfirmDialog
from tui.session import StaffSession
from tui.widgets.invoice_field import FormField
from tui.widgets.money_format import MoneyFormat
from tui.workers import error_text, run_db


@dataclass(frozen=True)
class CreditIssued:
    """The note just issued, and the invoice's balance after it (below zero: a credit to refund)."""

    number: str
    balance_cents: int
    currency: str


class CreditLineRow(Horizontal):
    """One invoice line: chosen or not, and the amount before tax to credit (what it has left, by
    default, selected when the field is reached so typing replaces it)."""

    def __init__(self, line: CreditLineView, money: MoneyFormat, tr: Translator) -> None:
        super().__init__(id=f"credit-line-{line.position}", classes="credit-line")
        self.line = line
        self.prefill = money.plain(line.left_cents)
        label = " ".join(part for part in (line.code, line.description) if part)
        left = tr.format(N_("{amount} left"), amount=money(line.left_cents))
        self.label = f"{label} · {left}"

    def compose(self) -> ComposeResult:
        yield Checkbox(Text(self.label), compact=True, classes="credit-pick")
        yield Input(self.prefill, compact=True, select_on_focus=True, classes="credit-amount")

    @property
    def chosen(self) -> bool:
        return self.query_one(Checkbox).value

    @property
    def amount_text(self) -> str:
        return self.query_one(Input).value

    @on(Input.Changed)
    def amount_typed(self, event: Input.Changed) -> None:
        """An amount typed on a line chooses it."""
        if event.value != self.prefill:
            self.query_one(Checkbox).value = True


class CreditNoteDialog(ModalScreen[CreditIssued | None]):
    """Credit the invoice of ``view``; ``clock`` dates the note (the app's clock)."""

    CSS_PATH = "credit_note.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "issue", show=False),
        Binding("escape", "leave", show=False),
    ]

    def __init__(self, session: StaffSession, view: InvoiceView, *, clock: Callable[[], datetime]) -> None:
        super().__init__()
        self.session = session
        self.view = view
        self.clock = clock
        self.money = MoneyFormat(view.currency, session.tr.language, session.country)
        self.busy = False
        self.untouched: tuple[object, ...] = ()

    def compose(self) -> ComposeResult:
        tr, session, view = self.session.tr, self.session, self.view
        with Vertical(id="credit-box"):
            yield Static(
                tr.format(
                    N_("Credit note on invoice {invoice} · {amount} left to credit"),
                    invoice=view.number or f"#{view.id}",
                    amount=self.money(view.creditable_cents),
                ),
                id="credit-title",
                markup=False,
            )
            with VerticalScroll(id="credit-body"):
                yield FormField(
                    N_("Credit"),
                    RadioSet(
                        RadioButton(tr.gettext(N_("The whole invoice")), True, id="credit-whole"),
                        RadioButton(tr.gettext(N_("Chosen lines")), id="credit-chosen"),
                        compact=True,
                        id="credit-mode",
                    ),
                    session,
                    field="mode",
                )
                with Vertical(id="credit-lines"):
                    for line in view.credit_lines:
                        yield CreditLineRow(line, self.money, tr)
                yield FormField(
                    N_("Reason"),
                    Input(compact=True, max_length=REASON_MAX, id="credit-reason"),
                    session,
                    field="reason",
                )
            yield Static("", id="credit-total", markup=False)
            yield Static("", id="credit-error", markup=False)
            with Horizontal(id="credit-buttons"):
                yield Button(
                    tr.gettext(N_("Issue (Ctrl+S)")), id="credit-ok", variant="primary", compact=True
                )
                yield Button(tr.gettext(N_("Cancel (Esc)")), id="credit-cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#credit-lines").display = False
        self.query_one("#credit-error").display = False
        self.query_one("#credit-mode", RadioSet).focus()
        self.show_total()
        self.call_after_refresh(self._remember_untouched)

    def _remember_untouched(self) -> None:
        self.untouched = self._typed()

    def _typed(self) -> tuple[object, ...]:
        """What was typed or chosen, to tell whether leaving would lose something."""
        rows = tuple((row.chosen, row.amount_text) for row in self.query(CreditLineRow))
        return (self.whole, self.query_one("#credit-reason", Input).value, rows)

    @property
    def whole(self) -> bool:
        return self.query_one("#credit-whole", RadioButton).value

    # What the note credits --------------------------------------------------------------

    def read(self) -> tuple[list[LineCredit] | None, int, dict[int, str]]:
        """The lines to credit (None: the whole invoice), what they credit, tax included, and a
        refusal for each line whose amount does not read as one."""
        if self.whole:
            return None, sum(line.left_cents + line.left_tax_cents for line in self.view.credit_lines), {}
        tr = self.session.tr
        credits: list[LineCredit] = []
        total = 0
        refused: dict[int, str] = {}
        for row in self.query(CreditLineRow):
            if not row.chosen:
                continue
            line = row.line
            try:
                amount = parse_amount(row.amount_text, self.money.currency, "lines")
            except ValidationError as exc:
                refused[line.position] = tr.format(
                    N_("line {position}: {reason}"), position=line.position, reason=exc.render(tr)
                )
                continue
            credits.append(LineCredit(line.position, amount))
            tax = credited_tax(
                amount, line.left_cents, line.left_tax_cents, line.subtotal_cents, line.tax_cents
            )
            total += amount + tax
        return credits, total, refused

    def show_total(self) -> None:
        _, total, _ = self.read()
        self.query_one("#credit-total", Static).update(
            self.session.tr.format(
                N_("This note credits {amount}, taxes included."), amount=self.money(total)
            )
        )

    @on(RadioSet.Changed, "#credit-mode")
    def mode_changed(self) -> None:
        self.query_one("#credit-lines").display = not self.whole
        self.show_total()

    @on(Checkbox.Changed)
    @on(Input.Changed, ".credit-amount")
    def amounts_changed(self) -> None:
        self.show_total()

    # Issuing ----------------------------------------------------------------------------

    def say(self, text: str | None) -> None:
        """Show why the note was refused (``None`` clears it)."""
        error = self.query_one("#credit-error", Static)
        error.update(text or "")
        error.display = bool(text)

    def mark_lines(self, positions: set[int]) -> None:
        for row in self.query(CreditLineRow):
            row.query_one(Input).set_class(row.line.position in positions, "-invalid")

    @on(Input.Submitted)
    @on(Button.Pressed, "#credit-ok")
    def action_issue(self) -> None:
        if self.busy:
            return
        tr = self.session.tr
        self.query_one("#field-reason", FormField).show_error(None)
        lines, _, refused = self.read()
        self.mark_lines(set(refused))
        if refused:
            self.say(next(iter(refused.values())))
            return
        if lines == []:
            self.say(tr.gettext(N_("choose at least one line to credit")))
            return
        self.say(None)
        self.busy = True
        self.query_one("#credit-ok", Button).disabled = True
        self.issue(self.query_one("#credit-reason", Input).value, lines)

    @work(thread=True, exclusive=True, group="credit-note-issue")
    def issue(self, reason: str, lines: list[LineCredit] | None) -> None:
        from models.billing.invoice import Invoice
        from models.workflow.lifecycle import credit

        invoice_id, staff, now = self.view.id, self.session.staff, self.clock()

        def write() -> CreditIssued:
            note = credit(Invoice.get_by_id(invoice_id), reason, lines, staff=staff, now=now)
            invoice = Invoice.get_by_id(invoice_id)
            return CreditIssued(note.number, invoice.balance_cents, invoice.currency)

        run_db(self, write, self.dismiss, tr=self.session.tr, failed=self._refused)

    def _refused(self, exc: BaseException) -> None:
        """The refusal, where it belongs: under the reason, or on the line it names; all typed stays."""
        self.busy = False
        self.query_one("#credit-ok", Button).disabled = False
        text = error_text(exc, self.session.tr)
        if isinstance(exc, ValidationError) and exc.field == "reason":
            self.query_one("#field-reason", FormField).show_error(text)
            self.query_one("#credit-reason", Input).focus()
            return
        position = getattr(exc, "params", {}).get("position")
        self.mark_lines({position} if isinstance(position, int) else set())
        self.say(text)

    # Leaving ----------------------------------------------------------------------------

    @on(Button.Pressed, "#credit-cancel")
    def action_leave(self) -> None:
        if self.busy:
            return  # the note is on its way: its outcome is shown here
        if self._typed() == self.untouched:
            self.dismiss(None)
            return
        tr = self.session.tr
        question = ConfirmDialog(
            tr.gettext(N_("Leave without issuing the credit note? What you typed will be lost.")),
            tr.gettext(N_("Leave without issuing")),
            tr.gettext(N_("Keep editing")),
        )
        self.app.push_screen(question, self._leave_answered)

    def _leave_answered(self, leave: bool | None) -> None:
        if leave:
            self.dismiss(None)

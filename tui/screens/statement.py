"""``StatementScreen``: a patient's statement of account, made as it opens; sent, printed and paid here.

Given an account (``models.billing.statements.Account``) the screen makes its statement first (a
snapshot: its rows never change); given a statement's id it shows that one. What its invoices still
owe now follows the payments recorded since. Billing staff act on it: Send opens
``SendStatementScreen``, Print prints its PDF through ``[print] command`` (kept in ``[print] folder``
when it cannot), Record payment takes one amount that pays its invoices oldest first.
"""

from __future__ import annotations

from typing import ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.markup import escape
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from locales import N_
from locales.formatting import format_date
from models.billing.invoicing import clinic_today
from models.billing.statements import Account
from models.core.enums import Role
from models.database.base import utcnow
from models.views.statement_view import (
    StatementPaid,
    StatementView,
    make_statement_view,
    pay_statement_of,
    statement_view,
)
from tui.dialogs.payment import PaymentDialog, PaymentEntry
from tui.messages import DataChanged
from tui.screens.send_statement import SendStatementScreen, StatementQueued
from tui.session import RoleDenied, StaffSession
from tui.texts import translate_bindings
from tui.widgets.key_footer import KeyFooter
from tui.widgets.money_format import MoneyFormat
from tui.widgets.plain_table import PlainTable
from tui.workers import DB_ERRORS, database_thread, error_text, run_db

# Column msgid, right-aligned; the table draws no padding of its own, each column after the first
# starts with one blank cell, so the eight columns fit 80 columns with amounts up to 999,99 $.
COLUMNS: tuple[tuple[str, bool], ...] = (
    (N_("Invoice"), False),
    (N_("Date"), True),
    (N_("Due"), True),
    (N_("Total"), True),
    (N_("Credited"), True),
    (N_("Paid"), True),
    (N_("Balance"), True),
    (N_("Late"), True),
)


class StatementScreen(Screen[None]):
    """One statement of account: its invoices as they stood, its balance and what is owed now."""

    CSS_PATH = "statement.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "send", N_("Send")),
        Binding("i", "print", N_("Print")),
        Binding("p", "payment", N_("Record payment")),
        Binding("escape", "leave", N_("Back")),
    ]

    def __init__(
        self, session: StaffSession, *, account: Account | None = None, statement_id: int | None = None
    ) -> None:
        super().__init__()
        self.session = session
        self.account = account
        self.statement_id = statement_id
        self.view: StatementView | None = None
        self.busy = False  # a payment or a print is under way

    def compose(self) -> ComposeResult:
        yield Header(icon="✉")
        with VerticalScroll(id="statement"):
            yield Static("", id="statement-title")
            yield Static("", id="statement-summary", markup=False)
            yield PlainTable(id="statement-invoices", cursor_type="none", zebra_stripes=True, cell_padding=0)
            yield Static("", id="statement-totals", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#statement-invoices", DataTable).can_focus = False  # arrows scroll the screen
        self.query_one("#statement").loading = True
        self.apply_texts()
        self.load()

    def apply_texts(self) -> None:
        translate_bindings(self, self.session.tr)
        if self.view is not None:
            self.show(self.view)

    # Reading ----------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="statement-load")
    def load(self) -> None:
        account, statement_id, tr = self.account, self.statement_id, self.session.tr
        clock = getattr(self.app, "clock", utcnow)

        def read() -> StatementView:
            if statement_id is not None:
                return statement_view(statement_id)
            assert account is not None
            return make_statement_view(account, staff=self.session.staff, now=clock())

        run_db(self, read, self._loaded, tr=tr, failed=lambda exc: self._refused(error_text(exc, tr)))

    def _loaded(self, view: StatementView) -> None:
        if self.statement_id is None:
            self.statement_id = view.id
            self.post_message(DataChanged("statement"))
        self.query_one("#statement").loading = False
        self.show(view)

    def _refused(self, text: str) -> None:
        self.notify(text, severity="error", timeout=8)
        self.dismiss(None)

    def show(self, view: StatementView) -> None:
        self.view = view
        tr, country = self.session.tr, self.session.country
        money = MoneyFormat(view.currency, tr.language, country)
        title = tr.format(N_("Statement of account {reference}"), reference=view.reference)
        self.query_one("#statement-title", Static).update(f"[b]{escape(title)}[/b]")
        day = format_date(view.issue_date, tr.language, country, "long")
        self.query_one("#statement-summary", Static).update(
            f"{view.patient_name} · {view.company_name} · {day}"
        )
        self._show_rows(view, money)
        lines = [
            tr.format(N_("Balance of the statement: {amount}"), amount=money(view.balance_cents)),
            tr.format(N_("Owed now: {amount}"), amount=money(view.due_now_cents)),
        ]
        if view.balance_cents < 0:
            lines.append(
                tr.format(
                    N_("The clinic owes {amount} back to the patient."), amount=money(-view.balance_cents)
                )
            )
        self.query_one("#statement-totals", Static).update("\n".join(lines))
        self.refresh_bindings()

    def _show_rows(self, view: StatementView, money: MoneyFormat) -> None:
        tr, country = self.session.tr, self.session.country

        def day(value: object) -> str:
            return format_date(value, tr.language, country, "short") if value else ""  # type: ignore[arg-type]

        def amount(cents: int) -> str:
            return money(cents) if cents else ""

        rows = [
            (
                row.number,
                day(row.issue_date),
                day(row.due_date),
                money(row.total_cents),
                amount(-row.credited_cents),
                amount(-row.paid_cents),
                money(row.balance_cents),
                tr.format(N_("{days} d"), days=row.days_overdue) if row.days_overdue else "",
            )
            for row in view.rows
        ]
        labels = [tr.gettext(title) for title, _right in COLUMNS]
        table = self.query_one("#statement-invoices", DataTable)
        table.clear(columns=True)
        for index, (label, (_title, right)) in enumerate(zip(labels, COLUMNS, strict=True)):
            gap = 1 if index else 0
            width = max([cell_len(label), *(cell_len(cells[index]) for cells in rows)]) + gap
            table.add_column(Text(label, justify="right" if right else "left"), width=width, key=str(index))
        for cells in rows:
            table.add_row(
                *(
                    Text(cell, justify="right" if right else "left")
                    for cell, (_title, right) in zip(cells, COLUMNS, strict=True)
                )
            )

    # Actions ----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("send", "print"):
            return self.view is not None
        if action == "payment":
            return self.view is not None and self.view.due_now_cents > 0
        return True

    def _allowed(self) -> bool:
        """True when the person may act on statements; otherwise they are told why."""
        if self.view is None or self.busy:
            return False
        try:
            self.session.require(Role.BILLING)
        except RoleDenied as exc:
            self.notify(exc.render(self.session.tr), severity="warning")
            return False
        return True

    def action_send(self) -> None:
        if not self._allowed() or self.view is None:
            return
        self.app.push_screen(SendStatementScreen(self.session, self.view.id), self._sent)

    def _sent(self, queued: StatementQueued | None) -> None:
        if queued is None:
            return
        tr = self.session.tr
        self.notify(
            tr.format(
                N_(
                    "Statement {reference} is queued for {email}; the agent sends it as soon as it is online."
                ),
                reference=queued.reference,
                email=queued.email,
            ),
            title=tr.gettext(N_("Queued")),
        )
        self.post_message(DataChanged("outbox"))

    def action_print(self) -> None:
        if not self._allowed() or self.view is None:
            return
        self.busy = True
        self.print_statement(self.view.id, self.view.reference)

    @work(thread=True, exclusive=True, group="statement-print")
    def print_statement(self, statement_id: int, reference: str) -> None:
        from agent.pdf.statement import render_statement_pdf
        from models.billing.statements import Statement
        from tui.printing import print_pdf

        config, tr = self.session.config, self.session.tr
        try:
            with database_thread():
                pdf = render_statement_pdf(Statement.get_by_id(statement_id), pay_base=config.portal.url)
            outcome = print_pdf(
                pdf,
                command=config.print.command,
                folder=config.resolve(config.print.folder),
                name=f"statement-{reference}.pdf",
            )
        except OSError as exc:
            self.app.call_from_thread(self._not_printed, exc.strerror or str(exc))
            return
        except DB_ERRORS as exc:
            self.app.call_from_thread(self._not_printed, error_text(exc, tr))
            return
        if outcome.printed:
            self.app.call_from_thread(
                self._done, tr.format(N_("Statement {reference} went to the printer."), reference=reference)
            )
        else:
            text = tr.format(
                N_("Printing is not available ({reason}); the statement is saved in {path}"),
                reason=outcome.reason,
                path=str(outcome.path),
            )
            self.app.call_from_thread(self._done, text, "warning")

    def _not_printed(self, reason: str) -> None:
        tr = self.session.tr
        self._done(tr.format(N_("The statement could not be printed: {reason}"), reason=reason), "error")

    def _done(self, text: str, severity: str = "information") -> None:
        self.busy = False
        self.notify(text, severity=severity, timeout=12)  # type: ignore[arg-type]

    def action_payment(self) -> None:
        if not self._allowed() or self.view is None:
            return
        view, tr = self.view, self.session.tr
        money = MoneyFormat(view.currency, tr.language, self.session.country)
        clock = getattr(self.app, "clock", utcnow)
        dialog = PaymentDialog(
            self.session,
            invoice_label=view.reference,
            balance_cents=view.due_now_cents,
            currency=view.currency,
            today=clinic_today(self.session.clinic, clock()),
            title=tr.format(
                N_("Payment for statement {reference} · owed now {amount}"),
                reference=view.reference,
                amount=money(view.due_now_cents),
            ),
        )
        self.app.push_screen(dialog, self._payment_entered)

    def _payment_entered(self, entry: PaymentEntry | None) -> None:
        if entry is not None and self.view is not None:
            self.busy = True
            self.record(self.view.id, entry)

    @work(thread=True, exclusive=True, group="statement-pay")
    def record(self, statement_id: int, entry: PaymentEntry) -> None:
        clock = getattr(self.app, "clock", utcnow)
        tr = self.session.tr

        def pay() -> tuple[StatementPaid, StatementView]:
            paid = pay_statement_of(
                statement_id,
                entry.amount_cents,
                entry.method,
                reference=entry.reference,
                received_on=entry.received_on,
                recorded_by=self.session.staff,
                now=clock(),
            )
            return paid, statement_view(statement_id)

        run_db(
            self,
            pay,
            lambda done: self._paid(entry.amount_cents, *done),
            tr=tr,
            failed=lambda exc: self._done(error_text(exc, tr), "error"),
        )

    def _paid(self, amount_cents: int, paid: StatementPaid, view: StatementView) -> None:
        tr = self.session.tr
        money = MoneyFormat(view.currency, tr.language, self.session.country)
        self.busy = False
        self.show(view)
        self.notify(
            tr.nformat(
                "{amount} recorded for statement {reference}, on {count} invoice: {invoices}. "
                "Still owed: {due}.",
                "{amount} recorded for statement {reference}, on {count} invoices: {invoices}. "
                "Still owed: {due}.",
                len(paid.parts),
                amount=money(amount_cents),
                reference=view.reference,
                count=len(paid.parts),
                invoices=", ".join(f"{number} ({money(cents)})" for number, cents in paid.parts),
                due=money(paid.due_now_cents),
            ),
            title=tr.gettext(N_("Payment recorded")),
            timeout=12,
        )
        self.post_message(DataChanged("invoice"))

    def action_leave(self) -> None:
        self.dismiss(None)

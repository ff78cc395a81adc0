"""``InvoiceDetailScreen``: one invoice, its lines, payments, balance and transmissions; its actions.

Actions follow the status (a draft is edited or billed; a billed invoice takes payments,
is voided or sent; a billed or paid one is corrected by a credit note, and a payment gives money
back, through Stripe or by hand) and the roles (billing staff act on every invoice, a provider without
billing on nothing here: they are told why). Sending is an extension point: the screen posts
``SendRequested`` (``request_send`` may be overridden) and the app opens its send dialog.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, VerticalScroll
from textual.markup import escape
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Header, Label, Static

from locales import N_
from locales.formatting import format_date, format_datetime
from models.billing.invoicing import clinic_today
from models.core.enums import InvoiceStatus, LinkAction, Role
from models.core.labels import INVOICE_STATUS, MONEY_BACK, PAYMENT_METHOD
from models.database.base import utcnow
from models.views.invoice_editing import bill_draft, pay, void_invoice
from models.views.invoice_view import (
    InvoiceView,
    LineView,
    Refundable,
    TransmissionView,
    invoice_view,
    transmissions_of,
)
from tui.dialogs.credit_note import CreditIssued, CreditNoteDialog
from tui.dialogs.payment import PaymentDialog, PaymentEntry
from tui.dialogs.refund import RefundDialog, RefundEntry
from tui.dialogs.void import VoidDialog
from tui.messages import DataChanged
from tui.session import RoleDenied, StaffSession
from tui.texts import translate_bindings
from tui.widgets.invoice_payment_link import PaymentLinkPanel
from tui.widgets.invoice_totals import InvoiceTotals
from tui.widgets.invoice_transmissions import InvoiceTransmissions
from tui.widgets.key_footer import KeyFooter
from tui.widgets.link_state import LinkStateLine
from tui.widgets.money_format import MoneyFormat
from tui.widgets.plain_table import PlainTable
from tui.widgets.tax_label import tax_label
from tui.workers import DB_ERRORS, database_thread, error_text, run_db

# Which action each status allows; the footer hides the others.
STATUS_ACTIONS: dict[str, frozenset[str]] = {
    InvoiceStatus.DRAFT: frozenset({"edit", "bill"}),
    InvoiceStatus.BILLED: frozenset({"payment", "void", "send", "new_link", "remove_link"}),
    InvoiceStatus.PAID: frozenset({"send"}),
    InvoiceStatus.VOID: frozenset(),
    InvoiceStatus.CREDITED: frozenset(),
}
CREDIT_NOTE_COLUMNS = (N_("Number"), N_("Date"), N_("Reason"), N_("Amount"))
REASON_SHOWN = 36  # a credit note's reason past this is cut: the amount stays in sight at 80 columns
LINE_COLUMNS = (N_("Code"), N_("Description"), N_("Qty"), N_("Unit price"), N_("Taxes"), N_("Total"))
PAYMENT_COLUMNS = (N_("Date"), N_("Method"), N_("Reference"), N_("Amount"))


class InvoiceDetailScreen(Screen[None]):
    """Everything about one invoice; transmissions refresh every ``refresh_seconds``."""

    CSS_PATH = str(Path(__file__).with_name("invoice_detail.tcss"))  # absolute: subclasses elsewhere find it
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("p", "payment", N_("Record payment")),
        Binding("v", "void", N_("Void")),
        Binding("e", "edit", N_("Edit draft")),
        Binding("b", "bill", N_("Bill")),
        Binding("s", "send", N_("Send by email")),
        Binding("l", "new_link", N_("New link")),
        Binding("x", "remove_link", N_("Remove link")),
        Binding("r", "refund", N_("Refund")),
        Binding("c", "credit", N_("Credit note")),
        Binding("escape", "leave", N_("Back")),
    ]

    class SendRequested(Message):
        """Staff asked to email this invoice; the app's send dialog takes it from here."""

        def __init__(self, invoice_id: int) -> None:
            super().__init__()
            self.invoice_id = invoice_id

    def __init__(self, session: StaffSession, invoice_id: int, *, refresh_seconds: float = 5.0) -> None:
        super().__init__()
        self.session = session
        self.invoice_id = invoice_id
        self.refresh_seconds = refresh_seconds
        self.view: InvoiceView | None = None
        self.busy = False
        self.writes = 0  # writes started, so a read that began before one is not shown after it

    def compose(self) -> ComposeResult:
        yield Header(icon="✉")
        with VerticalScroll(id="invoice-detail"):
            yield Static("", id="detail-title")
            yield Static("", id="detail-note", markup=False)
            yield Grid(id="detail-header")
            yield Label("", id="lines-title", classes="section")
            yield PlainTable(id="detail-lines", cursor_type="none", zebra_stripes=True)
            yield InvoiceTotals(id="detail-totals")
            yield Label("", id="credit-notes-title", classes="section")
            yield PlainTable(id="detail-credit-notes", cursor_type="none")
            yield Label("", id="payments-title", classes="section")
            yield PlainTable(id="detail-payments", cursor_type="none")
            yield Static("", id="no-payments", classes="empty")
            yield Label("", id="link-title", classes="section")
            yield PaymentLinkPanel(self.session, self.invoice_id)
            yield Label("", id="transmissions-title", classes="section")
            yield LinkStateLine(
                self.session,
                self.invoice_id,
                refresh_seconds=self.refresh_seconds,
                clock=getattr(self.app, "clock", utcnow),
                id="detail-link",
            )
            yield InvoiceTransmissions(self.session, id="detail-transmissions")
            yield Static("", id="no-transmissions", classes="empty")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#invoice-detail").loading = True
        for table in self.query("#detail-lines, #detail-payments, #detail-credit-notes"):
            table.can_focus = False  # read-only: arrows and PgDn scroll the whole detail instead
        self.apply_texts()
        self.reload()
        self.set_interval(self.refresh_seconds, self.reload_transmissions)

    def on_screen_resume(self) -> None:
        if self.view is not None:
            self.reload()  # back from editing the draft, or from the send dialog

    def apply_texts(self) -> None:
        tr = self.session.tr
        translate_bindings(self, tr)
        self.query_one("#lines-title", Label).update(tr.gettext(N_("Lines")))
        self.query_one("#payments-title", Label).update(tr.gettext(N_("Payments")))
        self.query_one("#credit-notes-title", Label).update(tr.gettext(N_("Credit notes")))
        self.query_one("#link-title", Label).update(tr.gettext(N_("Payment link")))
        self.query_one("#transmissions-title", Label).update(tr.gettext(N_("Transmissions")))
        self.query_one("#no-payments", Static).update(tr.gettext(N_("No payment yet")))
        self.query_one("#no-transmissions", Static).update(tr.gettext(N_("Nothing sent yet")))
        for table_id, columns in (
            ("#detail-lines", LINE_COLUMNS),
            ("#detail-payments", PAYMENT_COLUMNS),
            ("#detail-credit-notes", CREDIT_NOTE_COLUMNS),
        ):
            table = self.query_one(table_id, DataTable)
            table.clear(columns=True)
            table.add_columns(*(tr.gettext(title) for title in columns))
        if self.view is not None:
            self.show(self.view)

    # Reading ----------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="invoice-detail-load")
    def reload(self) -> None:
        writes, tr = self.writes, self.session.tr
        run_db(
            self,
            lambda: invoice_view(self.invoice_id),
            lambda view: self._reloaded(view, writes),
            tr=tr,
            failed=lambda exc: self._load_failed(error_text(exc, tr)),
        )

    def _reloaded(self, view: InvoiceView, writes: int) -> None:
        # A write started since this read began shows its own, fresher, view when done.
        if writes == self.writes and not self.busy:
            self.show(view)

    @work(thread=True, exclusive=True, group="invoice-detail-transmissions")
    def reload_transmissions(self) -> None:
        if self.view is None:
            return
        try:
            with database_thread():
                rows = transmissions_of(self.invoice_id)
        except DB_ERRORS:
            return  # the next refresh tries again; the rows shown stay
        self.app.call_from_thread(self._show_transmissions, rows)

    def _load_failed(self, text: str) -> None:
        self.query_one("#invoice-detail").loading = False
        self.notify(text, severity="error")
        self.query_one("#detail-title", Static).update(text)

    def show(self, view: InvoiceView) -> None:
        """Draw ``view``; the footer's actions follow its status."""
        self.view = view
        tr, session = self.session.tr, self.session
        money = MoneyFormat(view.currency, tr.language, session.country)
        scroller = self.query_one("#invoice-detail")
        scroller.loading = False
        if self.focused is None:
            scroller.focus()
        if view.number:
            title = tr.format(N_("Invoice {number}"), number=view.number)
        else:
            title = tr.format(N_("Draft #{id}"), id=view.id)
        status = tr.gettext(INVOICE_STATUS[view.status])
        self.query_one("#detail-title", Static).update(f"[b]{escape(title)}[/b] · {escape(status)}")
        note = self._read_only_reason()
        self.query_one("#detail-note", Static).update(note or "")
        self.query_one("#detail-note").display = bool(note)
        self._show_header(view)
        lines = self.query_one("#detail-lines", DataTable)
        lines.clear()
        for line in view.lines:
            lines.add_row(
                line.code,
                line.description,
                money.decimal(line.quantity),
                money(line.unit_price_cents),
                self._line_taxes(line, money),
                money(line.total_cents),
            )
        taxes = [(tax_label(tax, tr, money), money(tax.tax_cents)) for tax in view.taxes]
        rows = [
            (tr.gettext(N_("Subtotal")), money(view.subtotal_cents)),
            *(taxes or [(tr.gettext(N_("Taxes")), money(view.tax_cents))]),
            (tr.gettext(N_("Total")), money(view.total_cents)),
            (tr.gettext(N_("Paid")), money(view.paid_cents)),
            (tr.gettext(N_("Balance")), money(view.balance_cents)),
        ]
        self._show_credits(view, rows, money)
        self.query_one(InvoiceTotals).show(rows)
        payments = self.query_one("#detail-payments", DataTable)
        payments.clear()
        for payment in view.payments:
            label = PAYMENT_METHOD.get(payment.method) or MONEY_BACK[payment.method]
            amount = money(payment.amount_cents)
            payments.add_row(
                format_datetime(payment.received_at, session.timezone, tr.language, session.country, "short"),
                tr.gettext(label),
                payment.reference or "",
                f"({amount})" if payment.method == "dispute_open" else amount,  # not counted: it may be won
            )
        payments.display = bool(view.payments)
        self.query_one("#no-payments").display = not view.payments
        self._show_transmissions(view.transmissions)
        self.refresh_bindings()

    def _line_taxes(self, line: LineView, money: MoneyFormat) -> str:
        """A line's tax codes (GST+QST), its bare rate (before named taxes), or "exempt"."""
        if line.tax_codes:
            return "+".join(line.tax_codes)
        return money.decimal(line.tax_rate) if line.tax_rate else self.session.tr.gettext(N_("exempt"))

    def _show_credits(self, view: InvoiceView, rows: list[tuple[str, str]], money: MoneyFormat) -> None:
        """The credit notes' table (only when there are some), a "Credited" total before "Paid",
        and a balance below zero said as the credit the clinic owes back."""
        tr, session = self.session.tr, self.session
        notes = self.query_one("#detail-credit-notes", DataTable)
        notes.clear()
        for note in view.credit_notes:
            notes.add_row(
                note.number,
                format_date(note.issue_date, tr.language, session.country),
                note.reason if len(note.reason) <= REASON_SHOWN else note.reason[: REASON_SHOWN - 1] + "…",
                money(-note.total_cents),
            )
        for widget in self.query("#credit-notes-title, #detail-credit-notes"):
            widget.display = bool(view.credit_notes)
        if view.credited_cents:
            rows.insert(len(rows) - 2, (tr.gettext(N_("Credited")), money(view.credited_cents)))
        if view.balance_cents < 0:
            rows[-1] = (tr.gettext(N_("Credit to refund")), money(-view.balance_cents))

    def _show_header(self, view: InvoiceView) -> None:
        tr, session = self.session.tr, self.session
        dash = "—"

        def day(value: object) -> str:
            return format_date(value, tr.language, session.country) if value else dash  # type: ignore[arg-type]

        billed_to = [view.billed_to_name, view.billed_to_email or "", view.billed_to_phone or ""]
        if view.third_party:
            billed_to.append(tr.gettext(N_("(third party)")))
        pairs = [
            (N_("Patient"), view.patient_name),
            (N_("Billed to"), " · ".join(part for part in billed_to if part)),
            (N_("Provider"), view.provider_name or dash),
            (N_("Company"), view.company_name),
            (N_("Issued"), day(view.issue_date)),
            (N_("Due"), day(view.due_date)),
        ]
        if view.status == InvoiceStatus.VOID:
            pairs.append((N_("Void because"), view.void_reason or dash))
        grid = self.query_one("#detail-header", Grid)
        grid.remove_children()
        for label, value in pairs:
            grid.mount(Label(tr.gettext(label), classes="header-label"))
            grid.mount(Static(value, classes="header-value", markup=False))

    def _show_transmissions(self, rows: tuple[TransmissionView, ...]) -> None:
        self.query_one(InvoiceTransmissions).show(rows)
        self.query_one(InvoiceTransmissions).display = bool(rows)
        self.query_one("#no-transmissions").display = not rows

    def _read_only_reason(self) -> str | None:
        """Why this person cannot act on the invoice, if they cannot."""
        try:
            self.session.require(Role.BILLING)
        except RoleDenied as exc:
            return exc.render(self.session.tr)
        return None

    # Actions ----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "refund":  # a payment that can still give money back, through Stripe or by hand
            return self.view is not None and self.view.refundable is not None
        if action == "credit":  # a billed or paid invoice with something left to credit
            return self.view is not None and self.view.creditable_cents > 0
        if action in ("payment", "void", "edit", "bill", "send", "new_link", "remove_link"):
            allowed = self.view is not None and action in STATUS_ACTIONS[self.view.status]
            if action == "remove_link":  # only while a link is open
                panel = self.query_one(PaymentLinkPanel).panel
                return allowed and panel is not None and panel.open
            return allowed
        return True

    def _allowed(self, role: Role = Role.BILLING) -> bool:
        """True when the person may act; otherwise they are told why, and False."""
        if self.busy or self.view is None:
            return False
        try:
            self.session.require(role)
        except RoleDenied as exc:
            self.notify(exc.render(self.session.tr), severity="warning")
            return False
        return True

    def action_payment(self) -> None:
        if not self._allowed() or self.view is None:
            return
        clock = getattr(self.app, "clock", utcnow)
        dialog = PaymentDialog(
            self.session,
            invoice_label=self.view.number or f"#{self.view.id}",
            balance_cents=self.view.balance_cents,
            currency=self.view.currency,
            today=clinic_today(self.session.clinic, clock()),
        )
        self.app.push_screen(dialog, self._payment_entered)

    def _payment_entered(self, entry: PaymentEntry | None) -> None:
        if entry is not None:
            self.busy = True
            self.writes += 1
            self.record(entry)

    @work(thread=True, exclusive=True, group="invoice-detail-write")
    def record(self, entry: PaymentEntry) -> None:
        clock = getattr(self.app, "clock", utcnow)
        self._write(
            lambda: pay(
                self.invoice_id,
                entry.amount_cents,
                entry.method,
                reference=entry.reference,
                received_on=entry.received_on,
                recorded_by=self.session.staff,
                now=clock(),
            ),
            N_("Payment recorded"),
        )

    def action_refund(self) -> None:
        if not self._allowed() or self.view is None or self.view.refundable is None:
            return
        refundable, balance = self.view.refundable, self.view.balance_cents
        dialog = RefundDialog(
            self.session,
            invoice_label=self.view.number or f"#{self.view.id}",
            refundable_cents=refundable.cents,
            currency=self.view.currency,
            by_hand=not refundable.stripe,
            amount_cents=-balance if balance < 0 else None,  # the credit to refund, when there is one
        )
        self.app.push_screen(dialog, lambda entry: self._refund_entered(refundable, entry))

    def _refund_entered(self, refundable: Refundable, entry: RefundEntry | None) -> None:
        if entry is not None:
            self.busy = True
            self.writes += 1
            self.refund(refundable, entry)

    @work(thread=True, exclusive=True, group="invoice-detail-write")
    def refund(self, refundable: Refundable, entry: RefundEntry) -> None:
        from models.billing.invoice import Invoice
        from models.billing.reversals import refund_by_hand, request_refund

        staff, payment_id = self.session.staff, refundable.payment_id
        if refundable.stripe:

            def queue() -> Any:
                request_refund(payment_id, entry.amount_cents, entry.reason, staff=staff)
                return Invoice.get_by_id(self.invoice_id)

            self._write(queue, N_("Refund queued: the agent makes it through Stripe as soon as it is online"))
            return

        def give_back() -> Any:
            refund_by_hand(payment_id, entry.amount_cents, entry.reason, staff=staff)
            return Invoice.get_by_id(self.invoice_id)

        self._write(
            give_back,
            N_("Recorded {amount} given back on invoice {number}; balance {balance}."),
            amount_cents=entry.amount_cents,
        )

    def action_credit(self) -> None:
        if not self._allowed() or self.view is None or self.view.creditable_cents <= 0:
            return
        dialog = CreditNoteDialog(self.session, self.view, clock=getattr(self.app, "clock", utcnow))
        self.app.push_screen(dialog, self._credit_issued)

    def _credit_issued(self, issued: CreditIssued | None) -> None:
        """The dialog issued the note (it stays open on a refusal): say so, and show the invoice now."""
        if issued is None:
            return
        tr = self.session.tr
        money = MoneyFormat(issued.currency, tr.language, self.session.country)
        if issued.balance_cents < 0:
            text = tr.format(
                N_("Credit note {note} issued: a credit of {amount} is to be refunded"),
                note=issued.number,
                amount=money(-issued.balance_cents),
            )
        else:
            text = tr.format(
                N_("Credit note {note} issued; balance {balance}"),
                note=issued.number,
                balance=money(issued.balance_cents),
            )
        self.notify(text)
        self.writes += 1
        self.post_message(DataChanged("invoice"))
        self.reload()

    def action_void(self) -> None:
        if not self._allowed() or self.view is None:
            return
        if self.view.paid_cents:
            self.notify(
                self.session.tr.gettext(N_("This invoice has payments recorded: it cannot be voided")),
                severity="warning",
            )
            return
        dialog = VoidDialog(self.session, self.view.number or f"#{self.view.id}")
        self.app.push_screen(dialog, self._void_confirmed)

    def _void_confirmed(self, reason: str | None) -> None:
        if reason is not None:
            self.busy = True
            self.writes += 1
            self.run_void(reason)

    @work(thread=True, exclusive=True, group="invoice-detail-write")
    def run_void(self, reason: str) -> None:
        self._write(lambda: void_invoice(self.invoice_id, reason), N_("Invoice voided"))

    def action_bill(self) -> None:
        if not self._allowed():
            return
        self.busy = True
        self.writes += 1
        self.run_bill()

    @work(thread=True, exclusive=True, group="invoice-detail-write")
    def run_bill(self) -> None:
        clock = getattr(self.app, "clock", utcnow)
        self._write(lambda: bill_draft(self.invoice_id, now=clock()), N_("Invoice {number} billed"))

    def _write(self, change, done: str, amount_cents: int = 0) -> None:  # type: ignore[no-untyped-def]
        """Run ``change`` (in this worker thread), then reload and say ``done`` (its ``{number}``,
        ``{balance}`` and ``{amount}``: ``amount_cents``); errors become a notice."""
        tr, country = self.session.tr, self.session.country

        def write() -> tuple[InvoiceView, str]:
            invoice = change()
            money = MoneyFormat(invoice.currency, tr.language, country)
            text = tr.format(
                done, number=invoice.number, amount=money(amount_cents), balance=money(invoice.balance_cents)
            )
            return invoice_view(self.invoice_id), text

        run_db(
            self,
            write,
            lambda written: self._write_done(*written, "information"),
            tr=tr,
            failed=lambda exc: self._write_done(None, error_text(exc, tr), "error"),
        )

    def _write_done(self, view: InvoiceView | None, text: str, severity: str) -> None:
        self.busy = False
        self.notify(text, severity=severity)  # type: ignore[arg-type]
        if view is not None:
            self.show(view)
            self.post_message(DataChanged("invoice"))

    def action_edit(self) -> None:
        if self.view is None or self.busy:
            return
        if not self.session.may_edit_invoice_of(self.view.provider_id):
            self._allowed()  # says which role is missing
            return
        from tui.screens.invoice_form import InvoiceFormScreen

        form = InvoiceFormScreen(self.session, invoice_id=self.invoice_id, open_detail_after_bill=False)
        self.app.push_screen(form)

    def action_send(self) -> None:
        if self._allowed():
            self.request_send()

    def request_send(self) -> None:
        """Ask for the send dialog; override, or handle ``SendRequested`` on the app."""
        self.post_message(self.SendRequested(self.invoice_id))

    def on_payment_link_panel_changed(self) -> None:
        """The agent made, closed or was paid through a link: the payments and balance may follow."""
        self.refresh_bindings()
        if self.view is not None and not self.busy:
            self.reload()

    def action_new_link(self) -> None:
        """A new payment link (the open one expired first), made by the agent when online."""
        if self._allowed():
            self.query_one(PaymentLinkPanel).request(LinkAction.CREATE)

    def action_remove_link(self) -> None:
        if self._allowed():
            self.query_one(PaymentLinkPanel).request(LinkAction.REMOVE)

    def action_leave(self) -> None:
        self.dismiss(None)

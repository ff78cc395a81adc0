"""``InvoiceFormScreen``: a new invoice, or a draft edited; saved as a draft or billed.

Who may use it: billing staff for every invoice; a provider without the billing role for
drafts where they are the rendering provider (they cannot bill); anyone else is told why not.
Nothing is written until the whole form reads right: refused fields are marked and explained,
what was typed stays, and leaving with changes asks first.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.markup import escape
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Checkbox, Header, Input, Select, Static

from locales import N_
from models.core.enums import Role
from models.core.errors import ValidationError
from models.core.validation import REQUIRED
from models.database.base import utcnow
from models.views.invoice_editing import (
    DraftData,
    DraftInput,
    FormChoices,
    LineFields,
    PatientSummary,
    check_billed_to,
    form_choices,
    load_draft,
    patient_summary,
    save_and_bill,
    save_draft,
    taxes_text,
)
from tui.messages import DataChanged
from tui.session import RoleDenied, StaffSession
from tui.texts import translate_bindings
from tui.widgets.invoice_billed_to import BilledToFields
from tui.widgets.invoice_field import FormField
from tui.widgets.invoice_lines import InvoiceLinesEditor
from tui.widgets.invoice_totals import InvoiceTotals
from tui.widgets.key_footer import KeyFooter
from tui.widgets.money_format import MoneyFormat
from tui.widgets.patient_picker import PatientPicker
from tui.widgets.tax_label import tax_label
from tui.workers import error_text, run_db


class InvoiceFormScreen(Screen[int | None]):
    """Write an invoice; dismisses with its id once billed (or ``None`` when left)."""

    CSS_PATH = str(Path(__file__).with_name("invoice_form.tcss"))  # absolute: subclasses elsewhere find it
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", N_("Save draft")),
        Binding("ctrl+b", "bill", N_("Bill")),
        Binding("ctrl+n", "add_line", N_("Add line")),
        Binding("ctrl+r", "remove_line", N_("Remove line")),
        Binding("escape", "leave", N_("Back")),
    ]

    class Saved(Message):
        """The invoice was saved (``number`` is set once billed)."""

        def __init__(self, invoice_id: int, number: str | None) -> None:
            super().__init__()
            self.invoice_id = invoice_id
            self.number = number

    def __init__(
        self,
        session: StaffSession,
        patient_id: int | None = None,
        invoice_id: int | None = None,
        *,
        open_detail_after_bill: bool = True,
    ) -> None:
        super().__init__()
        self.session = session
        self.patient_id = patient_id
        self.invoice_id = invoice_id
        self.open_detail_after_bill = open_detail_after_bill
        self.choices = FormChoices([], [])
        self.patient: PatientSummary | None = None
        self.denied: str | None = self._role_denial()
        self.ready = False  # loaded and filled: tests and the leave check wait for it
        self.busy = False  # a save is running
        self.saved_state: tuple[object, ...] = ()

    # Building -------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        session = self.session
        yield Header(icon="✉")
        with VerticalScroll(id="invoice-form"):
            yield Static("", id="form-title")
            yield Static("", id="form-note", markup=False)
            yield FormField(N_("Patient"), PatientPicker(session, id="patient"), session, field="patient")
            yield BilledToFields(session, id="billed-to")
            yield FormField(
                N_("Provider"), Select([], compact=True, id="provider"), session, field="provider"
            )
            yield FormField(
                N_("Company"),
                Select([], compact=True, id="company"),
                session,
                field="company",
            )
            yield InvoiceLinesEditor(session, id="lines")
            yield Static("", id="lines-problem", markup=False)
            yield InvoiceTotals(id="totals")
            with Horizontal(id="form-buttons"):
                yield Button("", id="save", compact=True)
                yield Button("", id="bill", compact=True, variant="primary")
        yield Static("", id="form-denied", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.apply_texts()
        if self.denied:
            self._show_denied(self.denied)
            return
        self.query_one("#invoice-form").loading = True
        self.load()

    def apply_texts(self) -> None:
        tr = self.session.tr
        translate_bindings(self, tr)
        if self.invoice_id is None:
            title = tr.gettext(N_("New invoice"))
        else:
            title = tr.format(N_("Draft #{id}"), id=self.invoice_id)
        self.query_one("#form-title", Static).update(f"[b]{escape(title)}[/b]")
        note = self.query_one("#form-note", Static)
        note.display = self._provider_only
        note.update(
            tr.gettext(
                N_(
                    "You do not have the billing role: you may save drafts where you are the "
                    "rendering provider; billing staff bill them."
                )
            )
        )
        self.query_one("#save", Button).label = tr.gettext(N_("Save draft (Ctrl+S)"))
        self.query_one("#bill", Button).label = tr.gettext(N_("Bill (Ctrl+B)"))
        provider = self.query_one("#provider", Select)
        provider.prompt = tr.gettext(N_("No provider"))
        self.query_one("#company", Select).prompt = tr.gettext(N_("Choose a company"))
        if self.ready:
            self.update_totals()

    @property
    def _provider_only(self) -> bool:
        return not self.session.has(Role.BILLING) and self.session.has(Role.PROVIDER)

    def _role_denial(self) -> str | None:
        if self.session.has(Role.BILLING) or self.session.has(Role.PROVIDER):
            return None
        try:
            self.session.require(Role.BILLING)
        except RoleDenied as exc:
            return exc.render(self.session.tr)
        return None

    def _show_denied(self, reason: str) -> None:
        self.denied = reason
        self.query_one("#invoice-form").display = False
        denied = self.query_one("#form-denied", Static)
        denied.display = True
        denied.update(reason + "\n\n" + self.session.tr.gettext(N_("Escape goes back.")))
        self.refresh_bindings()

    @work(thread=True, exclusive=True, group="invoice-form-load")
    def load(self) -> None:
        def read() -> tuple[FormChoices, DraftData | None, PatientSummary | None]:
            choices = form_choices(getattr(self.app, "clock", utcnow)())  # the taxes in force today
            draft = load_draft(self.invoice_id) if self.invoice_id is not None else None
            patient = patient_summary(self.patient_id) if self.patient_id is not None else None
            return choices, draft, patient

        tr = self.session.tr
        run_db(
            self,
            read,
            lambda loaded: self.fill(*loaded),
            tr=tr,
            failed=lambda exc: self._load_failed(error_text(exc, tr)),
        )

    def _load_failed(self, text: str) -> None:
        self.query_one("#invoice-form").loading = False
        self.notify(text, severity="error")
        self._show_denied(text)

    async def fill(
        self, choices: FormChoices, draft: DraftData | None, patient: PatientSummary | None
    ) -> None:
        """Put the loaded choices and draft in the form, then remember it as the unchanged state."""
        self.choices = choices
        staff_id = self.session.staff.id
        if draft is not None and not self.session.may_edit_invoice_of(draft.provider_id):
            self.query_one("#invoice-form").loading = False
            self._show_denied(
                self.session.tr.format(
                    N_("{name} may only edit drafts where they are the rendering provider"),
                    name=self.session.staff.display_name,
                )
            )
            return
        provider = self.query_one("#provider", Select)
        provider.set_options((choice.label, choice.id) for choice in choices.providers)
        company = self.query_one("#company", Select)
        company.set_options((choice.label, choice.id) for choice in choices.companies)
        if choices.companies:
            company.value = choices.companies[0].id  # the first active one, unless the draft says
        lines = self.query_one(InvoiceLinesEditor)
        provider_ids = {choice.id for choice in choices.providers}
        if draft is not None:
            patient = draft.patient
            if draft.provider_id in provider_ids:
                provider.value = draft.provider_id
            company.value = draft.billing_company_id
            self.query_one(BilledToFields).set_billed_to(draft.billed_to)
            money = self.money
            lines.set_taxes(choices.taxes.get(draft.billing_company_id))
            await lines.set_lines(
                [
                    LineFields(
                        line.code,
                        line.description,
                        money.decimal(line.quantity),
                        money.plain(line.unit_price_cents),
                        taxes_text(line, money.decimal),
                    )
                    for line in draft.lines
                ]
            )
        elif staff_id in provider_ids:
            provider.value = staff_id  # a provider writing their own invoice
        if self._provider_only:
            provider.value = staff_id
            provider.disabled = True
        if patient is not None:
            self.patient = patient
            self.query_one(PatientPicker).set_patient(patient)
        if not lines.rows:
            lines.set_taxes(choices.taxes.get(company.value))  # type: ignore[arg-type]
            await lines.add_line(focus=False)
        self.query_one("#invoice-form").loading = False
        self.update_totals()
        if patient is None:
            self.query_one("#patient-search", Input).focus()
        else:
            lines.rows[0].input("code").focus()
        # Widgets report programmatic changes a moment later: take the snapshot after them.
        self.call_after_refresh(self._mark_unchanged)

    def _mark_unchanged(self) -> None:
        self.saved_state = self.snapshot()
        self.ready = True

    # Reading the form -----------------------------------------------------------------

    @property
    def money(self) -> MoneyFormat:
        currency = "CAD"
        company = self.query_one("#company", Select).value
        for choice in self.choices.companies:
            if choice.id == company:
                currency = choice.currency
        return MoneyFormat(currency, self.session.tr.language, self.session.country)

    def snapshot(self) -> tuple[object, ...]:
        """Everything typed or chosen, to tell whether the form changed since loaded or saved."""
        billed_to = self.query_one(BilledToFields)
        return (
            self.patient.id if self.patient else None,
            billed_to.third_party,
            billed_to.texts() if billed_to.third_party else (),
            self.query_one("#provider", Select).value,
            self.query_one("#company", Select).value,
            tuple(fields for fields in self.query_one(InvoiceLinesEditor).values() if not fields.is_blank),
        )

    @property
    def dirty(self) -> bool:
        return self.ready and self.snapshot() != self.saved_state

    def update_totals(self) -> None:
        tr = self.session.tr
        money = self.money
        self._company_taxes()
        editor = self.query_one(InvoiceLinesEditor)
        subtotal, tax, readable = editor.refresh_totals(money)
        rows = [(tr.gettext(N_("Subtotal")), money(subtotal))]
        for result in editor.taxes:  # each tax with its base, as billing stores it and the PDF prints it
            rows.append((tax_label(result, tr, money), money(result.tax_cents)))
        if not editor.taxes:
            rows.append((tr.gettext(N_("Taxes")), money(tax)))
        rows.append((tr.gettext(N_("Total")), money(subtotal + tax)))
        if not readable:
            rows.append((tr.gettext(N_("Lines marked — are not counted yet")), ""))
        self.query_one(InvoiceTotals).show(rows, strong=1 if readable else 2)

    def _company_taxes(self) -> None:
        """The lines are read with the chosen company's taxes."""
        company = self.query_one("#company", Select).value
        self.query_one(InvoiceLinesEditor).set_taxes(self.choices.taxes.get(company))  # type: ignore[arg-type]

    def collect(self) -> DraftInput | None:
        """The form as ``DraftInput``, or ``None`` with every refused field marked and explained."""
        tr = self.session.tr
        ok = True
        patient_field = self.query_one("#field-patient", FormField)
        if self.patient is None:
            patient_field.show_error(tr.gettext(N_("choose the patient: type a name and press Enter")))
            ok = False
        else:
            patient_field.show_error(None)
        billed_to_fields = self.query_one(BilledToFields)
        billed_to = None
        if billed_to_fields.third_party:
            billed_to, errors = check_billed_to(*billed_to_fields.texts(), country=self.session.country)
            billed_to_fields.show_errors(errors)
            ok = ok and not errors
        else:
            billed_to_fields.show_errors([])
        company = self.query_one("#company", Select).value
        company_field = self.query_one("#field-company", FormField)
        company_field.show_error(None if company != Select.NULL else tr.gettext(REQUIRED))
        ok = ok and company != Select.NULL
        self._company_taxes()
        lines, lines_ok = self.query_one(InvoiceLinesEditor).checked_lines(self.money.currency)
        ok = ok and lines_ok
        self.query_one("#lines-problem", Static).update("")
        provider = self.query_one("#provider", Select).value
        if not ok or self.patient is None:
            return None
        return DraftInput(
            patient_id=self.patient.id,
            billing_company_id=int(company),  # type: ignore[arg-type]
            provider_id=None if provider == Select.NULL else int(provider),  # type: ignore[arg-type]
            billed_to=billed_to,
            lines=tuple(lines),
        )

    # Events ---------------------------------------------------------------------------

    @on(PatientPicker.Picked)
    def patient_picked(self, event: PatientPicker.Picked) -> None:
        self.patient = event.patient
        if event.patient is not None:
            self.query_one("#field-patient", FormField).show_error(None)
            rows = self.query_one(InvoiceLinesEditor).rows
            if rows:
                rows[0].input("code").focus()  # the patient chosen, the lines come next

    @on(InvoiceLinesEditor.Changed)
    @on(Select.Changed, "#company")
    def lines_changed(self) -> None:
        if self.ready:
            self.update_totals()

    @on(Checkbox.Changed, "#third-party")
    def third_party_toggled(self, event: Checkbox.Changed) -> None:
        if event.value and self.ready:
            self.query_one("#billed_to_name", Input).focus()

    @on(Button.Pressed, "#save")
    def save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#bill")
    def bill_pressed(self) -> None:
        self.action_bill()

    # Actions --------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("save", "bill", "add_line", "remove_line"):
            return self.denied is None
        return True

    def action_save(self) -> None:
        self._submit(bill=False)

    def action_bill(self) -> None:
        try:
            self.session.require(Role.BILLING)
        except RoleDenied as exc:
            self.notify(exc.render(self.session.tr), severity="warning")
            return
        self._submit(bill=True)

    def _submit(self, *, bill: bool) -> None:
        if self.busy or not self.ready or self.denied:
            return
        tr = self.session.tr
        data = self.collect()
        if data is None:
            self.notify(
                tr.gettext(N_("Nothing was saved: please correct the marked fields")), severity="error"
            )
            return
        if not self.session.may_edit_invoice_of(data.provider_id):
            self.query_one("#field-provider", FormField).show_error(
                tr.gettext(N_("you may only save drafts where you are the rendering provider"))
            )
            self.notify(
                tr.gettext(N_("Nothing was saved: please correct the marked fields")), severity="error"
            )
            return
        self.query_one("#field-provider", FormField).show_error(None)
        self.busy = True
        self.write(data, bill)

    @work(thread=True, exclusive=True, group="invoice-form-save")
    def write(self, data: DraftInput, bill: bool) -> None:
        clock = getattr(self.app, "clock", utcnow)

        def save() -> tuple[int, str | None]:
            staff = self.session.staff
            if bill:
                invoice = save_and_bill(data, created_by=staff, invoice_id=self.invoice_id, now=clock())
            else:
                invoice = save_draft(data, created_by=staff, invoice_id=self.invoice_id)
            return invoice.id, invoice.number

        run_db(self, save, lambda saved: self._written(*saved), tr=self.session.tr, failed=self._write_failed)

    def _write_failed(self, exc: BaseException) -> None:
        self.busy = False
        text = error_text(exc, self.session.tr)
        if isinstance(exc, ValidationError) and exc.field == "lines":
            self.query_one("#lines-problem", Static).update(text)
        self.notify(text, title=self.session.tr.gettext(N_("Nothing was saved")), severity="error")

    def _written(self, invoice_id: int, number: str | None) -> None:
        tr = self.session.tr
        self.busy = False
        self.invoice_id = invoice_id
        self.saved_state = self.snapshot()
        self.post_message(self.Saved(invoice_id, number))
        self.post_message(DataChanged("invoice"))
        if number is None:
            self.notify(tr.format(N_("Draft #{id} saved"), id=invoice_id))
            self.apply_texts()
            return
        self.notify(tr.format(N_("Invoice {number} billed"), number=number), timeout=10)
        if self.open_detail_after_bill:
            from tui.screens.invoice_detail import InvoiceDetailScreen

            self.app.switch_screen(InvoiceDetailScreen(self.session, invoice_id))
        else:
            self.dismiss(invoice_id)

    async def action_add_line(self) -> None:
        if self.ready:
            await self.query_one(InvoiceLinesEditor).add_line()

    async def action_remove_line(self) -> None:
        editor = self.query_one(InvoiceLinesEditor)
        row = editor.row_of(self.focused)
        if row is None:
            self.notify(self.session.tr.gettext(N_("Move to the line to remove first")), severity="warning")
            return
        await editor.remove_line(row)

    def action_leave(self) -> None:
        if not self.dirty or self.denied:
            self.dismiss(None)
            return
        from tui.dialogs.confirm import ConfirmDialog

        tr = self.session.tr
        dialog = ConfirmDialog(
            tr.gettext(N_("Leave this invoice? Your changes have not been saved.")),
            tr.gettext(N_("Leave without saving")),
            tr.gettext(N_("Keep editing")),
        )
        self.app.push_screen(dialog, self._leave_answered)

    def _leave_answered(self, leave: bool | None) -> None:
        if leave:
            self.dismiss(None)

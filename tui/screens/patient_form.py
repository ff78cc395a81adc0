"""``PatientFormScreen``: a new patient, or one edited; read-only for staff who may not change them.

Nothing is written until every field reads right: each refused field is marked and
explained in the reader's language and what was typed stays. Saved values come back
normalized (the cell phone in E.164, the insurance number compact) and are shown so.
Leaving with unsaved changes asks first. Billing staff and admins may save
(``patients.may_edit_patients``); anyone else sees the record and the reason. Ctrl+T makes a
statement of the patient's account (billing staff; ``tui.screens.statement``).
"""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.markup import escape
from textual.screen import Screen
from textual.widgets import Button, Checkbox, Header, Input, Select, Static

from locales import N_
from models.core.enums import Role
from models.core.errors import ValidationError
from models.people.patient import Patient
from models.people.patients import (
    PatientInput,
    add_patient,
    edit_patient,
    get_patient,
    patient_input_problems,
)
from models.views.statement_view import AccountChoice, account_choices
from tui.messages import DataChanged
from tui.screens.patients import edit_denial
from tui.session import RoleDenied, StaffSession
from tui.texts import translate_bindings
from tui.widgets.invoice_field import FormField
from tui.widgets.key_footer import KeyFooter
from tui.workers import error_text, run_db

# Field name (as in PatientInput and ValidationError.field), label.
TEXT_FIELDS: list[tuple[str, str]] = [
    ("last_name", N_("Last name")),
    ("first_name", N_("First name")),
    ("email", N_("Email")),
    ("cell_phone", N_("Cell phone")),
    ("health_insurance_number", N_("Insurance no.")),
]
LANGUAGES = [("fr", N_("French")), ("en", N_("English"))]
NOT_SAVED = N_("Nothing was saved: please correct the marked fields")


class PatientFormScreen(Screen[int | None]):
    """Add or edit a patient; dismisses with the patient's id once saved (``None`` if nothing was)."""

    CSS_PATH = "patient_form.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", N_("Save")),
        Binding("ctrl+t", "statement", N_("Statement")),
        Binding("f3", "consents", N_("Consents")),
        Binding("f4", "links", N_("Links")),
        Binding("escape", "leave", N_("Back")),
    ]

    def __init__(self, session: StaffSession, patient_id: int | None = None) -> None:
        super().__init__()
        self.session = session
        self.patient_id = patient_id
        self.denied = edit_denial(session)
        self.saved_id: int | None = None  # the id to hand back: something was saved
        self.ready = False  # loaded and filled: tests and the leave check wait for it
        self.busy = False  # a save is running
        self.saved_state: tuple[object, ...] = ()
        self.loaded_attachments = False  # the consent box as stored: only a change of it is sent

    def compose(self) -> ComposeResult:
        session = self.session
        yield Header(icon="✉")
        with VerticalScroll(id="patient-form"):
            yield Static("", id="patient-form-title")
            yield Static("", id="patient-form-note", markup=False)
            for name, label in TEXT_FIELDS:
                yield FormField(label, Input(id=name, compact=True), session, field=name)
            yield FormField(
                N_("Language"), Select[str]([], id="language", compact=True), session, field="language"
            )
            yield Checkbox("", True, id="receive_reminders", compact=True)
            yield Checkbox("", False, id="receive_statements", compact=True)
            yield Checkbox("", False, id="consent_email_attachments", compact=True)
            with Horizontal(id="patient-form-buttons"):
                yield Button("", id="patient-save", compact=True, variant="primary")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.apply_texts()
        if self.denied is not None:
            for widget in self.query("#patient-form Input, #patient-form Select, #patient-form Checkbox"):
                widget.disabled = True
            self.query_one("#patient-form-buttons").display = False
        if self.patient_id is None:
            self._ready()
            return
        self.query_one("#patient-form").loading = True
        self.load()

    def apply_texts(self) -> None:
        tr = self.session.tr
        translate_bindings(self, tr)
        if self.patient_id is None:
            title = tr.gettext(N_("New patient"))
        else:
            title = tr.format(N_("Patient #{id}"), id=self.patient_id)
        self.query_one("#patient-form-title", Static).update(f"[b]{escape(title)}[/b]")
        note = self.query_one("#patient-form-note", Static)
        note.display = self.denied is not None
        if self.denied is not None:
            note.update(tr.format(N_("Read only: {reason}"), reason=self.denied))
        for field in self.query(FormField):
            field.apply_texts()
        language = self.query_one("#language", Select)
        value = language.value
        language.prompt = tr.gettext(N_("The clinic's language"))
        language.set_options([(tr.gettext(label), code) for code, label in LANGUAGES])
        if value is not Select.NULL:
            language.value = value
        self.query_one("#receive_reminders", Checkbox).label = tr.gettext(
            N_("Receive unpaid-invoice reminders")
        )
        self.query_one("#receive_statements", Checkbox).label = tr.gettext(
            N_("Statement of account every period instead of reminders")
        )
        self.query_one("#consent_email_attachments", Checkbox).label = tr.gettext(
            N_("Consents to invoices attached to plain (unencrypted) email")
        )
        self.query_one("#patient-save", Button).label = tr.gettext(N_("Save (Ctrl+S)"))

    # Loading and filling --------------------------------------------------------------

    @work(thread=True, exclusive=True, group="patient-form-load")
    def load(self) -> None:
        assert self.patient_id is not None
        patient_id, tr = self.patient_id, self.session.tr
        run_db(
            self,
            lambda: get_patient(patient_id),
            self.fill,
            tr=tr,
            failed=lambda exc: self._load_failed(error_text(exc, tr)),
        )

    def _load_failed(self, text: str) -> None:
        self.query_one("#patient-form").loading = False
        self.notify(text, severity="error")
        self.dismiss(None)

    def fill(self, patient: Patient, *, focus: bool = True) -> None:
        """Show ``patient`` as stored, then remember it as the unchanged state."""
        for name, _label in TEXT_FIELDS:
            self.query_one(f"#{name}", Input).value = getattr(patient, name) or ""
        language = self.query_one("#language", Select)
        language.value = patient.language if patient.language else Select.NULL
        self.query_one("#receive_reminders", Checkbox).value = bool(patient.receive_reminders)
        self.query_one("#receive_statements", Checkbox).value = bool(patient.receive_statements)
        self.query_one("#consent_email_attachments", Checkbox).value = bool(patient.consent_email_attachments)
        self.loaded_attachments = bool(patient.consent_email_attachments)
        self.query_one("#patient-form").loading = False
        self._ready(focus)

    def _ready(self, focus: bool = True) -> None:
        if self.denied is None and focus:
            self.query_one("#last_name", Input).focus()
        # Widgets report programmatic changes a moment later: take the snapshot after them.
        self.call_after_refresh(self._mark_unchanged)

    def _mark_unchanged(self) -> None:
        self.saved_state = self.snapshot()
        self.ready = True

    # Reading the form -----------------------------------------------------------------

    def snapshot(self) -> tuple[object, ...]:
        """Everything typed or chosen, to tell whether the form changed since loaded or saved."""
        return (
            *(self.query_one(f"#{name}", Input).value for name, _label in TEXT_FIELDS),
            self.query_one("#language", Select).value,
            self.query_one("#receive_reminders", Checkbox).value,
            self.query_one("#receive_statements", Checkbox).value,
            self.query_one("#consent_email_attachments", Checkbox).value,
        )

    @property
    def dirty(self) -> bool:
        return self.ready and self.denied is None and self.snapshot() != self.saved_state

    def collect(self) -> PatientInput | None:
        """The form as ``PatientInput``, or ``None`` with every refused field marked and explained."""
        language = self.query_one("#language", Select).value
        attachments = self.query_one("#consent_email_attachments", Checkbox).value
        data = PatientInput(
            **{name: self.query_one(f"#{name}", Input).value for name, _label in TEXT_FIELDS},
            language=language if isinstance(language, str) else "",
            receive_reminders=self.query_one("#receive_reminders", Checkbox).value,
            receive_statements=self.query_one("#receive_statements", Checkbox).value,
            # only a box staff changed: a consent recorded elsewhere meanwhile is not undone
            consent_email_attachments=attachments if attachments != self.loaded_attachments else None,
        )
        problems = patient_input_problems(data, self.session.clinic, new=self.patient_id is None)
        self.show_problems(problems)
        return None if problems else data

    def show_problems(self, problems: list[ValidationError]) -> None:
        """Mark the fields of ``problems`` (and clear the others); focus the first refused one."""
        tr = self.session.tr
        by_field = {problem.field: problem.render(tr) for problem in problems}
        for field in self.query(FormField):
            field.show_error(by_field.get(field.field))
        if problems:
            first = self.query_one(f"#field-{problems[0].field}", FormField)
            first.widget.focus()

    # Saving ---------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "save":
            return self.denied is None
        if action == "statement":  # of a patient already saved
            return self.patient_id is not None
        return True

    @on(Button.Pressed, "#patient-save")
    def save_pressed(self) -> None:
        self.action_save()

    @on(Input.Submitted)
    def next_field(self) -> None:
        self.focus_next()

    def action_save(self) -> None:
        if self.denied is not None:
            self.notify(self.denied, severity="warning")
            return
        if self.busy or not self.ready:
            return
        data = self.collect()
        if data is None:
            self.notify(self.session.tr.gettext(NOT_SAVED), severity="error")
            return
        self.busy = True
        self.write(data)

    @work(thread=True, exclusive=True, group="patient-form-save")
    def write(self, data: PatientInput) -> None:
        clinic = self.session.clinic

        def save() -> Patient:
            if self.patient_id is None:
                return add_patient(data, clinic, staff=self.session.staff)
            return edit_patient(self.patient_id, data, clinic, staff=self.session.staff)

        run_db(self, save, self._written, tr=self.session.tr, failed=self._write_failed)

    def _write_failed(self, exc: BaseException) -> None:
        self.busy = False
        tr = self.session.tr
        if isinstance(exc, ValidationError) and self.query(f"#field-{exc.field}"):
            self.show_problems([exc])
        self.notify(error_text(exc, tr), title=tr.gettext(N_("Nothing was saved")), severity="error")

    def _written(self, patient: Patient) -> None:
        self.busy = False
        self.patient_id = self.saved_id = patient.id
        self.fill(patient, focus=False)  # the normalized values: E.164 phone, compact insurance number
        self.apply_texts()
        self.post_message(DataChanged("patient"))
        self.notify(self.session.tr.format(N_("{name} saved"), name=patient.full_name))

    # A statement of account -----------------------------------------------------------

    def action_consents(self) -> None:
        """The patient's consents, their history, and recording one (``ConsentDialog``)."""
        from tui.dialogs.consent import ConsentDialog

        if self.patient_id is None:
            self.notify(self.session.tr.gettext(N_("Save the new patient first, then record consents.")))
            return
        patient_id = self.patient_id

        def closed(changed: bool | None) -> None:
            if changed:
                self.reread_consents(patient_id)

        self.app.push_screen(ConsentDialog(self.session, patient_id), closed)

    def action_links(self) -> None:
        """The patient's live download and payment links, and revoking one (``LiveLinksDialog``)."""
        from tui.dialogs.live_links import LiveLinksDialog

        if self.patient_id is None:
            self.notify(self.session.tr.gettext(N_("A new patient has no links yet.")))
            return
        self.app.push_screen(LiveLinksDialog(self.session, self.patient_id))

    @work(thread=True, exclusive=True, group="patient-form-consents")
    def reread_consents(self, patient_id: int) -> None:
        run_db(self, lambda: get_patient(patient_id), self._consents_changed, tr=self.session.tr)

    def _consents_changed(self, patient: Patient) -> None:
        """The attachment box shows the consent just recorded; what was typed meanwhile stays."""
        was_dirty = self.dirty
        self.loaded_attachments = bool(patient.consent_email_attachments)
        self.query_one("#consent_email_attachments", Checkbox).value = self.loaded_attachments
        if not was_dirty:
            self.call_after_refresh(self._mark_unchanged)
        elif self.saved_state:  # the box is the snapshot's last: it is not an edit
            self.saved_state = (*self.saved_state[:-1], self.loaded_attachments)

    def action_statement(self) -> None:
        """Make a statement of the patient's account: which one, when they have several."""
        try:
            self.session.require(Role.BILLING)
        except RoleDenied as exc:
            self.notify(exc.render(self.session.tr), severity="warning")
            return
        if self.patient_id is not None:
            self.read_accounts(self.patient_id)

    @work(thread=True, exclusive=True, group="patient-form-accounts")
    def read_accounts(self, patient_id: int) -> None:
        run_db(self, lambda: account_choices(patient_id), self._accounts_read, tr=self.session.tr)

    def _accounts_read(self, choices: list[AccountChoice]) -> None:
        from tui.dialogs.account_picker import AccountPicker

        tr = self.session.tr
        name = " ".join(self.query_one(f"#{field}", Input).value for field in ("first_name", "last_name"))
        if not choices:
            self.notify(
                tr.format(
                    N_("Nothing is owed either way on {name}'s account: no statement was made."), name=name
                )
            )
        elif len(choices) == 1:
            self._open_statement(choices[0])
        else:
            self.app.push_screen(AccountPicker(self.session, name, choices), self._open_statement)

    def _open_statement(self, choice: AccountChoice | None) -> None:
        from tui.screens.statement import StatementScreen

        if choice is not None:
            self.app.push_screen(StatementScreen(self.session, account=choice.account))

    # Leaving --------------------------------------------------------------------------

    def action_leave(self) -> None:
        if not self.dirty:
            self.dismiss(self.saved_id)
            return
        from tui.dialogs.confirm import ConfirmDialog

        tr = self.session.tr
        dialog = ConfirmDialog(
            tr.gettext(N_("Leave this patient? Your changes have not been saved.")),
            tr.gettext(N_("Leave without saving")),
            tr.gettext(N_("Keep editing")),
        )
        self.app.push_screen(dialog, self._leave_answered)

    def _leave_answered(self, leave: bool | None) -> None:
        if leave:
            self.dismiss(self.saved_id)

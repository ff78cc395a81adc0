"""``PauseRemindersDialog``: pause the payment reminders of one invoice or of every invoice of its
patient, with a reason and the date they resume (the clinic's, typed YYYY-MM-DD).

The dialog writes the pause itself (``models.workflow.reminder_pauses.pause_reminders``, in a
worker): a refusal is marked on its field and the text typed is kept. It dismisses with what
happened, for the caller's notification, or ``None`` on Escape. The caller checks the billing role.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Select, Static

from locales import N_
from models.billing.invoicing import clinic_today
from models.core.errors import FieldErrors, NotFoundError, ValidationError
from models.views.pause_texts import paused_text
from models.workflow.reminder_pauses import pause_reminders
from tui.session import StaffSession
from tui.widgets.invoice_field import FormField
from tui.workers import error_text, run_db


class PauseRemindersDialog(ModalScreen[str | None]):
    """Pause the reminders of invoice ``number`` (``invoice_id``) or of every invoice of
    ``patient_name`` (``patient_id``); ``clock`` is the app's."""

    CSS_PATH = "pause_reminders.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", show=False)]

    def __init__(
        self,
        session: StaffSession,
        *,
        invoice_id: int,
        number: str,
        patient_id: int,
        patient_name: str,
        clock: Callable[[], datetime],
    ) -> None:
        super().__init__()
        self.session = session
        self.invoice_id = invoice_id
        self.number = number
        self.patient_id = patient_id
        self.patient_name = patient_name
        self.clock = clock
        self.busy = False

    def compose(self) -> ComposeResult:
        tr, session = self.session.tr, self.session
        today = clinic_today(session.clinic, self.clock())
        targets = [
            (tr.format(N_("invoice {number}"), number=self.number), "invoice"),
            (tr.format(N_("every invoice of {name}"), name=self.patient_name), "patient"),
        ]
        with Vertical(id="pause-box"):
            yield Static(tr.gettext(N_("Pause payment reminders")), id="pause-title")
            yield Static(
                tr.gettext(
                    N_(
                        "Reminders due meanwhile wait for the resume date, at the time they were due. "
                        "Invoice emails and statements still go."
                    )
                ),
                id="pause-note",
            )
            yield FormField(
                N_("Reminders of"),
                Select[str](targets, value="invoice", allow_blank=False, compact=True, id="pause-target"),
                session,
                field="target",
            )
            yield FormField(N_("Reason"), Input(compact=True, id="pause-reason"), session, field="reason")
            yield FormField(
                N_("Resume on"),
                Input(
                    compact=True,
                    id="pause-until",
                    placeholder=tr.format(N_("YYYY-MM-DD; today is {today}"), today=today.isoformat()),
                ),
                session,
                field="resume_on",
            )
            with Horizontal(id="pause-buttons"):
                yield Button(
                    tr.gettext(N_("Pause reminders")), id="pause-ok", variant="primary", compact=True
                )
                yield Button(tr.gettext(N_("Cancel")), id="pause-cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#pause-reason", Input).focus()

    @on(Input.Submitted, "#pause-reason")
    def reason_entered(self) -> None:
        self.query_one("#pause-until", Input).focus()

    @on(Input.Submitted, "#pause-until")
    @on(Button.Pressed, "#pause-ok")
    def submit(self) -> None:
        if self.busy:
            return
        self.busy = True
        on_patient = self.query_one("#pause-target", Select).value == "patient"
        reason = self.query_one("#pause-reason", Input).value
        until = self.query_one("#pause-until", Input).value
        self.write(on_patient, reason, until)

    @work(thread=True, exclusive=True, group="pause-write")
    def write(self, on_patient: bool, reason: str, until: str) -> None:
        tr, staff, now = self.session.tr, self.session.staff, self.clock()
        target = {"patient": self.patient_id} if on_patient else {"invoice": self.invoice_id}

        def pause() -> str:
            paused = pause_reminders(**target, reason=reason, resume_on=until, staff=staff, now=now)
            return paused_text(paused, tr)

        run_db(self, pause, self.dismiss, tr=tr, failed=self._refused)

    def _refused(self, exc: BaseException) -> None:
        """Each refusal on its field (the target when it is the invoice or patient); others notified."""
        self.busy = False
        tr = self.session.tr
        if isinstance(exc, ValidationError | NotFoundError):
            errors = exc.errors if isinstance(exc, FieldErrors) else [exc]
            by_field = {getattr(error, "field", "target"): error.render(tr) for error in errors}
            for field in self.query(FormField):
                field.show_error(by_field.get(field.field))
            first = next((field for field in self.query(FormField) if field.field in by_field), None)
            if first is not None:
                first.widget.focus()
            return
        self.notify(error_text(exc, tr), severity="error")

    @on(Button.Pressed, "#pause-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

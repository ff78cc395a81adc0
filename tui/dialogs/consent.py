"""``ConsentDialog``: a patient's consents — what holds now for each channel, every change recorded
(newest first: when, given or withdrawn, how, by whom, the wording's version) — and recording one
(billing role): the channel, given or withdrawn, how, a note, with the wording the patient is shown,
in their language. F3 on the patient's record opens it. Dismisses with whether anything was recorded."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Select, Static

from locales import N_, translator
from locales.formatting import format_datetime
from models.core.enums import ConsentChannel, ConsentMethod, Role
from models.core.labels import CONSENT_CHANNEL, CONSENT_METHOD
from models.people.consent import (
    STAFF_METHODS,
    WORDING,
    ConsentRecord,
    consent_history,
    consented,
    record_consent,
)
from models.people.patient import Patient
from tui.session import StaffSession
from tui.texts import translate_bindings
from tui.widgets.invoice_field import FormField
from tui.workers import error_text, run_db


@dataclass(frozen=True)
class Consents:
    patient: Patient
    records: list[ConsentRecord]


class ConsentDialog(ModalScreen[bool]):
    """The consents of patient ``patient_id``; read only without the billing role."""

    CSS_PATH = "consent.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "record", N_("Record")),
        Binding("escape", "close", N_("Close")),
    ]

    def __init__(self, session: StaffSession, patient_id: int) -> None:
        super().__init__()
        self.session = session
        self.patient_id = patient_id
        self.patient: Patient | None = None
        self.changed = False
        self.busy = False

    @property
    def may_record(self) -> bool:
        return self.session.has(Role.BILLING)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.may_record if action == "record" else True

    def compose(self) -> ComposeResult:
        tr = self.session.tr
        with VerticalScroll(id="consent-box"):
            yield Static("", id="consent-title", markup=False)
            yield Static("", id="consent-current", markup=False)
            yield Select[str](
                [(tr.gettext(CONSENT_CHANNEL[c]), c.value) for c in ConsentChannel],
                id="consent-channel",
                allow_blank=False,
                compact=True,
            )
            with Horizontal(id="consent-choice"):
                yield Select[str](
                    [(tr.gettext(N_("given")), "given"), (tr.gettext(N_("withdrawn")), "withdrawn")],
                    id="consent-state",
                    allow_blank=False,
                    compact=True,
                )
                yield Select[str](
                    [(tr.gettext(CONSENT_METHOD[m]), m.value) for m in STAFF_METHODS],
                    id="consent-method",
                    allow_blank=False,
                    compact=True,
                )
            yield Static("", id="consent-wording", markup=False)
            yield FormField(
                N_("Note"), Input(id="consent-note", compact=True, max_length=200), self.session, field="note"
            )
            with Horizontal(id="consent-buttons"):
                yield Button(
                    tr.gettext(N_("Record (Ctrl+S)")), id="consent-ok", variant="primary", compact=True
                )
                yield Button(tr.gettext(N_("Close")), id="consent-close", compact=True)
            yield Static("", id="consent-history", markup=False)

    def on_mount(self) -> None:
        translate_bindings(self, self.session.tr)
        for selector in (
            "#consent-channel",
            "#consent-choice",
            "#consent-wording",
            "FormField",
            "#consent-ok",
        ):
            for widget in self.query(selector):
                widget.display = self.may_record
        self.query_one("#consent-channel" if self.may_record else "#consent-close").focus()
        self.load()

    @work(thread=True, exclusive=True, group="consent-load")
    def load(self) -> None:
        patient_id = self.patient_id
        run_db(
            self,
            lambda: Consents(Patient.get_by_id(patient_id), consent_history(patient_id)),
            self._show,
            tr=self.session.tr,
        )

    def _show(self, consents: Consents) -> None:
        tr, session = self.session.tr, self.session
        self.patient = patient = consents.patient
        self.query_one("#consent-title", Static).update(
            tr.format(N_("Consents of {name}"), name=patient.full_name)
        )
        latest = {record.channel: record for record in reversed(consents.records)}  # newest wins

        def when(record: ConsentRecord) -> str:
            return format_datetime(
                record.recorded_at, session.timezone, tr.language, session.country, "medium"
            )

        lines = []
        for channel in ConsentChannel:
            record = latest.get(channel.value)
            state = tr.gettext(N_("given") if consented(patient, channel) else N_("not given"))
            if channel is ConsentChannel.EMAIL:
                state = tr.gettext(N_("allowed") if consented(patient, channel) else N_("withdrawn"))
            name = tr.gettext(CONSENT_CHANNEL[channel])
            if record is None:
                lines.append(tr.format(N_("{channel}: {state}"), channel=name, state=state))
            else:
                lines.append(
                    tr.format(
                        N_("{channel}: {state} since {time}"), channel=name, state=state, time=when(record)
                    )
                )
        self.query_one("#consent-current", Static).update("\n".join(lines))
        history = [tr.gettext(N_("History, newest first:"))] if consents.records else []
        for record in consents.records:
            history.append(
                tr.format(
                    N_("{time} · {channel} · {state} · {method} · {by} · wording {version}{note}"),
                    time=when(record),
                    channel=tr.gettext(CONSENT_CHANNEL[record.channel]),
                    state=tr.gettext(N_("given") if record.given else N_("withdrawn")),
                    method=tr.gettext(CONSENT_METHOD[record.method]),
                    by=record.recorded_by_name or "—",
                    version=record.wording_version or "—",
                    note=f" · {record.note}" if record.note else "",
                )
            )
        if not consents.records:
            history = [tr.gettext(N_("No consent recorded yet."))]
        self.query_one("#consent-history", Static).update("\n".join(history))
        self.show_wording()

    @on(Select.Changed, "#consent-channel")
    def show_wording(self) -> None:
        """The wording the patient is shown for the channel chosen, in their language."""
        if self.patient is None:
            return
        channel = ConsentChannel(str(self.query_one("#consent-channel", Select).value))
        wording = WORDING[channel]
        reader = translator(self.patient.language or self.session.clinic.default_language)
        self.query_one("#consent-wording", Static).update(
            self.session.tr.format(
                N_("Wording shown to the patient (version {version}):\n“{text}”"),
                version=wording.version,
                text=reader.gettext(wording.text),
            )
        )

    @on(Button.Pressed, "#consent-ok")
    def action_record(self) -> None:
        if self.busy or not self.may_record or self.patient is None:
            return
        channel = ConsentChannel(str(self.query_one("#consent-channel", Select).value))
        given = self.query_one("#consent-state", Select).value == "given"
        method = ConsentMethod(str(self.query_one("#consent-method", Select).value))
        note = self.query_one("#consent-note", Input).value
        self.busy = True
        self.record(channel, given, method, note)

    @work(thread=True, exclusive=True, group="consent-record")
    def record(self, channel: ConsentChannel, given: bool, method: ConsentMethod, note: str) -> None:
        tr, staff, patient_id = self.session.tr, self.session.staff, self.patient_id
        run_db(
            self,
            lambda: record_consent(patient_id, channel, given, method, staff=staff, note=note),
            lambda record: self._recorded(record, channel),
            tr=tr,
            failed=self._refused,
        )

    def _recorded(self, record: ConsentRecord, channel: ConsentChannel) -> None:
        tr = self.session.tr
        self.busy = False
        self.changed = True
        self.query_one("#consent-note", Input).value = ""
        self.notify(
            tr.format(
                N_("Consent recorded: {channel}, {state}"),
                channel=tr.gettext(CONSENT_CHANNEL[channel]),
                state=tr.gettext(N_("given") if record.given else N_("withdrawn")),
            )
        )
        self.load()

    def _refused(self, exc: BaseException) -> None:
        self.busy = False
        field = self.query_one(FormField)
        field.show_error(error_text(exc, self.session.tr))

    @on(Button.Pressed, "#consent-close")
    def action_close(self) -> None:
        self.dismiss(self.changed)

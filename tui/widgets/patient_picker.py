"""Pick a patient by typing: name, phone, email or insurance number; matches a page at a time.

Every keystroke starts a search in a thread worker; ``exclusive`` cancels the one before,
whose rows are then dropped, so only the latest text's matches are shown.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from locales import N_
from models.views.invoice_editing import PatientSummary, patient_page
from tui.session import StaffSession
from tui.workers import run_db

PAGE_SIZE = 6


def describe_patient(patient: PatientSummary) -> str:
    """One line: the name, then the contacts that tell two namesakes apart."""
    parts = [patient.full_name, patient.cell_phone or "", patient.email or ""]
    return "  ·  ".join(part for part in parts if part)


class PatientPicker(Vertical):
    """A search field and, while searching, a page of matches; Enter or a click picks one."""

    DEFAULT_CSS = """
    PatientPicker { height: auto; width: 1fr; }
    PatientPicker OptionList {
        height: auto; max-height: 8; display: none; border: none; padding: 0;
        text-wrap: nowrap; text-overflow: ellipsis;
    }
    PatientPicker.-searching OptionList { display: block; }
    PatientPicker .picker-page { display: none; color: $text-muted; }
    PatientPicker.-searching .picker-page { display: block; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("pagedown", "page(1)", N_("More patients"), show=False),
        Binding("pageup", "page(-1)", N_("Previous patients"), show=False),
    ]

    class Picked(Message):
        """A patient was chosen (``patient`` is ``None`` when the choice was cleared by typing)."""

        def __init__(self, picker: PatientPicker, patient: PatientSummary | None) -> None:
            super().__init__()
            self.picker = picker
            self.patient = patient

        @property
        def control(self) -> PatientPicker:
            return self.picker

    def __init__(self, session: StaffSession, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.session = session
        self.patient: PatientSummary | None = None
        self.text = ""
        self.page = 0
        self.has_more = False
        self.rows: list[PatientSummary] = []
        self.searches = 0  # finished searches, for tests that wait for results

    def compose(self) -> ComposeResult:
        yield Input(compact=True, id="patient-search")
        yield OptionList(id="patient-results")
        yield Static("", classes="picker-page")

    def on_mount(self) -> None:
        self.apply_texts()

    def apply_texts(self) -> None:
        tr = self.session.tr
        self.query_one(Input).placeholder = tr.gettext(N_("Name, phone, email or insurance number"))
        self._show_page_line()

    @property
    def input(self) -> Input:
        return self.query_one("#patient-search", Input)

    def set_patient(self, patient: PatientSummary) -> None:
        """Show ``patient`` as chosen (editing a draft, or a new invoice started from a patient)."""
        self.patient = patient
        self.input.value = patient.full_name
        self.remove_class("-searching")

    @on(Input.Changed, "#patient-search")
    def search_as_typed(self, event: Input.Changed) -> None:
        event.stop()
        if self.patient is not None and event.value == self.patient.full_name:
            return  # our own set_patient, or typed back to the chosen name
        if self.patient is not None:
            self.patient = None
            self.post_message(self.Picked(self, None))
        self.text = event.value
        self.page = 0
        self.add_class("-searching")
        self.search(self.text, 0)

    @work(thread=True, exclusive=True, group="patient-search")
    def search(self, text: str, page: int) -> None:
        found = run_db(self, lambda: patient_page(text, page, PAGE_SIZE), tr=self.session.tr)
        if found is not None and not get_current_worker().is_cancelled:
            rows, more = found
            self.app.call_from_thread(self.show_results, text, page, rows, more)

    def show_results(self, text: str, page: int, rows: list[PatientSummary], more: bool) -> None:
        if text != self.text or self.patient is not None:
            return  # typed on meanwhile, or already picked
        self.page, self.rows, self.has_more = page, rows, more
        results = self.query_one(OptionList)
        results.clear_options()
        results.add_options(Option(describe_patient(row), id=str(row.id)) for row in rows)
        if rows:
            results.highlighted = 0
        self._show_page_line()
        self.searches += 1

    def _show_page_line(self) -> None:
        tr = self.session.tr
        if not self.rows:
            text = tr.gettext(N_("No patient matches; try part of the name, the phone or the email"))
        else:
            text = tr.format(N_("Page {page}"), page=self.page + 1)
            hints = []
            if self.page:
                hints.append(tr.gettext(N_("PgUp: previous")))
            if self.has_more:
                hints.append(tr.gettext(N_("PgDn: more")))
            hints.append(tr.gettext(N_("↓ Enter: choose")))
            text = " · ".join([text, *hints])
        self.query_one(".picker-page", Static).update(text)

    def action_page(self, step: int) -> None:
        if not self.has_class("-searching"):
            return
        page = self.page + step
        if page < 0 or (step > 0 and not self.has_more):
            return
        self.search(self.text, page)

    @on(Input.Submitted, "#patient-search")
    def pick_highlighted(self, event: Input.Submitted) -> None:
        event.stop()
        results = self.query_one(OptionList)
        if self.has_class("-searching") and self.rows:
            self._pick(self.rows[results.highlighted or 0])

    def on_key(self, event) -> None:  # type: ignore[no-untyped-def]
        # Down from the search field walks into the matches; Up from the first match walks back.
        results = self.query_one(OptionList)
        if event.key == "down" and self.input.has_focus and self.rows and self.has_class("-searching"):
            results.focus()
            event.stop()
        elif event.key == "up" and results.has_focus and (results.highlighted or 0) == 0:
            self.input.focus()
            event.stop()

    @on(OptionList.OptionSelected, "#patient-results")
    def pick_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._pick(self.rows[event.option_index])

    def _pick(self, patient: PatientSummary) -> None:
        self.set_patient(patient)
        self.input.focus()
        self.post_message(self.Picked(self, patient))

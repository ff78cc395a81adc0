"""``ClinicPane``: the clinic's name, address, time zone, default language and payment terms, and
what secure delivery needs: the phone and email patients are told to contact, how many days a
download link lives (1-30) and the PIN mode automatic emails use; and the sending window
automatic messages wait for (hours, days, public holidays).

Country and region are shown, not edited: they pick the insurance number format that
patients' records were checked against. Ctrl+S saves in a worker; a refusal marks its field
and keeps what was typed.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Input, Select, Static, TextArea

from locales import N_
from models.admin.settings import ClinicInput, update_clinic
from models.core.enums import ReceiptPolicy
from models.people.clinic import Clinic
from tui.dialogs.settings_form import NOT_SAVED, SettingsForm, language_options
from tui.messages import DataChanged
from tui.session import StaffSession
from tui.texts import translate_bindings
from tui.widgets.invoice_field import FormField
from tui.widgets.pin_mode_picker import LABELS as PIN_MODE_LABELS
from tui.workers import error_text, run_db

RECEIPT_LABELS = {
    ReceiptPolicy.ONLINE: N_("For online payments"),
    ReceiptPolicy.ALL: N_("For every payment"),
    ReceiptPolicy.NONE: N_("None"),
}


def receipt_options(session: StaffSession) -> list[tuple[str, str]]:
    return [(session.tr.gettext(label), policy.value) for policy, label in RECEIPT_LABELS.items()]


def pin_mode_options(session: StaffSession) -> list[tuple[str, str]]:
    """The PIN modes as the send dialog names them."""
    return [(session.tr.gettext(label), mode.value) for mode, label in PIN_MODE_LABELS.items()]


class ClinicPane(SettingsForm, VerticalScroll):
    """The clinic's record as a form."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("ctrl+s", "save", N_("Save"))]

    def __init__(self, session: StaffSession) -> None:
        super().__init__(id="settings-clinic")
        self.session = session
        self.busy = False

    def compose(self) -> ComposeResult:
        session = self.session
        yield FormField(N_("Name"), Input(compact=True, id="clinic-name"), session, field="name")
        yield FormField(N_("Address"), TextArea(compact=True, id="clinic-address"), session, field="address")
        yield FormField(N_("Time zone"), Input(compact=True, id="clinic-timezone"), session, field="timezone")
        yield FormField(
            N_("Language"),
            Select(language_options(session), allow_blank=False, compact=True, id="clinic-language"),
            session,
            field="default_language",
        )
        yield FormField(
            N_("Terms (days)"),
            Input(compact=True, id="clinic-terms", max_length=3),
            session,
            field="payment_terms_days",
        )
        yield FormField(
            N_("Phone"), Input(compact=True, id="clinic-phone", max_length=32), session, field="phone"
        )
        yield FormField(
            N_("Email"), Input(compact=True, id="clinic-email", max_length=254), session, field="email"
        )
        yield FormField(
            N_("Link days"),
            Input(compact=True, id="clinic-link-days", max_length=2),
            session,
            field="link_days",
        )
        yield FormField(
            N_("Default PIN"),
            Select(pin_mode_options(session), allow_blank=False, compact=True, id="clinic-pin-mode"),
            session,
            field="default_pin_mode",
        )
        yield FormField(
            N_("Receipts"),
            Select(receipt_options(session), allow_blank=False, compact=True, id="clinic-receipts"),
            session,
            field="receipts",
        )
        yield Static("", id="clinic-window-hint", markup=False)
        for label, name, column, length in (
            (N_("Send from"), "clinic-send-opens", "send_opens", 5),
            (N_("Send until"), "clinic-send-closes", "send_closes", 5),
            (N_("Sending days"), "clinic-send-days", "send_days", 20),
            (N_("Public holidays"), "clinic-holidays", "holiday_calendar", 10),
        ):
            yield FormField(label, Input(compact=True, id=name, max_length=length), session, field=column)
        yield Static("", id="clinic-place", markup=False)
        with Horizontal(id="clinic-buttons"):
            yield Button("", id="clinic-save", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.fill(self.session.clinic)
        self.apply_texts()

    def apply_texts(self) -> None:
        tr = self.session.tr
        translate_bindings(self, tr)
        self.query_one("#clinic-terms", Input).placeholder = tr.gettext(N_("days, e.g. 30"))
        self.query_one("#clinic-phone", Input).placeholder = tr.gettext(N_("e.g. 514 555-0100"))
        self.query_one("#clinic-link-days", Input).placeholder = tr.gettext(N_("1 to 30, e.g. 14"))
        pin_mode = self.query_one("#clinic-pin-mode", Select)
        chosen = pin_mode.value  # new labels, same choice
        pin_mode.set_options(pin_mode_options(self.session))
        pin_mode.value = chosen if chosen != Select.NULL else self.session.clinic.default_pin_mode
        receipts = self.query_one("#clinic-receipts", Select)
        chosen = receipts.value
        receipts.set_options(receipt_options(self.session))
        receipts.value = chosen if chosen != Select.NULL else self.session.clinic.receipts
        self.query_one("#clinic-send-opens", Input).placeholder = tr.gettext(N_("HH:MM, e.g. 08:00"))
        self.query_one("#clinic-send-closes", Input).placeholder = tr.gettext(N_("HH:MM; 24:00 for midnight"))
        self.query_one("#clinic-send-days", Input).placeholder = tr.gettext(
            N_("1 = Monday … 7 = Sunday, e.g. 1-5")
        )
        self.query_one("#clinic-holidays", Input).placeholder = tr.gettext(N_("e.g. CA-QC; empty: none"))
        self.query_one("#clinic-window-hint", Static).update(
            tr.gettext(
                N_(
                    "Automatic emails, reminders and statements wait for the sending hours, in the clinic's "
                    "time zone, and skip its public holidays; a send staff make goes at once."
                )
            )
        )
        self.query_one("#clinic-save", Button).label = tr.gettext(N_("Save (Ctrl+S)"))
        clinic = self.session.clinic
        self.query_one("#clinic-place", Static).update(
            tr.format(
                N_("Country {country}, region {region}: set when the database was created."),
                country=clinic.country,
                region=clinic.region or "—",
            )
        )

    def fill(self, clinic: Clinic) -> None:
        """Show ``clinic`` as saved; what is shown becomes the unchanged state."""
        self.query_one("#clinic-name", Input).value = clinic.name
        self.query_one("#clinic-address", TextArea).text = clinic.address
        self.query_one("#clinic-timezone", Input).value = clinic.timezone
        self.query_one("#clinic-language", Select).value = clinic.default_language
        self.query_one("#clinic-terms", Input).value = str(clinic.payment_terms_days)
        self.query_one("#clinic-phone", Input).value = clinic.phone
        self.query_one("#clinic-email", Input).value = clinic.email
        self.query_one("#clinic-link-days", Input).value = str(clinic.link_days)
        self.query_one("#clinic-pin-mode", Select).value = clinic.default_pin_mode
        self.query_one("#clinic-receipts", Select).value = clinic.receipts
        self.query_one("#clinic-send-opens", Input).value = clinic.send_opens
        self.query_one("#clinic-send-closes", Input).value = clinic.send_closes
        self.query_one("#clinic-send-days", Input).value = clinic.send_days
        self.query_one("#clinic-holidays", Input).value = clinic.holiday_calendar
        self.clear_marks()
        self.call_after_refresh(self.mark_unchanged)

    def revert(self) -> None:
        self.fill(self.session.clinic)

    def focus_first(self) -> None:
        self.query_one("#clinic-name", Input).focus()

    def read(self) -> ClinicInput:
        language = self.query_one("#clinic-language", Select).value
        pin_mode = self.query_one("#clinic-pin-mode", Select).value
        receipts = self.query_one("#clinic-receipts", Select).value
        return ClinicInput(
            name=self.query_one("#clinic-name", Input).value,
            address=self.query_one("#clinic-address", TextArea).text,
            timezone=self.query_one("#clinic-timezone", Input).value,
            default_language=str(language) if language != Select.NULL else "",
            payment_terms_days=self.query_one("#clinic-terms", Input).value,
            phone=self.query_one("#clinic-phone", Input).value,
            email=self.query_one("#clinic-email", Input).value,
            link_days=self.query_one("#clinic-link-days", Input).value,
            default_pin_mode=str(pin_mode) if pin_mode != Select.NULL else "",
            receipts=str(receipts) if receipts != Select.NULL else "",
            send_opens=self.query_one("#clinic-send-opens", Input).value,
            send_closes=self.query_one("#clinic-send-closes", Input).value,
            send_days=self.query_one("#clinic-send-days", Input).value,
            holiday_calendar=self.query_one("#clinic-holidays", Input).value,
        )

    @on(Button.Pressed, "#clinic-save")
    def save_pressed(self) -> None:
        self.action_save()

    def action_save(self) -> None:
        if not self.busy:
            self.busy = True
            self.save(self.read())

    @work(thread=True, exclusive=True, group="settings-clinic-save")
    def save(self, data: ClinicInput) -> None:
        run_db(
            self,
            lambda: update_clinic(data, acting=self.session.staff),
            self._saved,
            tr=self.session.tr,
            failed=self._refused,
        )

    def _refused(self, exc: BaseException) -> None:
        self.busy = False
        self.clear_marks()
        tr = self.session.tr
        title = tr.gettext(N_("Nothing was saved"))
        if self.mark(exc):
            self.notify(tr.gettext(NOT_SAVED), title=title, severity="error")
        else:
            self.notify(error_text(exc, tr), title=title, severity="error")

    def _saved(self, clinic: Clinic) -> None:
        self.busy = False
        self.session.clinic = clinic  # the session's copy: time zone and language follow at once
        self.fill(clinic)
        retranslate = getattr(self.app, "retranslate", None)
        if callable(retranslate):
            retranslate()  # the title shows the clinic's name; staff without a language read its default
        self.notify(self.session.tr.gettext(N_("Clinic saved")))
        self.post_message(DataChanged("settings"))

"""``TemplateEditorScreen``: one template's settings and its wording in French and English, with a
live preview of each language on the latest billed invoice (or a sample one).

A template goes by email or by text message (its channel, chosen for a new or custom one). A text
message's template is a reminder or a payment link (sent by staff: no delay); it has no subject, never
attaches anything and always shows the payment link, so those settings are hidden. Its preview
shows the text as the phone gets it, and under each body a counter says its characters and SMS
(GSM-7 or UCS-2, and which character forces UCS-2), marked past ``MAX_SEGMENTS``, which the save
refuses. F2 offers a text only the fields a text may show.

F2 inserts a field where the cursor is; F3 switches language; F4 restores a shipped template's
wording; Ctrl+S saves in a worker. A refused save marks every refused part, opens the first
one's language and puts the cursor on its line; nothing is saved. Activating an invoice
template with delay 0 asks first: it emails every invoice billed from then on; activating one
while another invoice template is on asks too, naming it (each invoice would get both emails).
While the clinic sends by secure link, an invoice template says under "Attach the invoice" that
nothing is attached (the email shows the download link). A shipped template's settings are
locked; people who are not admins read everything and change nothing.
Dismisses with the template's id once saved, ``None`` otherwise.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import (
    Checkbox,
    Header,
    Input,
    Label,
    Select,
    Static,
    TabbedContent,
    TabPane,
    TextArea,
)

from locales import N_
from models.admin.templates import (
    STARTER_BODIES,
    STARTER_SUBJECT,
    TEXT_KINDS,
    SecondInvoiceEmail,
    TemplateInput,
    applies_to_every_invoice,
    display_name,
    get_template,
    preview_statement_values,
    preview_values,
)
from models.billing.invoicing import clinic_today
from models.core.enums import DelayUnit, PinMode, TemplateChannel, TemplateKind
from models.core.errors import ValidationError
from models.core.labels import DELAY_UNIT, TEMPLATE_CHANNEL, TEMPLATE_KIND
from models.database.base import utcnow
from models.messaging.system_templates import BY_KEY, SMS_REMINDER
from models.messaging.template_fields import FieldValues
from tui.dialogs.confirm import ConfirmDialog
from tui.dialogs.every_invoice import ask_every_invoice
from tui.screens.templates import ask_second_invoice_email
from tui.session import StaffSession
from tui.texts import translate_bindings
from tui.widgets.key_footer import KeyFooter
from tui.widgets.template_preview import TemplatePreview, sms_counter
from tui.workers import error_text, run_db

LANGUAGES = {"fr": N_("Français"), "en": N_("English")}
WIDGETS = {
    "name": "#tpl-name",
    "channel": "#tpl-channel",
    "kind": "#tpl-kind",
    "active": "#tpl-active",
    "delay_value": "#tpl-delay",
    "delay_unit": "#tpl-unit",
    "attach_invoice": "#tpl-attach",
    "add_payment_link": "#tpl-link",
    **{f"{part}_{lang}": f"#tpl-{part}-{lang}" for part in ("subject", "body") for lang in LANGUAGES},
}
SETTINGS = ("name", "channel", "kind", "delay_value", "delay_unit", "attach_invoice", "add_payment_link")
NEW_TEMPLATE = TemplateInput(
    name="",
    kind=TemplateKind.REMINDER.value,
    active=False,
    delay_value="15",
    delay_unit=DelayUnit.DAYS.value,
    attach_invoice=False,
    add_payment_link=True,
    subject_fr=STARTER_SUBJECT,
    body_fr=STARTER_BODIES["fr"],
    subject_en=STARTER_SUBJECT,
    body_en=STARTER_BODIES["en"],
)


class TemplateEditorScreen(Screen[int | None]):
    """Edit (or, for ``template_id`` None, create) a template; read-only for non-admins."""

    CSS_PATH = "template_editor.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", N_("Save")),
        Binding("f2", "insert_field", N_("Insert field")),
        Binding("f3", "switch_language", N_("Language")),
        Binding("f4", "restore", N_("Shipped wording")),
        Binding("escape", "leave", N_("Back")),
    ]

    def __init__(self, session: StaffSession, template_id: int | None = None) -> None:
        super().__init__()
        self.session = session
        self.template_id = template_id
        self.system_key: str | None = None
        self.loaded: TemplateInput | None = None
        self.saved_state: TemplateInput | None = None
        self.busy = False
        self.previews: dict[bool, tuple[FieldValues, str]] = {}
        self.texting = False  # the channel the kinds offered and the starter bodies are for

    @property
    def editable(self) -> bool:
        return self.session.is_admin

    def compose(self) -> ComposeResult:
        tr = self.session.tr
        yield Header(icon="✉")
        yield Static("", id="tpl-title")
        with Horizontal(classes="tpl-row"):
            yield Label(tr.gettext(N_("Name")), classes="tpl-label")
            yield Input(id="tpl-name", compact=True, max_length=200)
            yield Select[str](
                [(tr.gettext(TEMPLATE_KIND[kind]), kind.value) for kind in self._kinds(False)],
                id="tpl-kind",
                compact=True,
                allow_blank=False,
            )
            yield Checkbox(tr.gettext(N_("Active")), id="tpl-active", compact=True)
        with Horizontal(classes="tpl-row"):
            yield Label(tr.gettext(N_("Delay")), classes="tpl-label")
            yield Input(id="tpl-delay", compact=True, max_length=5, restrict=r"\d*")
            yield Select[str](
                [(tr.gettext(DELAY_UNIT[unit]), unit.value) for unit in DelayUnit],
                id="tpl-unit",
                compact=True,
                allow_blank=False,
            )
            yield Label("", id="tpl-delay-hint", classes="tpl-hint")
        with Horizontal(classes="tpl-row"):
            yield Label(tr.gettext(N_("Channel")), classes="tpl-label")
            channels = [(tr.gettext(label), channel) for channel, label in TEMPLATE_CHANNEL.items()]
            channel = Select[str](channels, id="tpl-channel", compact=True, allow_blank=False)
            # as wide as its longest choice and the arrow: a French "courriel" leaves the boxes room
            channel.styles.width = max(len(label) for label, _ in channels) + 3
            yield channel
            yield Checkbox(tr.gettext(N_("Attach the invoice")), id="tpl-attach", compact=True)
            yield Checkbox(tr.gettext(N_("Add a payment link")), id="tpl-link", compact=True)
            yield Label(
                tr.gettext(N_("no attachment, always the payment link")),
                id="tpl-text-hint",
                classes="tpl-hint",
            )
        yield Static(
            tr.gettext(
                N_(
                    "The clinic sends invoices by secure link: nothing is attached; the email shows "
                    "the download link instead."
                )
            ),
            id="tpl-attach-hint",
            markup=False,
        )
        with TabbedContent(id="tpl-languages"):
            for lang, title in LANGUAGES.items():
                with TabPane(tr.gettext(title), id=f"tpl-pane-{lang}"), Horizontal(classes="tpl-wording"):
                    with Vertical(classes="tpl-source"):
                        with Horizontal(classes="tpl-subject-row"):
                            yield Label(tr.gettext(N_("Subject")), classes="tpl-label")
                            yield Input(id=f"tpl-subject-{lang}", compact=True, max_length=200)
                        yield TextArea(id=f"tpl-body-{lang}", show_line_numbers=True, compact=True)
                        yield Static("", id=f"tpl-count-{lang}", classes="tpl-count", markup=False)
                    yield TemplatePreview(self.session, lang, id=f"tpl-preview-{lang}")
        yield Static("", id="tpl-error", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        tr = self.session.tr
        translate_bindings(self, tr)
        self.query_one("#tpl-error").display = False
        self.query_one("#tpl-attach-hint").display = False
        self.load()

    @work(thread=True, exclusive=True, group="template-editor-load")
    def load(self) -> None:
        clinic = self.session.clinic
        clock = getattr(self.app, "clock", utcnow)  # the app's clock: tests and snapshots freeze it

        def read() -> tuple[TemplateInput, str | None, dict[bool, tuple[FieldValues, str]]]:
            tr = self.session.tr
            template = get_template(self.template_id) if self.template_id is not None else None
            today = clinic_today(clinic, clock())
            values, invoice = preview_values(clinic, today)
            on_statement, statement = preview_statement_values(clinic, today)
            previews = {  # what the preview shows, for a statement template (True) or another
                False: (
                    values,
                    tr.format(N_("invoice {number}"), number=invoice.number)
                    if invoice
                    else tr.gettext(N_("a sample invoice")),
                ),
                True: (
                    on_statement,
                    tr.format(N_("statement {reference}"), reference=statement.reference)
                    if statement
                    else tr.gettext(N_("a sample statement")),
                ),
            }
            data = TemplateInput.of(template) if template is not None else NEW_TEMPLATE
            if template is not None and template.is_system:
                data = TemplateInput(**{**data.__dict__, "name": display_name(template, tr)})
            key = template.system_key if template is not None else None
            return data, key, previews

        run_db(self, read, lambda loaded: self._loaded(*loaded), tr=self.session.tr)

    def _loaded(
        self, data: TemplateInput, system_key: str | None, previews: dict[bool, tuple[FieldValues, str]]
    ) -> None:
        self.system_key = system_key
        self.loaded = data
        self.previews = previews
        self.fill(data)
        self.show_channel()
        self._lock()
        self._show_title()
        self.saved_state = self.read()
        self.query_one("#tpl-name" if self.editable and not system_key else "#tpl-body-fr").focus()
        self.refresh_bindings()

    def fill(self, data: TemplateInput) -> None:
        self.query_one("#tpl-name", Input).value = data.name
        self.query_one("#tpl-channel", Select).value = data.channel
        self.texting = data.channel == TemplateChannel.SMS
        self._offer_kinds(data.kind)
        self.query_one("#tpl-active", Checkbox).value = data.active
        self.query_one("#tpl-delay", Input).value = data.delay_value
        self.query_one("#tpl-unit", Select).value = data.delay_unit
        self.query_one("#tpl-attach", Checkbox).value = data.attach_invoice
        self.query_one("#tpl-link", Checkbox).value = data.add_payment_link
        self.fill_wording(data.wording())

    def fill_wording(self, wording: dict[str, str]) -> None:
        for lang in LANGUAGES:
            self.query_one(f"#tpl-subject-{lang}", Input).value = wording[f"subject_{lang}"]
            self.query_one(f"#tpl-body-{lang}", TextArea).text = wording[f"body_{lang}"]
            self._preview(lang)

    def _lock(self) -> None:
        """Shipped templates keep their settings; non-admins change nothing."""
        for name in SETTINGS:
            self.query_one(WIDGETS[name]).disabled = not self.editable or self.system_key is not None
        self.query_one("#tpl-active").disabled = not self.editable
        for lang in LANGUAGES:
            self.query_one(f"#tpl-subject-{lang}", Input).disabled = not self.editable
            self.query_one(f"#tpl-body-{lang}", TextArea).read_only = not self.editable

    def _kind(self) -> str:
        kind = self.query_one("#tpl-kind", Select).value
        return kind if isinstance(kind, str) else TemplateKind.INVOICE.value

    @staticmethod
    def _kinds(texting: bool, keep: str = "") -> list[TemplateKind]:
        """A text is a reminder or a payment link; an email anything but a payment link alone
        (``keep``, the kind a template has, stays offered: the save says what is wrong with it)."""
        return [
            kind
            for kind in TemplateKind
            if kind == keep or (kind in TEXT_KINDS if texting else kind != TemplateKind.PAYMENT)
        ]

    def _offer_kinds(self, keep: str) -> None:
        """The kinds of the channel, ``keep`` chosen if it is one (a reminder otherwise)."""
        kinds = self._kinds(self.texting, keep)
        select = self.query_one("#tpl-kind", Select)
        select.set_options((self.session.tr.gettext(TEMPLATE_KIND[kind]), kind.value) for kind in kinds)
        select.value = keep if keep in kinds else TemplateKind.REMINDER.value

    def _channel(self) -> str:
        channel = self.query_one("#tpl-channel", Select).value
        return channel if isinstance(channel, str) else TemplateChannel.EMAIL.value

    @on(Select.Changed, "#tpl-channel")
    def show_channel(self) -> None:
        """The settings and the kinds of the channel chosen; a new template's starter bodies become
        the channel's (a text's: the shipped text reminder's wording)."""
        texting = self._channel() == TemplateChannel.SMS
        if texting != self.texting:
            before = self._starters()
            self.texting = texting
            self._offer_kinds(self._kind())
            if self.template_id is None:
                for lang, starter in self._starters().items():
                    body = self.query_one(f"#tpl-body-{lang}", TextArea)
                    if body.text.strip() == before[lang].strip():
                        body.text = starter
        for widget in self.query(".tpl-subject-row, #tpl-attach, #tpl-link"):
            widget.display = not texting
        for widget in self.query(".tpl-count, #tpl-text-hint"):
            widget.display = texting
        for preview in self.query(TemplatePreview):
            preview.texting = texting
        self.kind_changed()

    def _starters(self) -> dict[str, str]:
        """What a new template's bodies start with, for the channel: an email's must be written on."""
        if not self.texting:
            return STARTER_BODIES
        wording = SMS_REMINDER.wording()
        return {lang: wording[f"body_{lang}"] for lang in LANGUAGES}

    @on(Select.Changed, "#tpl-kind")
    def kind_changed(self) -> None:
        """What the delay means, what is attached, and what the preview is on, for the kind chosen."""
        tr = self.session.tr
        kind = self._kind()
        statement = kind == TemplateKind.STATEMENT
        # an invoice email (or a statement) sent by secure link carries the link, never the PDF
        secure = self.session.clinic.default_pin_mode != PinMode.NONE.value
        self.query_one("#tpl-attach-hint").display = (
            secure and kind != TemplateKind.REMINDER and not self.texting
        )
        for widget in self.query("#tpl-delay, #tpl-unit"):
            widget.display = kind != TemplateKind.PAYMENT  # staff send it: no delay
        if kind == TemplateKind.PAYMENT:
            hint = N_("none: staff send it from the send dialog (Ctrl+T)")
        elif statement:
            hint = N_("between two statements, instead of reminders")
        else:
            hint = N_("after the invoice is issued (0: on billing)")
        self.query_one("#tpl-delay-hint", Label).update(tr.gettext(hint))
        self.query_one("#tpl-attach", Checkbox).label = tr.gettext(
            N_("Attach the statement") if statement else N_("Attach the invoice")
        )
        if statement in self.previews:
            values, source = self.previews[statement]
            for lang in LANGUAGES:
                preview = self.query_one(f"#tpl-preview-{lang}", TemplatePreview)
                preview.values = values
                preview.describe(source)
                self._preview(lang)

    def _show_title(self) -> None:
        tr = self.session.tr
        if not self.editable:
            note = tr.gettext(N_("Read only: only admins change templates."))
        elif self.system_key:
            note = tr.gettext(N_("Shipped: only its wording and Active change; duplicate it for the rest."))
        elif self.template_id is None:
            note = tr.gettext(N_("New template"))
        else:
            note = tr.gettext(N_("Custom template"))
        self.query_one("#tpl-title", Static).update(note)

    def read(self) -> TemplateInput:
        def text(selector: str) -> str:
            return self.query_one(selector, Input).value

        def chosen(selector: str) -> str:
            value = self.query_one(selector, Select).value
            return value if isinstance(value, str) else ""

        def ticked(selector: str) -> bool:
            return self.query_one(selector, Checkbox).value

        kind = chosen("#tpl-kind")
        return TemplateInput(
            name=text("#tpl-name"),
            channel=chosen("#tpl-channel"),
            kind=kind,
            active=ticked("#tpl-active"),
            # a payment link goes when staff send it: its delay (hidden) is none
            delay_value="0" if kind == TemplateKind.PAYMENT else text("#tpl-delay"),
            delay_unit=chosen("#tpl-unit"),
            attach_invoice=ticked("#tpl-attach"),
            add_payment_link=ticked("#tpl-link"),
            **{f"subject_{lang}": text(f"#tpl-subject-{lang}") for lang in LANGUAGES},
            **{f"body_{lang}": self.query_one(f"#tpl-body-{lang}", TextArea).text for lang in LANGUAGES},
        )

    @property
    def dirty(self) -> bool:
        return self.saved_state is not None and self.read() != self.saved_state

    # Live preview -----------------------------------------------------------------------

    @on(Input.Changed, "#tpl-subject-fr, #tpl-subject-en")
    @on(TextArea.Changed, "#tpl-body-fr, #tpl-body-en")
    def wording_changed(self, event: Input.Changed | TextArea.Changed) -> None:
        widget_id = event.control.id or ""
        self._preview(widget_id.rsplit("-", 1)[-1])

    def _preview(self, lang: str) -> None:
        self.query_one(f"#tpl-preview-{lang}", TemplatePreview).show(
            self.query_one(f"#tpl-subject-{lang}", Input).value,
            self.query_one(f"#tpl-body-{lang}", TextArea).text,
        )

    @on(TemplatePreview.TextShown)
    def count_text(self, event: TemplatePreview.TextShown) -> None:
        """The text's characters and SMS under its body; marked past what a template may cost."""
        counter = self.query_one(f"#tpl-count-{event.preview.language}", Static)
        line, over = sms_counter(event.text, self.session.tr) if event.text is not None else ("", False)
        counter.update(line)
        counter.set_class(over, "-over")

    # Actions ----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("save", "insert_field"):
            return self.editable and self.loaded is not None
        if action == "restore":
            return self.editable and self.system_key is not None
        return True

    def action_switch_language(self) -> None:
        tabs = self.query_one("#tpl-languages", TabbedContent)
        tabs.active = "tpl-pane-en" if tabs.active == "tpl-pane-fr" else "tpl-pane-fr"
        self.query_one(f"#tpl-body-{self._language()}").focus()

    def _language(self) -> str:
        return self.query_one("#tpl-languages", TabbedContent).active.rsplit("-", 1)[-1]

    def action_insert_field(self) -> None:
        from tui.dialogs.field_picker import FieldPicker

        target = self.focused
        lang = self._language()
        if not isinstance(target, Input | TextArea) or not (target.id or "").startswith(
            ("tpl-subject", "tpl-body")
        ):
            target = self.query_one(f"#tpl-body-{lang}", TextArea)
        subject = isinstance(target, Input)

        def insert(name: str | None) -> None:
            if not name:
                return
            if isinstance(target, Input):
                target.insert_text_at_cursor(f"{{{{ {name} }}}}")
            else:
                target.insert(f"{{{{ {name} }}}}")
            target.focus()

        picker = FieldPicker(self.session, subject=subject, kind=self._kind(), texting=self.texting)
        self.app.push_screen(picker, insert)

    def action_restore(self) -> None:
        shipped = BY_KEY.get(self.system_key or "")
        if shipped is None:
            return
        tr = self.session.tr
        question = tr.gettext(N_("Put back the shipped wording in both languages? Ctrl+S then saves it."))

        def answered(yes: bool | None) -> None:
            if yes:
                self.fill_wording(shipped.wording())

        self.app.push_screen(
            ConfirmDialog(question, tr.gettext(N_("Put it back")), tr.gettext(N_("Keep mine"))), answered
        )

    def action_save(self) -> None:
        if self.busy or not self.editable or self.loaded is None:
            return
        data = self.read()
        was = self.saved_state or self.loaded
        if applies_to_every_invoice(
            data.kind, data.delay_value, data.active
        ) and not applies_to_every_invoice(was.kind, was.delay_value, was.active):
            ask_every_invoice(self.app, self.session, lambda: self._save(data))
            return
        self._save(data)

    def _save(self, data: TemplateInput, *, confirm_second: bool = False) -> None:
        self.busy = True
        self.save(data, confirm_second)

    @work(thread=True, exclusive=True, group="template-editor-save")
    def save(self, data: TemplateInput, confirm_second: bool = False) -> None:
        from models.admin.templates import save_template

        run_db(
            self,
            lambda: save_template(
                self.template_id,
                data,
                acting=self.session.staff,
                clinic=self.session.clinic,
                confirm_second=confirm_second,
            ),
            lambda saved: self.dismiss(saved.id),
            tr=self.session.tr,
            failed=lambda exc: self._refused(exc, data),
        )

    def _refused(self, exc: BaseException, data: TemplateInput) -> None:
        self.busy = False
        tr = self.session.tr
        if isinstance(exc, SecondInvoiceEmail):
            ask_second_invoice_email(
                self.app, self.session, exc, lambda: self._save(data, confirm_second=True)
            )
            return
        for selector in WIDGETS.values():
            self.query_one(selector).remove_class("-invalid")
        errors = [
            e for e in getattr(exc, "errors", [exc]) if isinstance(e, ValidationError) and e.field in WIDGETS
        ]
        if not errors:
            self.notify(error_text(exc, tr), title=tr.gettext(N_("Nothing was saved")), severity="error")
            return
        for error in errors:
            self.query_one(WIDGETS[error.field]).add_class("-invalid")
        box = self.query_one("#tpl-error", Static)
        box.update("\n".join(error.render(tr) for error in errors))
        box.display = True
        self._focus_problem(errors[0])
        self.notify(tr.gettext(N_("Nothing was saved: please correct what is marked")), severity="error")

    def _focus_problem(self, error: ValidationError) -> None:
        """Open the refused part's language and put the cursor on the refused line."""
        widget: Widget = self.query_one(WIDGETS[error.field])
        lang = error.field.rsplit("_", 1)[-1]
        if lang in LANGUAGES:
            self.query_one("#tpl-languages", TabbedContent).active = f"tpl-pane-{lang}"
        line = error.params.get("line")
        if isinstance(widget, TextArea) and isinstance(line, int):
            widget.cursor_location = (max(line - 1, 0), 0)
        if widget.focusable:
            widget.focus()

    def action_leave(self) -> None:
        if not self.dirty:
            self.dismiss(None)
            return
        tr = self.session.tr
        dialog = ConfirmDialog(
            tr.gettext(N_("Leave this template? Your changes have not been saved.")),
            tr.gettext(N_("Leave without saving")),
            tr.gettext(N_("Keep editing")),
        )

        def answered(leave: bool | None) -> None:
            if leave:
                self.dismiss(None)

        self.app.push_screen(dialog, answered)

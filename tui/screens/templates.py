"""``TemplatesScreen``: the templates, shipped and custom, each sent by email or by text message (the
Channel column); admins change them, others read them.

Enter (or ``e``) opens the editor; ``a`` adds a custom template, ``d`` duplicates the one selected,
``t`` turns it on or off, ``x`` deletes a custom one (after a confirmation). Turning on an invoice
template with delay 0 asks first: it emails every invoice billed from then on. Turning on an invoice
template while another is on asks too, naming it (each invoice would get both emails): the model
refuses it unconfirmed (``SecondInvoiceEmail``), and ``ask_second_invoice_email`` asks before the
retry; the editor asks the same way. The list is read in a worker (a clinic has a handful of templates).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.markup import escape
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from locales import N_, Translator
from models.admin.templates import (
    SecondInvoiceEmail,
    applies_to_every_invoice,
    delete_template,
    display_name,
    duplicate_template,
    list_templates,
    set_active,
)
from models.core.enums import DelayUnit, Role, TemplateKind
from models.core.labels import TEMPLATE_CHANNEL, TEMPLATE_KIND
from models.messaging.tables import Template
from tui.dialogs.confirm import ConfirmDialog
from tui.dialogs.every_invoice import ask_every_invoice
from tui.messages import DataChanged
from tui.session import RoleDenied, StaffSession
from tui.texts import translate_bindings
from tui.widgets.key_footer import KeyFooter
from tui.widgets.plain_table import PlainTable
from tui.workers import error_text, run_db

COLUMNS = (N_("Name"), N_("Kind"), N_("Channel"), N_("When"), N_("Active"), N_("Attach"), N_("Pay link"))
YES, NO = N_("yes"), N_("no")
# how a template's messages go, as the list and the editor name it


def delay_text(template: Template, tr: Translator) -> str:
    """ "on billing", "15 days after", a statement's "every 1 month", a payment link's "sent by
    staff"… (literal plurals, so the catalogs extract them)."""
    count = template.delay_value
    if template.kind == TemplateKind.PAYMENT:
        return tr.gettext(N_("sent by staff"))
    if count == 0:
        return tr.gettext(N_("on billing"))
    if template.kind == TemplateKind.STATEMENT:
        return _period_text(template, tr)
    if template.delay_unit == DelayUnit.HOURS:
        return tr.nformat("{count} hour after", "{count} hours after", count, count=count)
    if template.delay_unit == DelayUnit.MONTHS:
        return tr.nformat("{count} month after", "{count} months after", count, count=count)
    return tr.nformat("{count} day after", "{count} days after", count, count=count)


def _period_text(template: Template, tr: Translator) -> str:
    """A statement template's delay is its period."""
    count = template.delay_value
    if template.delay_unit == DelayUnit.HOURS:
        return tr.nformat("every {count} hour", "every {count} hours", count, count=count)
    if template.delay_unit == DelayUnit.MONTHS:
        return tr.nformat("every {count} month", "every {count} months", count, count=count)
    return tr.nformat("every {count} day", "every {count} days", count, count=count)


def ask_second_invoice_email(
    app: App[object], session: StaffSession, refusal: SecondInvoiceEmail, go: Callable[[], object]
) -> None:
    """Say which invoice template is on already and that each invoice would get both emails;
    ``go()`` (the retry with ``confirm_second``) runs only on yes."""
    tr = session.tr
    question = tr.format(N_("{reason}.\n\nTurn it on anyway?"), reason=refusal)
    dialog = ConfirmDialog(question, tr.gettext(N_("Turn it on too")), tr.gettext(N_("Not now")))

    def answered(yes: bool | None) -> None:
        if yes:
            go()

    app.push_screen(dialog, answered)


class TemplatesScreen(Screen[None]):
    """The list of templates; Escape goes back."""

    CSS_PATH = "templates.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "leave", N_("Back")),
        Binding("e", "edit", N_("Open")),
        Binding("a", "add", N_("New")),
        Binding("d", "duplicate", N_("Duplicate")),
        Binding("t", "toggle_active", N_("On / off")),
        Binding("x", "delete", N_("Delete")),
    ]

    def __init__(self, session: StaffSession) -> None:
        super().__init__()
        self.session = session
        self.templates: list[Template] = []

    def compose(self) -> ComposeResult:
        yield Header(icon="✉")
        yield Static("", id="templates-title")
        yield PlainTable(id="templates-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="templates-help", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.apply_texts()
        self.query_one(DataTable).focus()
        self.reload()

    def apply_texts(self) -> None:
        tr = self.session.tr
        translate_bindings(self, tr)
        title = tr.gettext(N_("Templates: invoice emails, reminders, statements and text messages"))
        self.query_one("#templates-title", Static).update(f"[b]{escape(title)}[/b]")
        table = self.query_one(DataTable)
        current = self.current  # before the clear, which puts the cursor back on the first row
        table.clear(columns=True)
        table.add_columns(*(tr.gettext(column) for column in COLUMNS))
        self.show(self.templates, current.id if current is not None else None)

    @work(thread=True, exclusive=True, group="templates-load")
    def reload(self, select_id: int | None = None) -> None:
        run_db(self, list_templates, lambda templates: self.show(templates, select_id), tr=self.session.tr)

    def show(self, templates: list[Template], select_id: int | None = None) -> None:
        table = self.query_one(DataTable)
        current = self.current
        keep = select_id if select_id is not None else current.id if current is not None else None
        self.templates = templates
        table.clear()
        for template in templates:
            table.add_row(*self._cells(template), key=str(template.id))
        for index, template in enumerate(templates):
            if template.id == keep:
                table.move_cursor(row=index, animate=False)
        self._show_help()
        self.refresh_bindings()

    def _cells(self, template: Template) -> tuple[str, ...]:
        tr = self.session.tr
        when = delay_text(template, tr)
        name = display_name(template, tr)
        return (
            f"★ {name}" if template.is_system else name,
            tr.gettext(TEMPLATE_KIND[template.kind]),
            tr.gettext(TEMPLATE_CHANNEL[template.channel]),
            when,
            tr.gettext(YES if template.active else NO),
            tr.gettext(YES if template.attach_invoice else NO),
            tr.gettext(YES if template.add_payment_link else NO),
        )

    @property
    def current(self) -> Template | None:
        table = self.query_one(DataTable)
        if not self.templates or not 0 <= table.cursor_row < len(self.templates):
            return None
        return self.templates[table.cursor_row]

    @on(DataTable.RowHighlighted)
    def highlighted(self) -> None:
        self._show_help()
        self.refresh_bindings()

    def _show_help(self) -> None:
        tr = self.session.tr
        template = self.current
        if not self.session.is_admin:
            text = tr.gettext(
                N_("Read only: only admins change templates. Enter shows one with its preview.")
            )
        elif template is not None and template.is_system:
            text = tr.gettext(N_("★ Shipped: on/off and wording only; d duplicates it to change the rest"))
        else:
            text = tr.gettext(N_("Enter opens the template; a adds one; t turns it on or off."))
        self.query_one("#templates-help", Static).update(text)

    # Actions ----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        template = self.current
        if action in ("edit", "duplicate", "toggle_active"):
            return template is not None
        if action == "delete":
            return template is not None and not template.is_system
        return True

    def _admin(self) -> bool:
        try:
            self.session.require(Role.ADMIN)
        except RoleDenied as exc:
            self.notify(exc.render(self.session.tr), severity="warning")
            return False
        return True

    @on(DataTable.RowSelected)
    def action_edit(self) -> None:
        template = self.current
        if template is not None:
            self._open(template.id)

    def action_add(self) -> None:
        if self._admin():
            self._open(None)

    def _open(self, template_id: int | None) -> None:
        from tui.screens.template_editor import TemplateEditorScreen

        def closed(saved_id: int | None) -> None:
            if saved_id is not None:
                self.notify(self.session.tr.gettext(N_("Saved")))
                self.post_message(DataChanged("templates"))
                self.reload(saved_id)

        self.app.push_screen(TemplateEditorScreen(self.session, template_id), closed)

    def action_toggle_active(self) -> None:
        template = self.current
        if template is None or not self._admin():
            return
        active = not template.active
        if applies_to_every_invoice(template.kind, template.delay_value, active):
            ask_every_invoice(self.app, self.session, lambda: self.write("toggle", template.id, active))
            return
        self.write("toggle", template.id, active)

    def action_duplicate(self) -> None:
        template = self.current
        if template is not None and self._admin():
            self.write("duplicate", template.id, False)

    def action_delete(self) -> None:
        template = self.current
        if template is None or template.is_system or not self._admin():
            return
        tr = self.session.tr
        question = tr.format(N_("Delete the template “{name}”?"), name=template.name)
        dialog = ConfirmDialog(question, tr.gettext(N_("Delete it")), tr.gettext(N_("Keep it")))

        def answered(yes: bool | None) -> None:
            if yes:
                self.write("delete", template.id, False)

        self.app.push_screen(dialog, answered)

    @work(thread=True, group="templates-write")
    def write(self, what: str, template_id: int, active: bool, confirm_second: bool = False) -> None:
        tr, staff = self.session.tr, self.session.staff

        def change() -> tuple[str, int | None]:
            if what == "toggle":
                template = set_active(template_id, active, acting=staff, confirm_second=confirm_second)
                msgid = N_("“{name}” is on") if template.active else N_("“{name}” is off")
                return tr.format(msgid, name=display_name(template, tr)), template_id
            if what == "duplicate":
                copy = duplicate_template(template_id, acting=staff, tr=tr)
                return tr.format(N_("“{name}” was added, off"), name=copy.name), copy.id
            delete_template(template_id, acting=staff)
            return tr.gettext(N_("The template was deleted")), None

        def refused(exc: BaseException) -> None:
            if not isinstance(exc, SecondInvoiceEmail):
                self.notify(error_text(exc, tr), severity="error")
                return
            ask_second_invoice_email(
                self.app,
                self.session,
                exc,
                lambda: self.write(what, template_id, active, confirm_second=True),
            )

        run_db(self, change, lambda written: self._written(*written), tr=tr, failed=refused)

    def _written(self, text: str, select: int | None) -> None:
        self.notify(text)
        self.post_message(DataChanged("templates"))
        self.reload(select)

    def action_leave(self) -> None:
        self.dismiss(None)

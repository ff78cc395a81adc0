"""The Settings tab (admins): a list of sections on the left, the chosen one on the right.

Clinic is a form in place; Billing companies, Staff and roles, and Taxes are tables whose rows
open a dialog. Leaving the clinic form with unsaved changes asks first. A non-admin never gets
here (the tab is disabled); built for one anyway, the view shows why and nothing else.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import ContentSwitcher, OptionList, Static
from textual.widgets.option_list import Option

from locales import N_
from models.core.enums import Role
from tui.session import RoleDenied, StaffSession

SECTIONS = (
    ("settings-clinic", N_("Clinic")),
    ("settings-companies", N_("Billing companies")),
    ("settings-staff", N_("Staff and roles")),
    ("settings-taxes", N_("Taxes")),
)


class SettingsView(Vertical):
    """Four sections; Up/Down in the list picks one, Tab goes into it."""

    def __init__(self, session: StaffSession) -> None:
        super().__init__(id="settings-view")
        self.session = session
        self.denied: str | None = None
        try:
            session.require(Role.ADMIN)
        except RoleDenied as exc:
            self.denied = exc.render(session.tr)
        self._switching = False

    def compose(self) -> ComposeResult:
        if self.denied is not None:
            yield Static(self.denied, id="settings-denied", markup=False)
            return
        from tui.screens.settings_clinic import ClinicPane
        from tui.screens.settings_tables import CompaniesPane, StaffPane
        from tui.screens.settings_taxes import TaxesPane

        with Horizontal():
            yield OptionList(*(Option("", id=pane) for pane, _ in SECTIONS), id="settings-sections")
            with ContentSwitcher(initial="settings-clinic", id="settings-content"):
                yield ClinicPane(self.session)
                yield CompaniesPane(self.session)
                yield StaffPane(self.session)
                yield TaxesPane(self.session)

    def on_mount(self) -> None:
        self.apply_texts()

    def apply_texts(self) -> None:
        if self.denied is not None:
            return
        tr = self.session.tr
        sections = self.query_one("#settings-sections", OptionList)
        highlighted = sections.highlighted
        sections.clear_options()
        sections.add_options(Option(tr.gettext(title), id=pane) for pane, title in SECTIONS)
        sections.highlighted = highlighted if highlighted is not None else 0

    def focus_first(self) -> None:
        if self.denied is None:
            self.query_one("#settings-sections", OptionList).focus()

    @property
    def current(self) -> str | None:
        return self.query_one(ContentSwitcher).current

    def show_section(self, pane: str) -> None:
        """Switch to ``pane`` (e.g. ``"settings-staff"``), asking first if the clinic form has changes."""
        from tui.screens.settings_clinic import ClinicPane

        clinic = self.query_one(ClinicPane)
        if self.current == "settings-clinic" and pane != "settings-clinic" and clinic.dirty:
            self._ask_leave(pane)
            return
        self._switch(pane)

    def _switch(self, pane: str) -> None:
        self.query_one(ContentSwitcher).current = pane
        sections = self.query_one("#settings-sections", OptionList)
        index = sections.get_option_index(pane)
        if sections.highlighted != index:
            self._switching = True
            sections.highlighted = index

    def _ask_leave(self, pane: str) -> None:
        from tui.dialogs.confirm import ConfirmDialog
        from tui.screens.settings_clinic import ClinicPane

        tr = self.session.tr

        def answered(leave: bool | None) -> None:
            if leave:
                self.query_one(ClinicPane).revert()
                self._switch(pane)
            else:
                self._switch("settings-clinic")
                self.query_one(ClinicPane).focus_first()

        dialog = ConfirmDialog(
            tr.gettext(N_("Leave the clinic's settings? Your changes have not been saved.")),
            tr.gettext(N_("Leave without saving")),
            tr.gettext(N_("Keep editing")),
        )
        self.app.push_screen(dialog, answered)

    @on(OptionList.OptionHighlighted, "#settings-sections")
    def section_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if self._switching:
            self._switching = False
            return
        if event.option.id is not None:
            self.show_section(event.option.id)

    @on(OptionList.OptionSelected, "#settings-sections")
    def section_chosen(self, event: OptionList.OptionSelected) -> None:
        pane = self.query_one(f"#{event.option.id}")
        focus_first = getattr(pane, "focus_first", None)
        if self.current == event.option.id and callable(focus_first):
            focus_first()

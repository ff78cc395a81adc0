"""The main screen: the Patients, History and Settings tabs, the status bar and the footer."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import PurePath
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Header, TabbedContent, TabPane

from locales import N_
from models.core.enums import Role
from tui.messages import NewInvoice
from tui.notice_watcher import NoticeWatcher
from tui.session import RoleDenied, StaffSession
from tui.texts import translate_bindings
from tui.widgets.key_footer import KeyFooter
from tui.widgets.status_bar import StatusBar

TAB_TITLES = {"patients": N_("Patients"), "history": N_("History"), "settings": N_("Settings")}
TAB_KEYS = {"patients": "F2", "history": "F3", "settings": "F4"}  # shown on the tabs, not in the footer


class MainScreen(Screen[None]):
    """Where the day is spent; F2/F3/F4 switch tabs, F5 shows what was sent, F6 what is scheduled,
    F7 the email templates, F9 the notifications; Ctrl+N starts an invoice."""

    CSS_PATH: ClassVar[list[str | PurePath]] = ["main.tcss", "patients.tcss", "history.tcss", "settings.tcss"]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f2", "show_tab('patients')", N_("Patients"), show=False),  # the tab shows its key
        Binding("f3", "show_tab('history')", N_("History"), show=False),  # the tab shows its key
        Binding("f4", "show_tab('settings')", N_("Settings"), show=False),  # the tab shows its key
        Binding("f5", "transmissions", N_("Transmissions")),
        Binding("f6", "communications", N_("Communications")),
        Binding("f7", "templates", N_("Templates")),
        Binding("f9", "notifications", N_("Notifications")),
        Binding("ctrl+n", "new_invoice", N_("New invoice")),
    ]

    def __init__(self, session: StaffSession, *, clock: Callable[[], datetime]) -> None:
        super().__init__()
        self.session = session
        self.clock = clock

    def compose(self) -> ComposeResult:
        from textual.lazy import Lazy

        from tui.screens.history import HistoryView
        from tui.screens.patients import PatientsView
        from tui.screens.settings import SettingsView

        yield Header(icon="✉")
        with TabbedContent(initial="patients"):
            with TabPane("", id="patients"):
                yield PatientsView(self.session)
            with TabPane("", id="history"):
                yield HistoryView(self.session)
            with TabPane("", id="settings", disabled=not self.session.is_admin):
                if self.session.is_admin:  # built after the first frame: the patient list shows sooner
                    yield Lazy(SettingsView(self.session))
        yield StatusBar(self.session, clock=self.clock)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.apply_texts()
        NoticeWatcher(self.app, self.session).start()  # toasts for new notifications, on every screen

    def apply_texts(self) -> None:
        tr = self.session.tr
        tabs = self.query_one(TabbedContent)
        for pane_id, title in TAB_TITLES.items():
            tab = tabs.get_tab(pane_id)
            tab.label = Content.assemble((TAB_KEYS[pane_id], "bold"), " ", tr.gettext(title))
            if pane_id == "settings" and not self.session.is_admin:
                tab.tooltip = self._settings_denied_reason()
        translate_bindings(self, tr)

    def _settings_denied_reason(self) -> str:
        try:
            self.session.require(Role.ADMIN)
        except RoleDenied as exc:
            return exc.render(self.session.tr)
        return ""

    def action_show_tab(self, pane_id: str) -> None:
        if pane_id == "settings" and not self.session.is_admin:
            self.notify(self._settings_denied_reason(), severity="warning")
            return
        tabs = self.query_one(TabbedContent)
        tabs.active = pane_id
        # Focus the tab's first field now, not once TabActivated is handled: keys typed right after
        # the F key are already queued behind it and would reach the tab left behind.
        self._focus_view(tabs.get_pane(pane_id))

    def action_new_invoice(self) -> None:
        self.post_message(NewInvoice())

    def action_transmissions(self) -> None:
        from tui.screens.transmissions import TransmissionsScreen

        self.app.push_screen(TransmissionsScreen(self.session))

    def action_communications(self) -> None:
        from tui.screens.communications import CommunicationsScreen

        self.app.push_screen(CommunicationsScreen(self.session))

    def action_templates(self) -> None:
        from tui.screens.templates import TemplatesScreen

        self.app.push_screen(TemplatesScreen(self.session))

    def action_notifications(self) -> None:
        from tui.screens.notifications import NotificationsScreen

        self.app.push_screen(NotificationsScreen(self.session), self._notifications_closed)

    def _notifications_closed(self, _: None) -> None:
        self.query_one(StatusBar).reload()  # the unread count, at once

    @on(TabbedContent.TabActivated)
    def focus_active_view(self, event: TabbedContent.TabActivated) -> None:
        self._focus_view(event.pane)
        # What was saved elsewhere meanwhile (the agent, another terminal) shows on coming back.
        shown = getattr(event.pane.children[0], "shown", None) if event.pane.children else None
        if callable(shown):
            shown()

    def _focus_view(self, pane: TabPane) -> None:
        if self.focused is not None and pane in self.focused.ancestors:
            return  # already there (the F key focused it before TabActivated came)
        if pane.children:
            focus_first = getattr(pane.children[0], "focus_first", None)
            if callable(focus_first):
                focus_first()

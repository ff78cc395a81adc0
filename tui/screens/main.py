"""The main screen: the Patients, History and Settings tabs, the status bar and the footer."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import PurePath
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Header, TabbedContent, TabPane

from locales import N_
from models.enums import Role
from tui.messages import NewInvoice
from tui.notice_watcher import NoticeWatcher
from tui.screens.patients import PatientsView
from tui.session import RoleDenied, StaffSession
from tui.texts import translate_bindings
from tui.widgets.status_bar import StatusBar

TAB_TITLES = {"patients": N_("Patients"), "history": N_("History"), "settings": N_("Settings")}
DEFERRED_TABS = ("history", "settings")  # built after the patient list's first rows, in this order


class MainScreen(Screen[None]):
    """Where the day is spent; F2/F3/F4 switch tabs, F5 shows what was sent, F6 what is scheduled,
    F7 the email templates, F9 the notifications; Ctrl+N starts an invoice."""

    CSS_PATH: ClassVar[list[str | PurePath]] = ["main.tcss", "patients.tcss", "history.tcss", "settings.tcss"]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f2", "show_tab('patients')", N_("Patients")),
        Binding("f3", "show_tab('history')", N_("History")),
        Binding("f4", "show_tab('settings')", N_("Settings")),
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
        self.tabs_built: set[str] = set()  # of DEFERRED_TABS

    def compose(self) -> ComposeResult:
        yield Header(icon="✉")
        with TabbedContent(initial="patients"):
            with TabPane("", id="patients"):
                yield PatientsView(self.session)
            # Built once the patient list has drawn its first rows (``build_tab``).
            yield TabPane("", id="history")
            yield TabPane("", id="settings", disabled=not self.session.is_admin)
        yield StatusBar(self.session, clock=self.clock)
        yield Footer()

    @on(PatientsView.FirstPage)
    def first_rows_shown(self) -> None:
        # After the frame that shows them: History and Settings cost a few hundred milliseconds to
        # build (and History reads its first page), which textual's own ``Lazy`` would spend before
        # that frame (it runs before a new screen's first paint).
        self.call_after_refresh(self._build_next_tab)

    def _build_next_tab(self) -> None:
        # One tab per frame, so that keys typed meanwhile are handled in between.
        for pane_id in DEFERRED_TABS:
            if self.build_tab(pane_id):
                self.call_after_refresh(self._build_next_tab)
                return

    def build_tab(self, pane_id: str) -> bool:
        """Mount a deferred tab's view, once: after the first rows, or when its F key comes first
        (the view focuses its field once mounted). Says whether it mounted one now."""
        if pane_id not in DEFERRED_TABS or pane_id in self.tabs_built:
            return False
        if pane_id == "settings" and not self.session.is_admin:
            return False
        self.tabs_built.add(pane_id)
        view: Widget
        if pane_id == "history":
            from tui.screens.history import HistoryView

            view = HistoryView(self.session)
        else:
            from tui.screens.settings import SettingsView

            view = SettingsView(self.session)
        self.query_one(f"#{pane_id}", TabPane).mount(view)
        return True

    def on_mount(self) -> None:
        self.apply_texts()
        NoticeWatcher(self.app, self.session).start()  # toasts for new notifications, on every screen

    def apply_texts(self) -> None:
        tr = self.session.tr
        tabs = self.query_one(TabbedContent)
        for pane_id, title in TAB_TITLES.items():
            tab = tabs.get_tab(pane_id)
            tab.label = tr.gettext(title)
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
        self.build_tab(pane_id)  # when the F key comes before the first rows
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
        view = event.pane.children[0] if event.pane.children else None
        shown = getattr(view, "shown", None) if view is not None and view.is_mounted else None
        if callable(shown):  # (a view mounting now reads its rows as it mounts)
            shown()

    def _focus_view(self, pane: TabPane) -> None:
        if self.focused is not None and pane in self.focused.ancestors:
            return  # already there (the F key focused it before TabActivated came)
        if pane.children:
            focus_first = getattr(pane.children[0], "focus_first", None)
            if callable(focus_first):
                focus_first()

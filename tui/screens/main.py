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
from textual.widget import AwaitMount, Widget
from textual.widgets import Header, TabbedContent, TabPane

from locales import N_
from models.enums import Role
from tui.messages import NewInvoice
from tui.notice_watcher import NoticeWatcher
from tui.screens.patients import PatientsView
from tui.session import RoleDenied, StaffSession
from tui.texts import translate_bindings
from tui.widgets.key_footer import KeyFooter
from tui.widgets.status_bar import StatusBar

TAB_TITLES = {"patients": N_("Patients"), "history": N_("History"), "settings": N_("Settings")}
TAB_KEYS = {"patients": "F2", "history": "F3", "settings": "F4"}  # shown on the tabs, not in the footer
DEFERRED_TABS = ("history", "settings")  # built after the patient list's first rows, in this order


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
        self.tab_mounts: dict[str, AwaitMount] = {}  # the DEFERRED_TABS built so far
        self._building_paused = False
        self._started = False

    def compose(self) -> ComposeResult:
        yield Header(icon="✉")
        with TabbedContent(initial="patients"):
            with TabPane("", id="patients"):
                yield PatientsView(self.session)
            # Built once the patient list has drawn its first rows (``build_tab``).
            yield TabPane("", id="history")
            yield TabPane("", id="settings", disabled=not self.session.is_admin)
        yield StatusBar(self.session, clock=self.clock)
        yield KeyFooter()

    @on(PatientsView.FirstPage)
    def first_rows_shown(self) -> None:
        # After the frame that shows them: History and Settings cost a few hundred milliseconds to
        # build (and History reads its first page), which textual's own ``Lazy`` would spend before
        # that frame (it runs before a new screen's first paint).
        self.call_after_refresh(self._start_building)

    def _start_building(self) -> None:
        self.run_worker(self._build_tabs(), group="deferred-tabs", exclusive=True)

    async def _build_tabs(self) -> None:
        """Mount the deferred tabs one after the other (keys typed meanwhile are handled in between);
        none while another screen is on top (a form or dialog opened at once): the rest waits for
        this one to be back (``on_screen_resume``)."""
        for pane_id in DEFERRED_TABS:
            if not self.is_active:
                self._building_paused = True
                return
            mounting = self.build_tab(pane_id)
            if mounting is not None:
                await mounting
        self._building_paused = False

    def _may_build(self, pane_id: str) -> bool:
        return pane_id in DEFERRED_TABS and (pane_id != "settings" or self.session.is_admin)

    def build_tab(self, pane_id: str) -> AwaitMount | None:
        """Mount a deferred tab's view unless it is already; returns what to await while it is still being
        mounted (after the first rows, or at once when its F key comes first), else None."""
        if not self._may_build(pane_id):
            return None
        if pane_id not in self.tab_mounts:
            view: Widget
            if pane_id == "history":
                from tui.screens.history import HistoryView

                view = HistoryView(self.session)
            else:
                from tui.screens.settings import SettingsView

                view = SettingsView(self.session)
            self.tab_mounts[pane_id] = self.query_one(f"#{pane_id}", TabPane).mount(view)
        pane = self.query_one(f"#{pane_id}", TabPane)
        return None if pane.children and pane.children[0].is_mounted else self.tab_mounts[pane_id]

    def on_screen_resume(self) -> None:
        if self._building_paused:
            self._building_paused = False
            self.call_after_refresh(self._start_building)

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

    async def action_show_tab(self, pane_id: str) -> None:
        if pane_id == "settings" and not self.session.is_admin:
            self.notify(self._settings_denied_reason(), severity="warning")
            return
        mounting = self.build_tab(pane_id)  # the F key came before the view was built
        tabs = self.query_one(TabbedContent)
        tabs.active = pane_id
        if mounting is not None:
            await mounting  # the keys typed meanwhile wait in the app's queue, behind this one
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
        mounting = self.build_tab(event.pane.id or "")  # a click on a tab not built yet
        if mounting is not None:
            # Not awaited here: mounting the view needs this screen's messages to flow.
            self.run_worker(self._focus_once_mounted(event.pane, mounting), group="tabs")
            return
        self._focus_view(event.pane)
        if not self._started:  # the first tab shown, as the screen starts: it is reading its rows
            self._started = True
            return
        # What was saved elsewhere meanwhile (the agent, another terminal) shows on coming back.
        shown = getattr(event.pane.children[0], "shown", None) if event.pane.children else None
        if callable(shown):
            shown()

    async def _focus_once_mounted(self, pane: TabPane, mounting: AwaitMount) -> None:
        await mounting
        self._focus_view(pane)

    def _focus_view(self, pane: TabPane) -> None:
        if self.focused is not None and pane in self.focused.ancestors:
            return  # already there (the F key focused it before TabActivated came)
        if pane.children:
            focus_first = getattr(pane.children[0], "focus_first", None)
            if callable(focus_first):
                focus_first()

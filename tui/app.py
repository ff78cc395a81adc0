"""The Facteur TUI: ``build_app(config)`` makes the app the CLI runs and the tests drive."""

from __future__ import annotations

import gc
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from textual import events, on, work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.dom import DOMNode
from textual.message import Message
from textual.notifications import SeverityLevel

from locales import N_, ReloadEvent, add_listener, default_registry
from models.core.config import Config
from models.core.enums import Role
from models.database.base import utcnow
from tui.key_gate import KeyGate
from tui.messages import DataChanged, DataListener, InvoiceAction, NewInvoice, OpenInvoice
from tui.session import RoleDenied, StaffSession
from tui.texts import BUILTIN_BINDINGS, Localized, translate_bindings

if TYPE_CHECKING:
    from tui.screens.invoice_detail import InvoiceDetailScreen


class CatalogReloaded(Message):
    """A catalog file was (re)loaded or refused; posted from the watcher."""

    def __init__(self, event: ReloadEvent) -> None:
        super().__init__()
        self.event = event


class FacteurApp(App[int]):
    """Staff's daily tool: patients, invoices, history, settings, in the staff member's language."""

    TITLE = "Facteur"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS: ClassVar[list[BindingType]] = [Binding("ctrl+q", "quit", N_("Quit"), priority=True)]

    def __init__(
        self,
        session: StaffSession,
        *,
        clock: Callable[[], datetime] = utcnow,
        watch_catalogs: bool | None = None,
    ) -> None:
        super().__init__()
        self.session = session
        self.clock = clock
        self.watch_enabled = session.config.locales.watch if watch_catalogs is None else watch_catalogs
        self._remove_listener: Callable[[], None] | None = None
        self.key_gate = KeyGate(self)

    async def on_event(self, event: events.Event) -> None:
        """Keys typed right after one that moves the focus wait for it (``tui.key_gate``)."""
        if isinstance(event, events.Key) and not event.is_forwarded:
            if self.key_gate.hold(event) or not self.screen_stack:
                return  # held, or a held key let go as the app closes
            focused = self.focused
            await super().on_event(event)
            self.key_gate.passed(event, focused)
            return
        await super().on_event(event)

    async def _broker_event(self, event_name: str, event: events.Event, default_namespace: DOMNode) -> bool:
        """No action from text: Textual runs ``[@click=app.…]`` in shown text as an action of the
        app (``app.screenshot`` writes a file where it is told, as the data's owner), and the text
        Facteur shows comes from staff, patients, servers and the clinic's wording. Its own links
        are bindings. (A private method of ``App``: ``tests/tui/test_markup.py`` fails if it goes.)"""
        return False

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Notices show their text as written (names, numbers, servers' replies): never as markup."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    def on_mount(self) -> None:
        from tui.screens.main import MainScreen

        self.apply_texts()
        self._remove_listener = add_listener(self._hear_catalog)
        for refused in default_registry().refusals():  # said on stderr before this screen covered it
            self._hear_catalog(refused)
        if self.watch_enabled:
            self.watch_catalogs()
        self.push_screen(MainScreen(self.session, clock=self.clock))
        # What the start built (modules, styles, the widgets) lives as long as the app: leave it out
        # of the collector's full passes, which otherwise stall a keystroke now and then (~0.1 s).
        self.call_after_refresh(gc.freeze)

    def _hear_catalog(self, event: ReloadEvent) -> None:
        # Called on the watcher's loop or thread: post_message is thread-safe.
        self.post_message(CatalogReloaded(event))

    def on_unmount(self) -> None:
        if self._remove_listener is not None:
            self._remove_listener()
        gc.unfreeze()  # an app built again in this process (the tests) starts from a clean collector

    def apply_texts(self) -> None:
        self.title = self.session.clinic.name
        self.sub_title = self.session.staff.display_name
        translate_bindings(self, self.session.tr)

    @work(exclusive=True, group="catalogs")
    async def watch_catalogs(self) -> None:
        """Reload edited ``.po`` files while the app runs (listeners hear it on this loop)."""
        from locales.watch import awatch_catalogs

        await awatch_catalogs()

    @on(CatalogReloaded)
    def catalog_reloaded(self, message: CatalogReloaded) -> None:
        event = message.event
        if event.applied:
            self.retranslate()
            return
        if self.session.is_admin:
            tr = self.session.tr
            problems = "\n".join(problem.render(tr) for problem in event.problems if problem.is_error)
            self.notify(
                problems or str(event.path),
                title=tr.gettext(N_("A wording file was refused; the previous wording stays")),
                severity="error",
                timeout=30,
            )

    @on(events.DescendantFocus)
    def _translate_builtin_bindings(self, event: events.DescendantFocus) -> None:
        # Textual's own widgets bring footer bindings of their own (a Select's open list: escape,
        # "Dismiss menu"); they get the reader's language as they take the focus.
        if type(event.widget) in BUILTIN_BINDINGS:
            translate_bindings(event.widget, self.session.tr)

    def retranslate(self) -> None:
        """Show every visible text again from the current catalogs."""
        self.apply_texts()
        for screen in self.screen_stack:
            for node in screen.walk_children(with_self=True):
                if isinstance(node, Localized):
                    node.apply_texts()

    @on(DataChanged)
    def data_changed(self, message: DataChanged) -> None:
        """Something was saved: every list that shows it, on every screen, reads it again."""
        for screen in self.screen_stack:
            for node in screen.walk_children(with_self=True):
                if isinstance(node, DataListener):
                    node.data_changed(message)

    def deny(self, exc: RoleDenied) -> None:
        self.notify(exc.render(self.session.tr), severity="warning")

    @on(NewInvoice)
    def new_invoice(self, message: NewInvoice) -> None:
        if not (self.session.has(Role.BILLING) or self.session.has(Role.PROVIDER)):
            try:
                self.session.require(Role.BILLING)
            except RoleDenied as exc:
                self.deny(exc)
                return
        from tui.screens.invoice_form import InvoiceFormScreen

        self.push_screen(InvoiceFormScreen(self.session, message.patient_id))

    @on(OpenInvoice)
    def open_invoice(self, message: OpenInvoice) -> None:
        from tui.screens.invoice_detail import InvoiceDetailScreen

        self.push_screen(InvoiceDetailScreen(self.session, message.invoice_id))

    def send_invoice(self, invoice_id: int) -> None:
        """Open the send dialog (billing role); a queued message is confirmed in a notification."""
        from tui.screens.send_invoice import SendInvoiceScreen, SendResult

        try:
            self.session.require(Role.BILLING)
        except RoleDenied as exc:
            self.deny(exc)
            return

        def queued(result: SendResult | None) -> None:
            if result is None:
                return
            self.notify(
                self.session.tr.format(
                    N_("Invoice {number} is queued for {email}; the agent sends it as soon as it is online."),
                    number=result.number,
                    email=result.email,
                ),
                title=self.session.tr.gettext(N_("Queued")),
            )
            self.post_message(DataChanged("outbox"))

        self.push_screen(SendInvoiceScreen(self.session, invoice_id), queued)

    def on_invoice_detail_screen_send_requested(self, message: InvoiceDetailScreen.SendRequested) -> None:
        self.send_invoice(message.invoice_id)

    @on(InvoiceAction)
    def invoice_action(self, message: InvoiceAction) -> None:
        """Row actions on an invoice (History): ``send`` opens the send dialog."""
        if message.action == "send":
            self.send_invoice(message.invoice_id)


def build_app(
    config: Config,
    login: str | None = None,
    *,
    clock: Callable[[], datetime] = utcnow,
    watch_catalogs: bool | None = None,
) -> FacteurApp:
    """Open the database, map ``login`` (default: the Unix user) to a staff member, build the app.

    Raises ``NotStaff`` for an unknown user and ``DatabaseError`` for a missing or old database,
    before anything is drawn.
    """
    from tui.startup import configure_wording, open_session

    configure_wording(config)
    return FacteurApp(open_session(config, login), clock=clock, watch_catalogs=watch_catalogs)

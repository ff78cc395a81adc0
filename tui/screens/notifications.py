"""``NotificationsScreen``: the staff member's notifications, newest first; mark read, all read, open.

Each notification is rendered in the reader's language when shown (a msgid and its
parameters: money in the reader's format). Unread ones carry a dot; the selected one's
whole text is shown below the list. Reads and writes run in thread workers.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.markup import escape
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from locales import N_
from locales.formatting import format_datetime
from models.views.notification_center import NoticeView, mark_all_read, mark_read, notices_for, render_notice
from tui.messages import DataChanged, OpenInvoice
from tui.session import StaffSession
from tui.texts import translate_bindings
from tui.widgets.key_footer import KeyFooter
from tui.widgets.plain_table import PlainTable
from tui.workers import run_db

UNREAD = "●"
TIME_WIDTH = 18


class NotificationsScreen(Screen[None]):
    """The notification center; Escape goes back."""

    CSS_PATH = "notifications.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "leave", N_("Back")),
        Binding("r", "mark_read", N_("Mark read")),
        Binding("a", "mark_all_read", N_("All read")),
        Binding("o", "open_invoice", N_("Open invoice")),
    ]

    def __init__(self, session: StaffSession, *, refresh_seconds: float = 5.0) -> None:
        super().__init__()
        self.session = session
        self.refresh_seconds = refresh_seconds
        self.notices: list[NoticeView] = []
        self.loaded = False

    def compose(self) -> ComposeResult:
        yield Header(icon="✉")
        yield Static("", id="notices-title")
        yield PlainTable(id="notices-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="notices-empty")
        yield Static("", id="notices-selected", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.apply_texts()
        self.query_one(DataTable).focus()
        self.reload()
        self.set_interval(self.refresh_seconds, self.reload)

    def apply_texts(self) -> None:
        tr = self.session.tr
        translate_bindings(self, tr)
        title = tr.gettext(N_("Notifications, newest first"))
        self.query_one("#notices-title", Static).update(f"[b]{escape(title)}[/b]")
        self.query_one("#notices-empty", Static).update(tr.gettext(N_("No notification")))
        table = self.query_one(DataTable)
        table.clear(columns=True)
        table.add_column("", key="unread", width=1)
        table.add_column(tr.gettext(N_("Time")), key="time", width=TIME_WIDTH)
        # the text gets what the screen leaves (cells are cut there); the full text shows below
        text_width = max(20, self.size.width - TIME_WIDTH - 1 - 3 * 2 - 2)
        table.add_column(tr.gettext(N_("Notification")), key="text", width=text_width)
        if self.loaded:
            self.loaded = False  # redraw the rows into the new columns
            self.show(self.notices)

    def on_resize(self) -> None:
        self.apply_texts()

    @work(thread=True, exclusive=True, group="notices-read")
    def reload(self) -> None:
        run_db(self, lambda: notices_for(self.session.staff.id), self.show, tr=self.session.tr)

    def show(self, notices: list[NoticeView]) -> None:
        """Redraw when something changed, keeping the cursor on its notification."""
        table = self.query_one(DataTable)
        if self.loaded and notices == self.notices and table.row_count == len(notices):
            return
        selected = self.selected()
        self.notices, self.loaded = notices, True
        tr, session = self.session.tr, self.session
        table.clear()
        for notice in notices:
            when = format_datetime(notice.created_at, session.timezone, tr.language, session.country, "short")
            text = render_notice(notice, tr, session.country)
            table.add_row("" if notice.read else UNREAD, when, text, key=str(notice.id))
        if selected is not None and any(n.id == selected.id for n in notices):
            table.move_cursor(row=table.get_row_index(str(selected.id)))
        table.display = bool(notices)
        self.query_one("#notices-empty").display = not notices
        self._show_selected()

    def selected(self) -> NoticeView | None:
        table = self.query_one(DataTable)
        if not self.notices or not 0 <= table.cursor_row < len(self.notices):
            return None
        return self.notices[table.cursor_row]

    @on(DataTable.RowHighlighted)
    def _show_selected(self) -> None:
        notice = self.selected()
        text = render_notice(notice, self.session.tr, self.session.country) if notice else ""
        self.query_one("#notices-selected", Static).update(text)
        self.query_one("#notices-selected").display = bool(text)

    def action_mark_read(self) -> None:
        notice = self.selected()
        if notice is not None and not notice.read:
            self.write(lambda: mark_read(self.session.staff.id, [notice.id]))

    def action_mark_all_read(self) -> None:
        if any(not notice.read for notice in self.notices):
            self.write(lambda: mark_all_read(self.session.staff.id))

    @work(thread=True, exclusive=True, group="notices-write")
    def write(self, change) -> None:  # type: ignore[no-untyped-def]
        def changed() -> list[NoticeView]:
            change()
            return notices_for(self.session.staff.id)

        if run_db(self, changed, self.show, tr=self.session.tr) is not None:
            self.post_message(DataChanged("notifications"))

    def action_open_invoice(self) -> None:
        """The notification's invoice; it counts as read."""
        notice = self.selected()
        if notice is None or notice.invoice_id is None:
            return
        if not notice.read:
            self.write(lambda: mark_read(self.session.staff.id, [notice.id]))
        self.post_message(OpenInvoice(notice.invoice_id))

    @on(DataTable.RowSelected)
    def _open_selected(self) -> None:
        self.action_open_invoice()

    def action_leave(self) -> None:
        self.dismiss(None)

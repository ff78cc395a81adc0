"""Toasts for new notifications: the table is polled in a thread worker every few seconds,
so whoever is logged in hears at once of a payment or a failed delivery, on any screen."""

from __future__ import annotations

from textual.app import App

from locales import N_
from models.views.notification_center import NoticeView, latest_id, render_notice, unread_since
from tui.session import StaffSession
from tui.workers import DB_ERRORS, database_thread

POLL_SECONDS = 3.0
MOST_TOASTS = 3  # more at once are summed up in one toast


class NoticeWatcher:
    """Starts after the newest notification that exists at login (the status bar counts those)."""

    def __init__(self, app: App[object], session: StaffSession, *, interval: float | None = None) -> None:
        self.app = app
        self.session = session
        self.interval = POLL_SECONDS if interval is None else interval
        self.seen: int | None = None  # the newest id already known; None until the first read
        self.reading = False  # a read in flight: the next turn skips rather than cancels it

    def start(self) -> NoticeWatcher:
        self.app.set_interval(self.interval, self.poll)
        self.poll()
        return self

    def poll(self) -> None:
        if not self.reading:
            self.reading = True
            self.app.run_worker(self._read, thread=True, group="notice-watcher")

    def _read(self) -> None:
        staff_id = self.session.staff.id
        fresh: list[NoticeView] = []
        try:
            with database_thread():
                if self.seen is None:
                    self.seen = latest_id(staff_id)
                else:
                    fresh = unread_since(staff_id, self.seen)
        except DB_ERRORS:
            pass  # the next poll tries again
        if fresh:
            self.seen = fresh[-1].id
        self.app.call_from_thread(self._toast, fresh)

    def _toast(self, fresh: list[NoticeView]) -> None:
        self.reading = False
        tr, country = self.session.tr, self.session.country
        title = tr.gettext(N_("Notification"))
        for notice in fresh[-MOST_TOASTS:]:
            self.app.notify(render_notice(notice, tr, country), title=title, timeout=10)
        if len(fresh) > MOST_TOASTS:
            more = len(fresh) - MOST_TOASTS
            self.app.notify(
                tr.nformat("{n} more notification (F9)", "{n} more notifications (F9)", more), title=title
            )

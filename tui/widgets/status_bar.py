"""The status bar: unread notifications, the agent's state, the outbox's pending and failed counts,
the last sync (dropped when the line would not fit).

Read from the database every ``interval`` seconds in a thread worker; the clock is
injectable so tests and snapshots show a fixed time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from rich.cells import cell_len
from rich.text import Text
from textual import work
from textual.widgets import Static

from locales import L_, N_, LazyText
from locales.formatting import format_datetime, format_duration, local_datetime
from models.database.base import utcnow
from models.messaging.agent_state import AgentState, AgentSummary
from tui.session import StaffSession
from tui.workers import run_db

AGENT_STATE: dict[AgentState, LazyText] = {
    AgentState.ONLINE: L_("online"),
    AgentState.OFFLINE: L_("offline"),
    AgentState.BLOCKED: L_("a setting to fix"),  # the admins' notification says which
    AgentState.PAUSED: L_("paused"),  # until a time, when the agent says which
    AgentState.STOPPED: L_("stopped"),
}


class StatusBar(Static):
    """One line at the bottom: agent online/offline/blocked/stopped, outbox pending and failed, last sync."""

    DEFAULT_CSS = """
    StatusBar {
        height: 1;
        padding: 0 1;
        background: $panel;
        color: $text-muted;
    }
    StatusBar.-failed { color: $text-error; }
    StatusBar.-stopped { color: $text-warning; }
    """

    def __init__(
        self, session: StaffSession, *, clock: Callable[[], datetime] = utcnow, interval: float = 5.0
    ) -> None:
        super().__init__("", id="status-bar")
        self.session = session
        self.clock = clock
        self.interval = interval
        self.summary: AgentSummary | None = None
        self.unread = 0
        self.loaded = False  # a first summary was read (tests wait for it)

    def on_mount(self) -> None:
        self.reload()
        self.set_interval(self.interval, self.reload)

    @work(thread=True, exclusive=True, group="status-bar")
    def reload(self) -> None:
        from models.messaging.agent_state import agent_summary
        from models.views.notification_center import unread_count

        unread = self.unread
        # On failure the bar says it cannot tell; the next read may succeed.
        run_db(
            self,
            lambda: (agent_summary(self.clock()), unread_count(self.session.staff.id)),
            lambda read: self.show(*read),
            tr=self.session.tr,
            failed=lambda _exc: self.show(None, unread),
        )

    def show(self, summary: AgentSummary | None, unread: int = 0) -> None:
        self.summary = summary
        self.unread = unread
        self.loaded = True
        self.apply_texts()

    def on_resize(self) -> None:
        if self.loaded:
            self.apply_texts()

    def apply_texts(self) -> None:
        tr = self.session.tr
        summary = self.summary
        badge = Text()
        if self.unread:
            badge.append(tr.nformat("{n} notice (F9)", "{n} notices (F9)", self.unread), style="bold reverse")
            badge.append(" · ")
        if summary is None:
            self.update(badge + Text(tr.gettext(N_("Agent: status unknown"))) if self.loaded else "")
            return
        if summary.payments_refused:  # until a link is made again; the admins' notice says why
            badge.append(tr.gettext(N_("payment links refused")), style="bold")
            badge.append(" · ")
        if summary.last_sync_at is None:
            synced = tr.gettext(N_("never"))
        else:
            synced = self._sync_time(summary.last_sync_at)
        state = tr.gettext(AGENT_STATE[summary.state])
        if summary.state is AgentState.PAUSED and summary.paused_until is not None:
            state = tr.format(N_("paused until {time}"), time=self._sync_time(summary.paused_until))
        counts = {"state": state, "pending": summary.pending, "failed": summary.failed}
        full = N_("Agent: {state} · to send: {pending} · failed: {failed} · last sync: {synced}")
        short = N_("Agent: {state} · to send: {pending} · failed: {failed}")
        lines = [tr.format(full, synced=synced, **counts), tr.format(short, **counts)]
        eta = self._eta(summary)
        if eta:  # the first that fits: the last sync gives way first, then the pace, then the time
            paced = {
                **counts,
                "pending": f"{summary.pending} ({tr.format(N_('{pace}/min'), pace=summary.pace)}, {eta})",
            }
            timed = {**counts, "pending": f"{summary.pending} ({eta})"}
            lines[:1] = [
                tr.format(full, synced=synced, **paced),
                tr.format(short, **paced),
                tr.format(short, **timed),
            ]
        room = self.size.width - 2  # the padding
        fitting = [line for line in lines if room <= 0 or badge.cell_len + cell_len(line) <= room]
        self.update(badge + Text(fitting[0] if fitting else lines[-1]))
        self.set_class(summary.failed > 0, "-failed")
        self.set_class(summary.state != AgentState.ONLINE and summary.failed == 0, "-stopped")

    def _eta(self, summary: AgentSummary) -> str:
        """``~14 min``: how long the queue takes at the agent's pace (after its pause); "" unpaced."""
        if not summary.pace or not summary.pending:
            return ""
        waiting = 0.0
        if summary.paused_until is not None:
            waiting = max(0.0, (summary.paused_until - self.clock()).total_seconds())
        seconds = waiting + summary.pending * 60 / summary.pace
        tr = self.session.tr
        return tr.format(
            N_("~{duration}"), duration=format_duration(seconds, tr.language, self.session.country)
        )

    def _sync_time(self, synced_at: datetime) -> str:
        """Today's syncs as a bare time, so the line fits 80 columns; older ones with their date."""
        tz = self.session.timezone
        same_day = local_datetime(synced_at, tz).date() == local_datetime(self.clock(), tz).date()
        width = "HH:mm" if same_day else "short"
        return format_datetime(synced_at, tz, self.session.tr.language, self.session.country, width)

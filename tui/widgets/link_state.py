"""``LinkStateLine``: one line on an invoice's secure link: open until when, downloaded, locked, expired."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from textual import work
from textual.widgets import Static

from locales import N_
from locales.formatting import format_datetime
from models.database.base import utcnow
from models.links.download_links import LinkState, latest_link
from tui.session import StaffSession
from tui.workers import run_db


class LinkStateLine(Static):
    """Reads the invoice's latest link off the UI thread every ``refresh_seconds``; hidden when none."""

    DEFAULT_CSS = """
    LinkStateLine { color: $text-muted; height: auto; }
    LinkStateLine.-attention { color: $text-warning; }
    """

    def __init__(
        self,
        session: StaffSession,
        invoice_id: int,
        *,
        refresh_seconds: float = 5.0,
        clock: Callable[[], datetime] = utcnow,
        id: str | None = None,
    ) -> None:
        super().__init__("", id=id, markup=False)
        self.session = session
        self.invoice_id = invoice_id
        self.refresh_seconds = refresh_seconds
        self.clock = clock
        self.state: LinkState | None = None
        self.reading = False

    def on_mount(self) -> None:
        self.display = False
        self.reload()
        self.set_interval(self.refresh_seconds, self.reload)

    def reload(self) -> None:
        """Read again, unless a read is still running (a slow disk skips a turn, nothing is cancelled)."""
        if not self.reading:
            self.reading = True
            self._read()

    @work(thread=True, group="link-state")
    def _read(self) -> None:
        run_db(
            self,
            lambda: latest_link(self.invoice_id),
            self.show,
            tr=self.session.tr,
            failed=lambda _exc: self._read_failed(),
        )

    def _read_failed(self) -> None:
        self.reading = False  # the next turn tries again

    def show(self, state: LinkState | None) -> None:
        self.reading = False
        self.state = state
        self.display = state is not None
        if state is None:
            return
        text, attention = self.describe(state)
        self.update(text)
        self.set_class(attention, "-attention")

    def describe(self, state: LinkState) -> tuple[str, bool]:
        """The line, and whether staff should act (locked or expired: only a new send helps)."""
        tr, session = self.session.tr, self.session

        def when(value: datetime) -> str:
            return format_datetime(value, session.timezone, tr.language, session.country, "short")

        if state.locked_at is not None:
            return tr.format(
                N_("Secure link locked after too many wrong PINs ({when}): send it again."),
                when=when(state.locked_at),
            ), True
        if state.expires_at <= self.clock():
            return tr.format(
                N_("Secure link expired on {date}: send it again for a new one."), date=when(state.expires_at)
            ), True
        if state.downloads == 0 or state.last_download_at is None:
            return tr.format(
                N_("Secure link open until {date}; not downloaded yet."), date=when(state.expires_at)
            ), False
        return (
            tr.nformat(
                "Secure link open until {date}; downloaded {count} time, last on {when}.",
                "Secure link open until {date}; downloaded {count} times, last on {when}.",
                state.downloads,
                date=when(state.expires_at),
                count=state.downloads,
                when=when(state.last_download_at),
            ),
            False,
        )

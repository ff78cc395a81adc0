"""The Settings tab (being built)."""

from __future__ import annotations

from textual.containers import Vertical

from tui.session import StaffSession


class SettingsView(Vertical):
    def __init__(self, session: StaffSession) -> None:
        super().__init__(id="settings-view")
        self.session = session

"""The Patients tab (being built)."""

from __future__ import annotations

from textual.containers import Vertical

from tui.session import StaffSession


class PatientsView(Vertical):
    def __init__(self, session: StaffSession) -> None:
        super().__init__(id="patients-view")
        self.session = session

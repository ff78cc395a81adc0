"""``LiveLinksDialog``: every link a patient could still open — secure download links and payment
links — with when and where each was sent, whether it was opened and when it expires; ``r`` revokes
the one under the cursor (billing role), after a confirmation, through the outbox: the agent closes
it as soon as it is online. F4 on the patient's record opens it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, OptionList, Static
from textual.widgets.option_list import Option

from locales import N_
from locales.formatting import format_datetime
from models.core.enums import Role
from models.links.live_links import LINK_KIND, LiveLink, live_links, revoke_link
from models.people.patient import Patient
from tui.dialogs.confirm import ConfirmDialog
from tui.session import StaffSession
from tui.texts import translate_bindings
from tui.workers import error_text, run_db


@dataclass(frozen=True)
class Links:
    name: str
    links: list[LiveLink]


class LiveLinksDialog(ModalScreen[None]):
    """The live links of patient ``patient_id``; read only without the billing role."""

    CSS_PATH = "live_links.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "revoke", N_("Revoke")),
        Binding("escape", "close", N_("Close")),
    ]

    def __init__(self, session: StaffSession, patient_id: int) -> None:
        super().__init__()
        self.session = session
        self.patient_id = patient_id
        self.links: list[LiveLink] = []
        self.ready = False  # loaded: tests wait for it

    @property
    def may_revoke(self) -> bool:
        return self.session.has(Role.BILLING)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.may_revoke if action == "revoke" else True

    def compose(self) -> ComposeResult:
        tr = self.session.tr
        with Vertical(id="live-links-box"):
            yield Static("", id="live-links-title", markup=False)
            yield Static(
                tr.gettext(
                    N_("Links a patient could still open. Revoking one closes it on the portal or at Stripe.")
                ),
                id="live-links-hint",
                markup=False,
            )
            yield OptionList(id="live-links-list", markup=False)
            with Horizontal(id="live-links-buttons"):
                yield Button(tr.gettext(N_("Revoke (R)")), id="live-links-revoke", compact=True)
                yield Button(tr.gettext(N_("Close")), id="live-links-close", compact=True)

    def on_mount(self) -> None:
        translate_bindings(self, self.session.tr)
        self.query_one("#live-links-revoke").display = self.may_revoke
        self.query_one("#live-links-list").focus()
        self.load()

    @work(thread=True, exclusive=True, group="live-links-load")
    def load(self) -> None:
        patient_id = self.patient_id
        run_db(
            self,
            lambda: Links(Patient.get_by_id(patient_id).full_name, live_links(patient_id)),
            self._show,
            tr=self.session.tr,
        )

    def _show(self, found: Links) -> None:
        tr = self.session.tr
        self.links = found.links
        self.query_one("#live-links-title", Static).update(
            tr.format(N_("Live links of {name}"), name=found.name)
        )
        options = self.query_one("#live-links-list", OptionList)
        highlighted = options.highlighted
        options.clear_options()
        if not found.links:
            options.add_option(
                Option(tr.gettext(N_("No live links: nothing this patient could still open.")), disabled=True)
            )
        else:
            options.add_options(Option(self._entry(link), id=str(i)) for i, link in enumerate(found.links))
            options.highlighted = min(highlighted or 0, len(found.links) - 1)
        self.query_one("#live-links-revoke", Button).disabled = not found.links
        self.ready = True

    def _entry(self, link: LiveLink) -> Text:
        tr, session = self.session.tr, self.session

        def when(value: datetime) -> str:
            return format_datetime(value, session.timezone, tr.language, session.country, "medium")

        first = f"{tr.gettext(LINK_KIND[link.kind])} · {link.document}"
        if link.sent_at is not None:
            sent = tr.format(
                N_("sent {when} to {address}"), when=when(link.sent_at), address=link.sent_to or "—"
            )
        else:
            sent = tr.gettext(N_("made from the invoice, not sent by email"))
        if link.opened < 0:
            opened = tr.gettext(N_("opening not known"))
        elif link.opened == 0:
            opened = tr.gettext(N_("not opened"))
        else:
            opened = tr.nformat(
                "downloaded {n} time, last {when}",
                "downloaded {n} times, last {when}",
                link.opened,
                when=when(link.last_opened_at) if link.last_opened_at else "—",
            )
        state = [opened, tr.format(N_("expires {when}"), when=when(link.expires_at))]
        if link.locked:
            state.append(tr.gettext(N_("locked after wrong PINs")))
        if link.revoking:
            state.append(tr.gettext(N_("revocation waiting for the agent")))
        return Text(f"{first}\n  {sent}\n  {' · '.join(state)}")

    def _current(self) -> LiveLink | None:
        index = self.query_one("#live-links-list", OptionList).highlighted
        return self.links[index] if self.links and index is not None and index < len(self.links) else None

    @on(Button.Pressed, "#live-links-revoke")
    def action_revoke(self) -> None:
        tr, link = self.session.tr, self._current()
        if link is None or not self.may_revoke:
            return
        if link.revoking:
            self.notify(tr.gettext(N_("Its revocation is already waiting for the agent.")))
            return
        question = tr.format(
            N_("Revoke the {kind} of {document}? The patient will no longer be able to open it."),
            kind=tr.gettext(LINK_KIND[link.kind]).lower(),
            document=link.document,
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self.revoke(link)

        self.app.push_screen(
            ConfirmDialog(question, tr.gettext(N_("Revoke")), tr.gettext(N_("Keep the link"))), answered
        )

    @work(thread=True, exclusive=True, group="live-links-revoke")
    def revoke(self, link: LiveLink) -> None:
        tr, staff = self.session.tr, self.session.staff
        run_db(
            self,
            lambda: revoke_link(link.kind, link.id, staff=staff),
            self._revoked,
            tr=tr,
            failed=lambda exc: self.notify(error_text(exc, tr), severity="error"),
        )

    def _revoked(self, _task: object) -> None:
        tr = self.session.tr
        self.notify(tr.gettext(N_("Revocation queued: the agent closes the link as soon as it is online.")))
        self.load()

    @on(Button.Pressed, "#live-links-close")
    def action_close(self) -> None:
        self.dismiss(None)

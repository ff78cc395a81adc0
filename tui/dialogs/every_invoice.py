"""The warning before an invoice template with delay 0 goes live: it emails EVERY invoice billed
from then on, with the clinic's default PIN mode. Used by the Templates list and the editor."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import App

from locales import L_, N_, LazyText
from models.core.enums import PinMode
from tui.dialogs.confirm import ConfirmDialog
from tui.session import StaffSession

PIN_MODES: dict[str, LazyText] = {
    PinMode.NONE: L_("no PIN: the invoice is attached"),
    PinMode.SMS: L_("a PIN by text message"),
    PinMode.INSTITUTION: L_("a PIN from the health insurance number"),
}


def ask_every_invoice(app: App[object], session: StaffSession, go: Callable[[], object]) -> None:
    """Ask first; ``go()`` runs only on yes."""
    tr = session.tr
    question = tr.format(
        N_(
            "This template will email ALL future invoices automatically, as soon as each is billed, "
            "with the clinic's default PIN mode ({mode}). Activate it?"
        ),
        mode=PIN_MODES.get(session.clinic.default_pin_mode, PIN_MODES[PinMode.NONE]),
    )
    dialog = ConfirmDialog(question, tr.gettext(N_("Activate for every invoice")), tr.gettext(N_("Not now")))

    def answered(yes: bool | None) -> None:
        if yes:
            go()

    app.push_screen(dialog, answered)

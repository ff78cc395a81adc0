"""``PinHandoverDialog``: after an institution-PIN send, the PIN to give, and a printed slip on request.

The PIN is shown only here and printed only on the slip; neither is stored (the outbox
keeps its keyed hash). Printing runs in a worker (WeasyPrint, then ``[print] command``);
when it cannot print, the notification says where the slip's PDF was saved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from locales import N_
from locales.formatting import format_date
from tui.session import StaffSession
from tui.texts import translate_bindings
from tui.widgets.key_footer import KeyFooter


@dataclass(frozen=True)
class Handover:
    """What the dialog and the slip show; dates are formatted for whoever reads them."""

    outbox_id: int
    number: str
    patient_name: str
    pin: str
    language: str  # the patient's, for the slip
    link_until: date  # on the clinic's calendar
    country: str
    clinic_name: str
    clinic_phone: str
    clinic_email: str
    statement: bool = False  # ``number`` is then a statement of account's reference


class PinHandoverDialog(ModalScreen[None]):
    """Shows the PIN to hand over; ``p`` prints the slip, Escape or Enter closes."""

    CSS_PATH = "pin_handover.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("p", "print_slip", N_("Print the PIN slip")),
        Binding("escape", "close", N_("Close")),
    ]

    def __init__(self, session: StaffSession, handover: Handover) -> None:
        super().__init__()
        self.session = session
        self.handover = handover
        self.printing = False

    def compose(self) -> ComposeResult:
        tr, handover = self.session.tr, self.handover
        with Vertical(id="handover-box"):
            yield Static(
                tr.format(N_("Give this PIN to {name}"), name=handover.patient_name),
                id="handover-title",
                markup=False,
            )
            yield Static(handover.pin, id="handover-pin", markup=False)
            queued = (
                N_("Statement {number}: the email with the link is queued; the link works until {date}.")
                if handover.statement
                else N_("Invoice {number}: the email with the link is queued; the link works until {date}.")
            )
            yield Static(
                tr.format(
                    queued,
                    number=handover.number,
                    date=format_date(handover.link_until, tr.language, handover.country, "long"),
                ),
                classes="handover-note",
                markup=False,
            )
            yield Static(
                tr.gettext(N_("The PIN is not kept anywhere: note it or print the slip now.")),
                classes="handover-note",
            )
            with Horizontal(id="handover-buttons"):
                yield Button(tr.gettext(N_("Print the PIN slip")), id="handover-print", compact=True)
                yield Button(tr.gettext(N_("Close")), id="handover-close", variant="primary", compact=True)
        yield KeyFooter()

    def on_mount(self) -> None:
        translate_bindings(self, self.session.tr)
        self.query_one("#handover-close", Button).focus()

    @on(Button.Pressed, "#handover-print")
    def action_print_slip(self) -> None:
        if not self.printing:
            self.printing = True
            self.query_one("#handover-print", Button).disabled = True
            self.print_slip()

    @work(thread=True, exclusive=True, group="pin-slip")
    def print_slip(self) -> None:
        from agent.pdf.slip import PinSlip, render_pin_slip
        from tui.printing import print_pdf

        handover, config, tr = self.handover, self.session.config, self.session.tr
        try:
            pdf = render_pin_slip(
                PinSlip(
                    language=handover.language,
                    clinic_name=handover.clinic_name,
                    clinic_phone=handover.clinic_phone,
                    clinic_email=handover.clinic_email,
                    patient_name=handover.patient_name,
                    pin=handover.pin,
                    link_until=format_date(handover.link_until, handover.language, handover.country, "long"),
                )
            )
            outcome = print_pdf(
                pdf,
                command=config.print.command,
                folder=config.resolve(config.print.folder),
                name=f"pin-slip-{handover.outbox_id}.pdf",
            )
        except OSError as exc:
            text = tr.format(N_("The PIN slip could not be made: {reason}"), reason=exc.strerror or str(exc))
            self.app.call_from_thread(self._done, text, "error")
            return
        if outcome.printed:
            text = tr.gettext(N_("The PIN slip went to the printer."))
            self.app.call_from_thread(self._done, text, "information")
        else:
            text = tr.format(
                N_("Printing is not available ({reason}); the PIN slip is saved in {path}"),
                reason=outcome.reason,
                path=str(outcome.path),
            )
            self.app.call_from_thread(self._done, text, "warning")

    def _done(self, text: str, severity: str) -> None:
        self.printing = False
        self.query_one("#handover-print", Button).disabled = False
        self.notify(text, severity=severity, timeout=12)  # type: ignore[arg-type]

    @on(Button.Pressed, "#handover-close")
    def action_close(self) -> None:
        self.dismiss(None)

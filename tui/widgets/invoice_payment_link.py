"""An invoice's payment link: its state, its address while it is open, what the agent is doing
with it, and why no new link can be made (Stripe key, company account, nothing to pay).

The panel reads its own state in a worker (and again every few seconds: the agent makes and
closes links meanwhile) and queues the link tasks staff ask for (``request``).
"""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.message import Message
from textual.widgets import Static

from locales import L_, N_, LazyText
from locales.formatting import format_datetime
from models.core.enums import LinkAction, PaymentLinkStatus
from models.links.payment_links import LinkPanel, link_panel, queue_link_task, stripe_key_configured
from tui.messages import DataChanged
from tui.session import StaffSession
from tui.workers import error_text, run_db

LINK_STATE: dict[str, LazyText] = {
    PaymentLinkStatus.PAID: L_("Paid online."),
    PaymentLinkStatus.EXPIRED: L_("The last link expired."),
    PaymentLinkStatus.REMOVED: L_("The last link was removed."),
    "awaiting": L_("Paid by a delayed method (bank debit): waiting for the payment to clear."),
}
WAITING: dict[LinkAction, LazyText] = {
    LinkAction.CREATE: L_("A new link is on its way: the agent makes it as soon as it is online."),
    LinkAction.REMOVE: L_("The link is being removed: the agent expires it as soon as it is online."),
}
REQUESTED: dict[LinkAction, str] = {
    LinkAction.CREATE: N_("A new payment link is requested; the agent makes it as soon as it is online."),
    LinkAction.REMOVE: N_("The payment link will be removed as soon as the agent is online."),
}


class PaymentLinkPanel(Static):
    """The link's state; the address is plain text a person can select and copy."""

    DEFAULT_CSS = """
    PaymentLinkPanel { height: auto; }
    """

    class Changed(Message):
        """The panel shows a new state (the screen's actions may follow it)."""

    def __init__(
        self, session: StaffSession, invoice_id: int, *, refresh_seconds: float = 5.0, id: str | None = None
    ) -> None:
        super().__init__("", id=id, markup=False)
        self.session = session
        self.invoice_id = invoice_id
        self.refresh_seconds = refresh_seconds
        self.panel: LinkPanel | None = None
        self.reading = False  # a read in flight: the next turn skips rather than cancels it

    def on_mount(self) -> None:
        self.reload()
        self.set_interval(self.refresh_seconds, self.reload)

    def reload(self) -> None:
        if not self.reading:
            self.reading = True
            self.read()

    def _read(self) -> LinkPanel:
        config = self.session.config
        return link_panel(
            self.invoice_id,
            key_configured=stripe_key_configured(config),
            key_variable=config.stripe.api_key_env,
        )

    @work(thread=True, group="payment-link-read")
    def read(self) -> None:
        run_db(
            self,
            self._read,
            self._read_done,
            tr=self.session.tr,
            failed=lambda _exc: self._read_done(None),  # the next refresh tries again
        )

    def _read_done(self, panel: LinkPanel | None) -> None:
        self.reading = False
        if panel is not None:
            self.show(panel)

    @work(thread=True, exclusive=True, group="payment-link-write")
    def request(self, action: LinkAction) -> None:
        """Queue a new link (the open one expired first) or its removal, for the agent."""
        config, tr = self.session.config, self.session.tr

        def queue() -> LinkPanel:
            queue_link_task(
                self.invoice_id,
                action,
                staff=self.session.staff,
                key_configured=stripe_key_configured(config),
                key_variable=config.stripe.api_key_env,
            )
            return self._read()

        panel = run_db(
            self,
            queue,
            self.show,
            tr=tr,
            failed=lambda exc: self.notify(error_text(exc, tr), severity="warning", timeout=8),
        )
        if panel is not None:
            self.app.call_from_thread(self.notify, tr.gettext(REQUESTED[action]))
            self.post_message(DataChanged("outbox"))

    def show(self, panel: LinkPanel) -> None:
        changed = panel != self.panel
        self.panel = panel
        self.apply_texts()
        if changed:
            self.post_message(self.Changed())

    def apply_texts(self) -> None:
        panel, tr, session = self.panel, self.session.tr, self.session
        if panel is None:
            return
        text = Text()
        if panel.open and panel.expires_at is not None:
            until = format_datetime(
                panel.expires_at, session.timezone, tr.language, session.country, "medium"
            )
            text.append(tr.format(N_("Open until {time}:"), time=until) + " ")
            text.append(panel.url or "", style="underline")
        elif panel.status is not None:
            text.append(tr.gettext(LINK_STATE[panel.status]))
        else:
            text.append(tr.gettext(N_("No payment link yet.")))
        if panel.waiting is not None:
            text.append("\n" + tr.gettext(WAITING[panel.waiting]), style="italic")
        if panel.refusal is not None and not panel.open:
            text.append("\n" + panel.refusal.render(tr), style="dim")
        self.update(text)

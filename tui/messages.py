"""Messages any screen or widget posts up to the app, which opens the screen they ask for.

Later row actions (send by email, payment link) reuse ``InvoiceAction``: History posts
it with the action's name and the invoice id; a handler on the app (or a screen) acts.
``DataChanged`` goes the other way once it reaches the app: down to every ``DataListener``.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from textual.message import Message


class OpenInvoice(Message):
    """Show one invoice (``tui.screens.invoice_detail.InvoiceDetailScreen``)."""

    def __init__(self, invoice_id: int) -> None:
        super().__init__()
        self.invoice_id = invoice_id


class NewInvoice(Message):
    """Start a new invoice, for ``patient_id`` when given (``tui.screens.invoice_form``)."""

    def __init__(self, patient_id: int | None = None) -> None:
        super().__init__()
        self.patient_id = patient_id


class InvoiceAction(Message):
    """A row action on an invoice of the History (``action``: e.g. ``"send"``, ``"payment_link"``)."""

    def __init__(self, action: str, invoice_id: int) -> None:
        super().__init__()
        self.action = action
        self.invoice_id = invoice_id


class DataChanged(Message):
    """Something was saved (``what``: ``"patient"``, ``"invoice"``, ``"settings"``, ``"outbox"``).

    It bubbles up to the app, which hands it to every ``DataListener`` on every screen: the lists
    that show what changed read it again.
    """

    def __init__(self, what: str) -> None:
        super().__init__()
        self.what = what


@runtime_checkable
class DataListener(Protocol):
    def data_changed(self, message: DataChanged) -> None:
        """Read again what ``message.what`` changed, if this widget shows it."""

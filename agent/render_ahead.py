"""Offline time used: the PDFs the waiting messages will need, rendered while the clinic is offline
(or the agent blocked), so that a reconnect costs only the network."""

from __future__ import annotations

from agent.compose import wants_pdf
from models.billing.invoice import Invoice
from models.core.enums import OutboxStatus
from models.database.base import fk_id
from models.messaging.tables import OutboxMessage

RENDER_AHEAD = 100  # (invoice, language) pairs looked at per probe: the soonest due first


def waiting_pdfs(limit: int = RENDER_AHEAD) -> list[tuple[Invoice, str]]:
    """The (invoice, language) PDFs of the waiting messages, soonest due first, at most ``limit``."""
    wanted: dict[tuple[int, str], None] = {}
    query = (
        OutboxMessage.select()
        .where(OutboxMessage.status == OutboxStatus.PENDING)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
    )
    for message in query.iterator():
        if wants_pdf(message):
            wanted.setdefault((int(fk_id(message, "invoice")), str(message.language)))
            if len(wanted) >= limit:
                break
    ids = {invoice_id for invoice_id, _ in wanted}
    invoices = {invoice.id: invoice for invoice in Invoice.select().where(Invoice.id.in_(ids))} if ids else {}
    return [(invoices[invoice_id], language) for invoice_id, language in wanted if invoice_id in invoices]

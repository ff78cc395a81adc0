"""A patient's live links: an open payment link is listed with where its email went, and revoking it
queues the payment link's ``remove`` task; closed, expired and other patients' links are not
listed, and a closed one cannot be revoked."""

from __future__ import annotations

from datetime import timedelta

import pytest

from models.core.enums import LinkAction, OutboxStatus, PaymentLinkStatus
from models.database.base import utcnow
from models.links.live_links import LinkKind, RevokeRefused, live_links, revoke_link
from models.links.tables import PaymentLink
from models.messaging.tables import OutboxMessage
from testbed.invoices import billed_invoice
from tests.conftest import Setup


def test_an_open_payment_link_is_listed_and_revoked_by_its_remove_task(setup: Setup) -> None:
    now = utcnow()
    invoice, other = billed_invoice(setup.company), billed_invoice(setup.company)
    email = OutboxMessage.create(
        kind="invoice",
        invoice=invoice,
        recipient_email="marie@example.org",
        language="fr",
        payment_link=True,
        status=OutboxStatus.SENT.value,
        sent_at=now - timedelta(hours=2),
    )

    def link(of: object, session: str, **values: object) -> PaymentLink:
        fields = {
            "url": f"https://checkout.example/{session}",
            "amount_cents": 9500,
            "currency": "CAD",
            "expires_at": now + timedelta(hours=20),
        }
        return PaymentLink.create(invoice=of, session_id=session, **{**fields, **values})

    live = link(invoice, "cs_live", message=email)
    link(invoice, "cs_paid", status=PaymentLinkStatus.PAID.value)
    link(invoice, "cs_old", expires_at=now - timedelta(minutes=1))
    link(other, "cs_other")  # another patient's (each billed_invoice has its own patient)

    (listed,) = live_links(invoice.patient.id, now)
    assert (listed.kind, listed.id, listed.document) == (LinkKind.PAYMENT, live.id, invoice.number)
    assert (listed.sent_to, listed.sent_at, listed.opened, listed.revoking) == (
        "marie@example.org",
        now - timedelta(hours=2),
        -1,
        False,
    )

    task = revoke_link(LinkKind.PAYMENT, live.id, staff=setup.provider, now=now)
    assert (task.link_action, task.payment_link, task.sends_email) == (LinkAction.REMOVE, False, False)
    assert [link.revoking for link in live_links(invoice.patient.id, now)] == [True]

    PaymentLink.update(status=PaymentLinkStatus.REMOVED.value).where(PaymentLink.id == live.id).execute()
    assert live_links(invoice.patient.id, now) == []
    with pytest.raises(RevokeRefused, match="no longer open"):
        revoke_link(LinkKind.PAYMENT, live.id, staff=setup.provider, now=now)

"""``record_publication``: the link's row written once and its PIN replaced on a re-PUT, the
links it revokes closed, and nothing written once the agent no longer holds the message."""

from __future__ import annotations

from datetime import datetime, timedelta

from models.database.base import fk_id, utcnow
from models.links.download_links import (
    LinkToRevoke,
    Publication,
    links_to_revoke,
    newer_send,
    record_publication,
)
from models.links.tables import DownloadLink
from models.messaging.outbox import Reply, claim, rescue
from models.messaging.secure_link import event_tag, link_key, token_hash
from models.messaging.tables import OutboxMessage, Transmission
from models.workflow.sending import cancel, enqueue_invoice_email
from testbed.invoices import billed_invoice
from tests.conftest import Setup

AGENT = "host:1"


def secure_message(setup: Setup, now: datetime) -> OutboxMessage:
    """A message with a portal link, claimed by ``AGENT``."""
    enqueue_invoice_email(billed_invoice(setup.company), pin_mode="sms", phone="514 555 9876", now=now)
    (claimed,) = claim(AGENT, 1, 60, now)
    return claimed


def test_a_link_is_recorded_once_and_a_re_put_replaces_its_pin(setup: Setup) -> None:
    now = utcnow()
    message = secure_message(setup, now)
    expires = now + timedelta(days=30)
    assert record_publication(message, AGENT, Publication("h1", "pin-1", expires), Reply("201"), now)
    assert record_publication(message, AGENT, Publication("h1", "pin-2", expires), Reply("200"), now)
    (link,) = DownloadLink.select()
    assert (link.token_hash, link.pin_hash, link.pin_mode) == ("h1", "pin-2", "sms")
    assert fk_id(link, "message") == message.id
    assert (link.expires_at, link.created_at) == (expires, now)
    assert (link.download_count, link.failed_attempts, link.revoked_at) == (0, 0, None)  # the defaults
    assert OutboxMessage.get_by_id(message.id).published_at == now
    assert [t.status for t in Transmission.select()] == ["published", "published"]


def test_a_new_link_closes_the_ones_it_revokes(setup: Setup) -> None:
    now = utcnow()
    old = secure_message(setup, now)
    expires = now + timedelta(days=30)
    published = Publication("old", "pin", expires, link_key="k" * 64)
    assert record_publication(old, AGENT, published, Reply("201"), now)
    later = now + timedelta(minutes=5)
    new = secure_message(setup, later)
    assert DownloadLink.get(DownloadLink.token_hash == "old").event_tag == event_tag("old")
    assert record_publication(new, AGENT, Publication("new", "pin", expires, ("old",)), Reply("201"), later)
    revoked = {link.token_hash: link.revoked_at for link in DownloadLink.select()}
    assert revoked == {"old": later, "new": None}


def test_nothing_is_recorded_once_the_lease_is_lost(setup: Setup) -> None:
    now = utcnow()
    message = secure_message(setup, now)
    rescue(now + timedelta(seconds=61))  # the lease ran out before the portal answered
    publication = Publication("h1", "pin", now + timedelta(days=30))
    assert not record_publication(message, AGENT, publication, Reply("201"), now)
    assert DownloadLink.select().count() == 0
    assert OutboxMessage.get_by_id(message.id).published_at is None
    assert [t.status for t in Transmission.select()] == ["unknown"]  # the rescue's, only


def test_the_newest_send_of_an_invoice_names_every_older_link(setup: Setup) -> None:
    """An older send not published yet is revoked too (the portal remembers it), and it learns a newer
    send replaces it; a cancelled or failed newer send, or one without a link, replaces nothing."""
    now = utcnow()
    invoice = billed_invoice(setup.company)
    sms = {"pin_mode": "sms", "phone": "514 555 9876", "now": now}
    first, second = enqueue_invoice_email(invoice, **sms), enqueue_invoice_email(invoice, **sms)
    attached = enqueue_invoice_email(invoice, now=now)  # no link of its own
    third = enqueue_invoice_email(invoice, **sms)
    assert links_to_revoke(third, token_hash(third.link_token or "")) == [
        LinkToRevoke(token_hash(first.link_token or ""), link_key(first.link_token or "")),
        LinkToRevoke(token_hash(second.link_token or ""), link_key(second.link_token or "")),
    ]
    assert links_to_revoke(first, token_hash(first.link_token or "")) == []
    # once sent, a link's token is gone: it is revoked with the key its row kept
    DownloadLink.create(
        invoice=invoice,
        message=first,
        token_hash=token_hash(first.link_token or ""),
        pin_hash="p",
        pin_mode="sms",
        expires_at=now,
        link_key="k" * 64,
    )
    OutboxMessage.update(link_token=None, published_at=now).where(OutboxMessage.id == first.id).execute()
    assert links_to_revoke(third, "")[0] == LinkToRevoke(token_hash(first.link_token or ""), "k" * 64)
    assert [newer_send(m) for m in (first, second, attached, third)] == [third.id, third.id, third.id, None]
    cancel(third)
    assert [newer_send(m) for m in (first, second)] == [second.id, None]
    OutboxMessage.update(status="failed").where(OutboxMessage.id == second.id).execute()
    assert newer_send(first) is None

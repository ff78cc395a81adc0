"""``PortalPublishStep``: put a secure message's link on the portal before its email.

What an attempt does depends on what the outbox row says is done:

- not published yet: render the invoice PDF (the composer's ``PdfProvider``, in the
  message's language), PUT the link (the client encrypts the document with the token),
  revoking the invoice's older links, expiry = now + the clinic's ``link_days``; record
  the ``DownloadLink``, the ``portal``/``published`` transmission and ``published_at``;
- SMS mode with the PIN not sent yet (a first try, or a retry after the SMS failed): draw
  a fresh PIN, re-PUT the link with its hash (same token, same expiry), and hand the PIN
  to the SMS step in memory; the PIN of an earlier try stops working at once;
- everything done (an email retry): only tell the email its link and expiry;
- a newer send of the invoice queued (or its link revoked): the message ends ``replaced``
  before anything goes out, and the newer send's PUT names this link among those it revokes,
  published or not, so a PUT of it that was already on its way is refused (409: replaced too).

The PUT is an idempotent upsert keyed on the token's hash, so a retry after a crash
publishes the same link again rather than a second one. Each PUT carries the link's key (the
one kept on its row, else the token's): the portal changes a link it has only with it. The
publications share the portal channel's ``Pace``: a 429 from the portal slows them as one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from agent.channels.portal import ClinicContact, PortalDocument, PortalEvent
from agent.errors import DeferredError, RejectedError, ReplacedError
from agent.facts import MessageFacts, message_facts
from agent.pacing import Pace
from agent.pdfs import PdfProvider
from agent.statement_documents import statement_documents
from agent.steps import DbRunner, Delivery
from locales import N_
from models.billing.invoice import Invoice
from models.core.enums import Channel, PinMode
from models.database.base import fk_id, utcnow
from models.links.download_links import (
    LinkToRevoke,
    Publication,
    link_for,
    link_key_for,
    links_to_revoke,
    newer_send,
    record_publication,
)
from models.links.tables import DownloadLink
from models.messaging.outbox import Reply
from models.messaging.secure_link import new_pin, pin_hash, token_hash
from models.messaging.tables import OutboxMessage


class PortalApi(Protocol):
    """What the steps and the events job use of ``agent.channels.portal.PortalClient``."""

    def link_url(self, token: str, language: str) -> str: ...

    async def probe(self) -> None: ...

    async def publish(
        self,
        *,
        token: str,
        link_key: str,
        pin_hash: str,
        expires_at: datetime,
        language: str,
        clinic: ClinicContact,
        documents: Sequence[PortalDocument],
        revokes: Sequence[LinkToRevoke] = (),
    ) -> Reply: ...

    async def stripe_events(
        self, after: int, limit: int = 100
    ) -> tuple[list[tuple[int, dict[str, Any]]], int]: ...

    async def events(self, after: int, limit: int = 500) -> tuple[list[PortalEvent], int]: ...

    async def aclose(self) -> None: ...


@dataclass(frozen=True)
class _Facts:
    """What a publication needs from the database, read in one go on the database thread."""

    invoice: Invoice
    contact: ClinicContact
    link_days: int
    link: DownloadLink | None
    revokes: tuple[LinkToRevoke, ...]
    newer: int | None  # a newer send of the invoice, whose link replaces this one


def _facts(message: OutboxMessage, th: str, known: MessageFacts | None, *, publishing: bool) -> _Facts:
    """The message's link as the database has it, and (``publishing``) the invoice, its clinic and
    the invoice's older links; ``known`` are the message's rows read with its claim."""
    invoice = (known or message_facts(message)).invoice
    clinic = invoice.billing_company.clinic
    contact = ClinicContact(clinic.name, clinic.phone, clinic.email, clinic.timezone, clinic.country)
    revokes = tuple(links_to_revoke(message, th)) if publishing else ()
    # the link's row is written with published_at, in one transaction: never published, no row
    link = link_for(th) if message.published_at is not None else None
    return _Facts(invoice, contact, clinic.link_days, link, revokes, newer_send(message))


class PortalPublishStep:
    """See the module's docstring; ``portal`` is the agent's ``PortalClient`` (closed with the step)."""

    channel = Channel.PORTAL
    after_email = False

    def __init__(
        self,
        portal: PortalApi,
        pdfs: PdfProvider,
        *,
        pace: Pace | None = None,
        clock: Callable[[], datetime] = utcnow,
        pay_base: str = "",
    ) -> None:
        self.portal = portal
        self.pdfs = pdfs
        self.pay_base = pay_base  # [portal] url: a statement's PDF prints the QR code to its Pay page
        self.pace = pace or Pace()  # unlimited until the portal answers 429
        self.clock = clock

    def wanted(self, message: OutboxMessage) -> bool:
        return message.pin_mode in (PinMode.SMS, PinMode.INSTITUTION)

    async def run(self, delivery: Delivery, db: DbRunner) -> None:
        message = delivery.message
        token = message.link_token
        if not token:  # dropped by a send, a failure or a cancel: this row cannot carry a link any more
            raise RejectedError(N_("the message no longer has its link; send the invoice again"))
        th = token_hash(token)
        fresh_pin = message.pin_mode == PinMode.SMS and message.pin_sent_at is None
        # an email retry after everything was published reads only the link
        publishing = message.published_at is None or fresh_pin
        facts = await db(_facts, message, th, delivery.facts, publishing=publishing)
        link = facts.link
        # the newest link of an invoice wins: this message is not sent, nor its PIN texted
        if facts.newer is not None:
            raise ReplacedError(N_("replaced by message {id}, a newer send of this invoice"), id=facts.newer)
        if link is not None and link.revoked_at is not None:
            raise ReplacedError(N_("a newer send of the invoice replaced this link"))
        if not publishing and link is not None:
            self._fill(delivery, token, link.expires_at)
            return
        if not publishing:  # published, yet the link is gone from the database: publish it again
            facts = await db(_facts, message, th, delivery.facts, publishing=True)
        statement = fk_id(message, "statement")
        if statement is not None:  # a statement of account: its PDF and its invoices'
            documents = await asyncio.to_thread(self._statement_documents, statement, message.language)
        elif delivery.pdf is not None:  # read with the claim
            documents = [PortalDocument(self.pdfs.filename(facts.invoice, message.language), delivery.pdf)]
        else:  # rendered meanwhile, or rendered now
            documents = [await asyncio.to_thread(self._document, facts.invoice, message.language)]
        if fresh_pin:
            pin = new_pin()
            hashed = pin_hash(token, pin)
        else:
            pin, hashed = None, str(message.pin_hash or "")
        now = self.clock()
        expires_at = link.expires_at if link is not None else now + timedelta(days=facts.link_days)
        key = link_key_for(token, link)
        await self.pace.turn()
        reply = await self.portal.publish(
            token=token,
            link_key=key,
            pin_hash=hashed,
            expires_at=expires_at,
            language=message.language,
            clinic=facts.contact,
            documents=documents,
            revokes=facts.revokes,
        )
        self.pace.accepted()
        revoked = tuple(r.token_hash for r in facts.revokes)
        publication = Publication(th, hashed, expires_at, revoked, link_key=key)
        if not await db(record_publication, message, delivery.agent_id, publication, reply, now):
            raise DeferredError(N_("the message was taken back by the queue meanwhile"))
        delivery.pin = pin
        self._fill(delivery, token, expires_at)

    def _document(self, invoice: Invoice, language: str) -> PortalDocument:
        return PortalDocument(self.pdfs.filename(invoice, language), self.pdfs.get(invoice, language))

    def _statement_documents(self, statement_id: int, language: str) -> list[PortalDocument]:
        return [
            PortalDocument(name, pdf)
            for name, pdf in statement_documents(statement_id, language, self.pdfs, self.pay_base)
        ]

    def _fill(self, delivery: Delivery, token: str, expires_at: datetime) -> None:
        delivery.download_url = self.portal.link_url(token, delivery.message.language)
        delivery.link_expires_at = expires_at

    async def probe(self) -> None:
        await self.portal.probe()

    async def close(self) -> None:
        await self.portal.aclose()

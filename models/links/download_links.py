"""The clinic's record of its secure links: what was published, and what the portal says happened.

- ``record_publication``: a link was PUT on the portal: its ``portal``/``published``
  transmission, the ``DownloadLink`` row (created with its link key and event tag, or its PIN
  hash replaced on a re-PUT) and the older links of the invoice that the PUT revoked, in one
  transaction, only while the agent still holds the message;
- ``links_to_revoke``: the older links a new one revokes, each with the proof the portal asks
  for (its link key: kept on the row, or derived from the token of a message not published yet);
- ``apply_portal_events``: the portal's events (``downloaded``, ``locked``,
  ``expired_visit``; ``opened`` is not kept) applied to the links they name by their tag, and the
  ``portal:events`` cursor moved in the same transaction, so a crash neither skips an
  event nor counts one twice. Events of links this clinic does not know are skipped.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import peewee

from locales import N_
from models.billing.invoice import describe
from models.core.enums import Channel, OutboxStatus, PinMode, TransmissionStatus
from models.database.base import fk_id, utcnow
from models.database.db import db
from models.links.sync_cursor import read_cursor, write_cursor
from models.links.tables import DownloadLink
from models.messaging import secure_link
from models.messaging.notifications import admin_ids
from models.messaging.outbox import Reply, mark_step
from models.messaging.tables import Notification, OutboxMessage, Transmission

EVENTS_CURSOR = "portal:events"
LINKED_PIN_MODES = (PinMode.SMS, PinMode.INSTITUTION)  # the messages that carry a download link
LINK_LOCKED = "link_locked"  # Notification.kind
LOCKED_NOTICE = N_(
    "The download link of invoice {invoice} was locked after too many wrong PINs: send the invoice again"
)


class PortalEventLike(Protocol):
    """What the agent's portal client reads back (``agent.channels.portal.PortalEvent``)."""

    @property
    def id(self) -> int: ...
    @property
    def tag(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def document(self) -> int | None: ...
    @property
    def at(self) -> datetime: ...


@dataclass(frozen=True)
class Publication:
    """One successful PUT of a link."""

    token_hash: str
    pin_hash: str
    expires_at: datetime
    revoked: tuple[str, ...] = ()
    link_key: str = ""  # kept on a new row: the token that derives it leaves with the email


@dataclass(frozen=True)
class LinkToRevoke:
    """An older link a new one replaces, and the proof of its token the portal asks for."""

    token_hash: str
    link_key: str


def link_for(token_hash: str) -> DownloadLink | None:
    return DownloadLink.get_or_none(DownloadLink.token_hash == token_hash)


def link_key_for(token: str, link: DownloadLink | None) -> str:
    """The link key a change to the link of ``token`` brings: the one kept on its row (a link
    published before link keys has one derived otherwise), else the token's."""
    return str(link.link_key) if link is not None and link.link_key else secure_link.link_key(token)


def same_documents(message: OutboxMessage) -> peewee.Expression:
    """The outbox rows whose link carries what ``message``'s does: the invoice's sends, or the sends
    of the same statement of account (filed under its newest invoice, never replacing its links)."""
    statement = fk_id(message, "statement")
    if statement is None:
        return OutboxMessage.statement.is_null()
    return OutboxMessage.statement == statement


def links_to_revoke(message: OutboxMessage, keep: str) -> list[LinkToRevoke]:
    """The invoice's links still open that ``message``'s new link replaces: those of messages queued
    before it (a message queued earlier but published later must not close a newer link), published
    or not: an older message of the same batch, not published yet, must find its link refused when
    it tries (the portal remembers a revoked link it never had)."""
    invoice = fk_id(message, "invoice")
    published = (
        DownloadLink.select(DownloadLink.token_hash, DownloadLink.link_key)
        .join(OutboxMessage, peewee.JOIN.LEFT_OUTER, on=(DownloadLink.message == OutboxMessage.id))
        .where(
            (DownloadLink.invoice == invoice)
            & DownloadLink.revoked_at.is_null()
            & (DownloadLink.token_hash != keep)
            & (DownloadLink.message.is_null() | (DownloadLink.message < message.id))
            & same_documents(message)
        )
    )
    waiting = OutboxMessage.select(OutboxMessage.link_token).where(
        (OutboxMessage.invoice == invoice)
        & same_documents(message)
        & (OutboxMessage.id < message.id)
        & OutboxMessage.link_token.is_null(False)
        & OutboxMessage.published_at.is_null()
        & OutboxMessage.status.in_(_LIVE)
    )
    links = {row.token_hash: LinkToRevoke(row.token_hash, str(row.link_key or "")) for row in published}
    for row in waiting:
        token = str(row.link_token)
        th = secure_link.token_hash(token)
        if th != keep and th not in links:
            links[th] = LinkToRevoke(th, secure_link.link_key(token))
    return list(links.values())


# a message whose link may still reach its patient: queued, on its way, or sent
_LIVE = (OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.SENT)


def newer_send(message: OutboxMessage) -> int | None:
    """The id of a send of the same invoice queued after ``message`` that carries a link of its own
    (queued, on its way or sent): its link replaces this one's, so this one must not go out."""
    newer = (
        OutboxMessage.select(OutboxMessage.id)
        .where(
            (OutboxMessage.invoice == fk_id(message, "invoice"))
            & same_documents(message)
            & (OutboxMessage.id > message.id)
            & OutboxMessage.pin_mode.in_(LINKED_PIN_MODES)
            & OutboxMessage.status.in_(_LIVE)
        )
        .order_by(OutboxMessage.id.desc())
        .first()
    )
    return None if newer is None else int(newer.id)


def record_publication(
    message: OutboxMessage, agent_id: str, publication: Publication, reply: Reply, now: datetime | None = None
) -> bool:
    """The portal took the link: see the module's docstring. False when the lease was lost."""
    now = now or utcnow()
    with db.atomic():
        done: dict[str, Any] = {"published_at": now} if message.published_at is None else {}
        if not mark_step(
            message, agent_id, Channel.PORTAL, TransmissionStatus.PUBLISHED, reply, now=now, **done
        ):
            return False
        updated = (
            DownloadLink.update(pin_hash=publication.pin_hash)
            .where(DownloadLink.token_hash == publication.token_hash)
            .execute()
        )
        if not updated:
            DownloadLink.insert(
                invoice=fk_id(message, "invoice"),
                message=message.id,
                token_hash=publication.token_hash,
                pin_hash=publication.pin_hash,
                link_key=publication.link_key or None,
                event_tag=secure_link.event_tag(publication.token_hash),
                pin_mode=message.pin_mode,
                expires_at=publication.expires_at,
                created_at=now,
            ).execute()
        if publication.revoked:
            DownloadLink.update(revoked_at=now).where(
                DownloadLink.token_hash.in_(publication.revoked) & DownloadLink.revoked_at.is_null()
            ).execute()
    return True


@dataclass(frozen=True)
class LinkState:
    """An invoice's latest link the patient received (its email sent) and not replaced since."""

    pin_mode: str
    expires_at: datetime
    downloads: int
    last_download_at: datetime | None
    locked_at: datetime | None


def latest_link(invoice_id: int) -> LinkState | None:
    link = (
        DownloadLink.select()
        .join(OutboxMessage, on=DownloadLink.message == OutboxMessage.id)
        .where(
            (DownloadLink.invoice == invoice_id)
            & DownloadLink.revoked_at.is_null()
            & (OutboxMessage.status == OutboxStatus.SENT)  # a link whose email failed reached no one
        )
        .order_by(DownloadLink.id.desc())
        .first()
    )
    if link is None:
        return None
    return LinkState(
        link.pin_mode, link.expires_at, link.download_count, link.last_download_at, link.locked_at
    )


def events_after() -> int:
    """The last portal event id applied (0 before the first pull)."""
    value = read_cursor(EVENTS_CURSOR, "0")
    return int(value) if value.isdigit() else 0


def apply_portal_events(events: Sequence[PortalEventLike], last: int) -> int:
    """Apply ``events`` and move the cursor to ``last``, together; the number of events applied."""
    applied = 0
    with db.atomic():
        for event in events:
            link = DownloadLink.get_or_none(DownloadLink.event_tag == event.tag)
            if link is not None and _apply(link, event):
                applied += 1
        write_cursor(EVENTS_CURSOR, str(last))
    return applied


def _apply(link: DownloadLink, event: PortalEventLike) -> bool:
    if event.kind == "downloaded":
        latest = max(link.last_download_at, event.at) if link.last_download_at else event.at
        DownloadLink.update(download_count=DownloadLink.download_count + 1, last_download_at=latest).where(
            DownloadLink.id == link.id
        ).execute()
        # which of the link's documents, where it carries several ("#2"); an invoice link has one
        which = f"#{event.document + 1}" if event.document else None
        _transmission(link, event, TransmissionStatus.DOWNLOADED, which)
        return True
    if event.kind == "locked":
        if link.locked_at is None:
            DownloadLink.update(locked_at=event.at).where(DownloadLink.id == link.id).execute()
            _notify_locked(link, event.at)
        return True
    if event.kind == "expired_visit":
        _transmission(link, event, TransmissionStatus.EXPIRED, EXPIRED_VISIT)
        return True
    return False  # "opened", or a kind a newer portal added


# A transmission's detail is a msgid where Facteur writes it: each reader reads it in their language.
EXPIRED_VISIT = N_("visited after the link expired")


def _transmission(
    link: DownloadLink, event: PortalEventLike, status: TransmissionStatus, detail: str | None
) -> None:
    Transmission.create(
        invoice=fk_id(link, "invoice"),
        message=fk_id(link, "message"),
        channel=Channel.PORTAL.value,
        status=status.value,
        provider_id=link.token_hash,
        detail=detail,
        created_at=event.at,
    )


def _notify_locked(link: DownloadLink, at: datetime) -> None:
    """Whoever sent the link (else the admins) learns it is locked: only a new send opens it again."""
    message = link.message
    author = fk_id(message, "created_by") if message is not None else None
    params = json.dumps({"invoice": describe(link.invoice)}, ensure_ascii=False)
    for staff_id in [author] if author is not None else admin_ids():
        Notification.create(
            staff=staff_id,
            kind=LINK_LOCKED,
            invoice=fk_id(link, "invoice"),
            message=LOCKED_NOTICE,
            params=params,
            created_at=at,
        )

"""A patient's live links in one place, and revoking one.

A *live link* is one a patient could still open: a secure download link on the portal (not
revoked, not expired, its email sent) or a Stripe payment link (open, not expired). Staff revoke
one through the outbox, so it works offline: a download link by a ``revoke`` link task the agent
carries to the portal (``agent.delivery.revoke``), after which its page says the clinic revoked
it; a payment link by the existing ``remove`` task (``models.links.payment_links``), which also
closes the invoice's Pay page. A second revoke of a link already on its way returns that task.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import cast

from locales import L_, N_, LazyText
from models.billing.invoice import Invoice, describe
from models.billing.statements import Statement
from models.core.enums import Channel, LinkAction, OutboxStatus, PaymentLinkStatus, TransmissionStatus
from models.core.errors import FacteurError, NotFoundError
from models.database.base import fk_id, utcnow
from models.database.db import db
from models.links.payment_links import queue_link_task
from models.links.tables import DownloadLink, PaymentLink
from models.messaging.outbox import Reply, mark_step
from models.messaging.tables import OutboxMessage
from models.people.clinic import Staff

_WAITING = (OutboxStatus.PENDING, OutboxStatus.SENDING)
REVOKED_DETAIL = N_("revoked by the clinic")
UNKNOWN_TO_PORTAL = N_("revoked; the portal no longer had it")


class LinkKind(StrEnum):
    DOWNLOAD = "download"
    PAYMENT = "payment"


LINK_KIND: dict[LinkKind, LazyText] = {
    LinkKind.DOWNLOAD: L_("Download link"),
    LinkKind.PAYMENT: L_("Payment link"),
}


class RevokeRefused(FacteurError):
    """The link cannot be revoked (gone, expired, or already closed); the message says which."""


@dataclass(frozen=True)
class LiveLink:
    """One link a patient could still open, as the patient screen lists it."""

    kind: LinkKind
    id: int  # of its DownloadLink or PaymentLink row
    invoice_id: int
    document: str  # the invoice's number, or the statement's reference
    sent_at: datetime | None  # when its email went (None: made without one, e.g. from the invoice)
    sent_to: str  # the address the email went to ("" when unknown)
    opened: int  # downloads of a download link; a payment link's opening is not known (-1)
    last_opened_at: datetime | None
    expires_at: datetime
    locked: bool  # too many wrong PINs: only a new send opens it again
    revoking: bool  # a revocation is queued and the agent has not done it yet


def live_links(patient_id: int, now: datetime | None = None) -> list[LiveLink]:
    """The patient's live links, newest first: their own invoices' and statements'."""
    now = now or utcnow()
    return sorted(
        [*_download_links(patient_id, now), *_payment_links(patient_id, now)],
        key=lambda link: (link.sent_at or link.expires_at, link.kind, link.id),
        reverse=True,
    )


def _download_links(patient_id: int, now: datetime) -> list[LiveLink]:
    rows = (
        DownloadLink.select(DownloadLink, OutboxMessage, Invoice)
        .join(OutboxMessage, on=DownloadLink.message == OutboxMessage.id)
        .switch(DownloadLink)
        .join(Invoice)
        .where(
            (Invoice.patient == patient_id)
            & DownloadLink.revoked_at.is_null()
            & (DownloadLink.expires_at > now)
            & (OutboxMessage.status == OutboxStatus.SENT)  # a link whose email failed reached no one
        )
    )
    links = [(link, cast(OutboxMessage, link.message)) for link in rows]  # joined: never None
    revoking = _revocations_waiting([str(link.token_hash) for link, _ in links])
    statements = _references({fk_id(message, "statement") for _, message in links} - {None})
    found = []
    for link, message in links:
        statement = fk_id(message, "statement")
        found.append(
            LiveLink(
                kind=LinkKind.DOWNLOAD,
                id=link.id,
                invoice_id=fk_id(link, "invoice") or 0,
                document=statements.get(statement, "") if statement else describe(link.invoice),
                sent_at=message.sent_at,
                sent_to=str(message.recipient_email or ""),
                opened=int(link.download_count),
                last_opened_at=link.last_download_at,
                expires_at=link.expires_at,
                locked=link.locked_at is not None,
                revoking=str(link.token_hash) in revoking,
            )
        )
    return found


def _payment_links(patient_id: int, now: datetime) -> list[LiveLink]:
    rows = (
        PaymentLink.select(PaymentLink, Invoice)
        .join(Invoice)
        .where(
            (Invoice.patient == patient_id)
            & (PaymentLink.status == PaymentLinkStatus.OPEN)
            & PaymentLink.completed_at.is_null()  # paid by a delayed method: nothing left to revoke
            & (PaymentLink.expires_at > now)
        )
    )
    links = list(rows)
    messages = {
        message.id: message
        for message in OutboxMessage.select(
            OutboxMessage.id,
            OutboxMessage.sent_at,
            OutboxMessage.recipient_email,
            OutboxMessage.recipient_phone,
            OutboxMessage.link_action,
        ).where(OutboxMessage.id.in_([fk_id(link, "message") for link in links]))
    }
    removing = {
        fk_id(task, "invoice")
        for task in OutboxMessage.select(OutboxMessage.invoice).where(
            OutboxMessage.invoice.in_([fk_id(link, "invoice") for link in links])
            & (OutboxMessage.link_action == LinkAction.REMOVE.value)
            & OutboxMessage.status.in_(_WAITING)
        )
    }
    found = []
    for link in links:
        message = messages.get(fk_id(link, "message") or 0)
        emailed = message is not None and message.link_action is None  # an email, or a text
        found.append(
            LiveLink(
                kind=LinkKind.PAYMENT,
                id=link.id,
                invoice_id=fk_id(link, "invoice") or 0,
                document=describe(link.invoice),
                sent_at=message.sent_at if emailed and message is not None else None,
                sent_to=str(message.recipient_email or message.recipient_phone or "")
                if emailed and message is not None
                else "",
                opened=-1,
                last_opened_at=None,
                expires_at=link.expires_at,
                locked=False,
                revoking=fk_id(link, "invoice") in removing,
            )
        )
    return found


def _revocations_waiting(token_hashes: list[str]) -> set[str]:
    if not token_hashes:
        return set()
    tasks = OutboxMessage.select(OutboxMessage.revokes).where(
        OutboxMessage.revokes.in_(token_hashes) & OutboxMessage.status.in_(_WAITING)
    )
    return {str(task.revokes) for task in tasks}


def _references(statement_ids: set[int | None]) -> dict[int | None, str]:
    return {s.id: s.reference for s in Statement.select().where(Statement.id.in_(list(statement_ids)))}


def revoke_link(
    kind: LinkKind, link_id: int, *, staff: Staff | None = None, now: datetime | None = None
) -> OutboxMessage:
    """Queue the revocation of one live link (see the module's docstring); the task the agent does."""
    now = now or utcnow()
    if kind is LinkKind.PAYMENT:
        payment = PaymentLink.get_or_none(PaymentLink.id == link_id)
        if payment is None or payment.status != PaymentLinkStatus.OPEN or payment.expires_at <= now:
            raise RevokeRefused(N_("this payment link is no longer open: there is nothing to revoke"))
        return queue_link_task(fk_id(payment, "invoice") or 0, LinkAction.REMOVE, staff=staff, now=now)
    with db.atomic():
        link = DownloadLink.get_or_none(DownloadLink.id == link_id)
        if link is None:
            raise NotFoundError(N_("no download link {link}"), link=f"#{link_id}")
        if link.revoked_at is not None:
            raise RevokeRefused(N_("this download link is already revoked"))
        if link.expires_at <= now:
            raise RevokeRefused(N_("this download link has expired: it no longer opens"))
        waiting = (
            OutboxMessage.select()
            .where((OutboxMessage.revokes == link.token_hash) & OutboxMessage.status.in_(_WAITING))
            .first()
        )
        if waiting is not None:
            return waiting
        invoice = link.invoice
        return OutboxMessage.create(
            kind="invoice",
            invoice=invoice,
            statement=fk_id(link.message, "statement") if link.message is not None else None,
            language=invoice.billed_to_language or invoice.patient.language or "fr",
            attach_pdf=False,
            link_action=LinkAction.REVOKE.value,
            revokes=link.token_hash,
            created_by=staff,
            created_at=now,
            next_attempt_at=now,
        )


@dataclass(frozen=True)
class Revocation:
    """What the agent needs to revoke a link: its token hash and the proof of its token."""

    token_hash: str
    link_key: str


def revocation_of(message: OutboxMessage) -> Revocation | None:
    """The link ``message`` (a revoke task) closes, or None when it is gone from the database."""
    link = DownloadLink.get_or_none(DownloadLink.token_hash == message.revokes)
    if link is None or not link.link_key:
        return None
    return Revocation(str(link.token_hash), str(link.link_key))


def record_revocation(
    message: OutboxMessage, agent_id: str, reply: Reply, *, known: bool = True, now: datetime | None = None
) -> bool:
    """The portal closed the link (``known``: it had it): its ``portal``/``revoked`` transmission and
    the link's ``revoked_at``, together, only while the agent holds the message."""
    now = now or utcnow()
    detail = REVOKED_DETAIL if known else UNKNOWN_TO_PORTAL
    with db.atomic():
        revoked = replace(reply, text=detail)
        if not mark_step(message, agent_id, Channel.PORTAL, TransmissionStatus.REVOKED, revoked, now=now):
            return False
        DownloadLink.update(revoked_at=now).where(
            (DownloadLink.token_hash == message.revokes) & DownloadLink.revoked_at.is_null()
        ).execute()
    return True

"""The rules of a link: publish (upsert), revoke, the PIN with its lock, downloads, events, the sweep.

A link is, in this order of precedence:

- **revoked** once the clinic resent (a newer link named it in ``revokes``: *replaced*) or revoked
  it (``POST …/revoke``: *revoked by the clinic*); the first reason stays, whatever names the link
  afterwards, and the patient's page says which; a revoked link never comes back (a PUT on it is
  refused);
- **expired** at and after ``expires_at``: a hard end, whatever the PIN;
- **locked** after ``MAX_FAILED_PINS`` wrong PINs; even the right PIN is then refused;
  a re-PUT keeps the count and the lock, only a new link (a resend) ends it;
- **open** otherwise.

Creating a link takes only the API token; changing one that exists (a re-PUT, a revocation, by
itself or named in a newer link's ``revokes``) takes the proof of its token too: the link key
whose SHA-256 the link was created with (``models.messaging.secure_link``), so the API token
alone cannot rewrite what a patient's page shows, nor its PIN. A revoked link needs no proof
(nothing about it changes any more), nor does a link the portal never had (a tombstone is made).
The PIN's hash is stored wrapped under the pepper (``portal.pepper``).

Every change happens in one ``BEGIN IMMEDIATE`` transaction, so two requests racing on
the same link count every wrong PIN. Methods are blocking: call them from a thread.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeAlias

from peewee import Field

from models.messaging.secure_link import link_key_matches, link_key_verifier, pin_hash
from portal.blobs import BlobStore
from portal.pepper import Peppers
from portal.storage import Document, Event, Link, portal_db

# The API's reasons, plain English like an SMTP server's: they end up in the clinic's log for an operator
REVOKED_REASON = "this link was revoked; publish a new link instead"
WRONG_KEY = "link_key does not prove this link's token; nothing was changed"
WRONG_REVOKE_KEY = "revokes: the link_key of link {link}… does not prove its token; nothing was changed"

MAX_FAILED_PINS = 5
MAX_DOCUMENTS = 10
EXPIRED_VISIT_SPACING = dt.timedelta(hours=1)  # one ``expired_visit`` event per link per hour is plenty
EVENT_RETENTION = dt.timedelta(days=90)
ORPHAN_AGE_SECONDS = 3600.0


class LinkState(StrEnum):
    OPEN = "open"
    LOCKED = "locked"
    EXPIRED = "expired"
    REVOKED = "revoked"  # replaced: a newer link named it in its ``revokes`` (a resend)
    REVOKED_BY_CLINIC = "revoked_by_clinic"  # the clinic revoked it (``LinkStore.revoke``)


class RevokeReason(StrEnum):
    """Why a link was revoked, as ``Link.revoked_reason`` keeps it (set once, with ``revoked_at``)."""

    REPLACED = "replaced"  # a newer link named it in its ``revokes``, published or not yet
    CLINIC = "clinic"  # the clinic revoked it (``POST /api/v1/links/{token_hash}/revoke``)


class EventKind(StrEnum):
    OPENED = "opened"
    DOWNLOADED = "downloaded"
    LOCKED = "locked"
    EXPIRED_VISIT = "expired_visit"


class PublishRefused(Exception):
    """A change the portal refuses; ``status`` is the API's answer, ``str(exc)`` its reason."""

    status = 400
    code: str | None = None


class LinkRevokedError(PublishRefused):
    """A PUT named a link that was revoked: it stays revoked."""

    status = 409


class LinkProofError(PublishRefused):
    """A change to a link that exists, without the proof of its token (its link key)."""

    status = 403
    code = "link_proof_refused"

    def __init__(self, token_hash: str, reason: str) -> None:
        super().__init__(reason)
        self.token_hash = token_hash


PublishOutcome: TypeAlias = bool | PublishRefused  # True created, False replaced, or the refusal


@dataclass(frozen=True)
class ClinicInfo:
    name: str
    phone: str = ""
    email: str = ""
    timezone: str = ""  # IANA; empty: the portal's configured default
    country: str = ""


@dataclass(frozen=True)
class EncryptedDocument:
    name: bytes  # encrypted file name
    content: bytes  # encrypted PDF


@dataclass(frozen=True)
class Revocation:
    """A link to revoke and the proof of its token."""

    token_hash: str
    link_key: str


@dataclass(frozen=True)
class Publication:
    token_hash: str
    link_key: str  # the proof of the token: its SHA-256 is kept at creation, compared afterwards
    pin_hash: str  # as the agent computed it; stored wrapped under the pepper
    expires_at: dt.datetime
    language: str
    clinic: ClinicInfo
    documents: tuple[EncryptedDocument, ...]
    revokes: tuple[Revocation, ...] = ()


@dataclass(frozen=True)
class DocumentView:
    slot: int
    name: bytes  # encrypted
    size: int


@dataclass(frozen=True)
class LinkView:
    """A snapshot of a link as a page needs it (no lazy queries on the event loop)."""

    token_hash: str
    pin_hash: str  # as stored (wrapped): what a grant is bound to
    state: LinkState
    language: str
    expires_at: dt.datetime
    clinic: ClinicInfo
    attempts_left: int
    documents: tuple[DocumentView, ...]


@dataclass(frozen=True)
class PinOutcome:
    """``state`` after the attempt; ``opened`` when the PIN was right on an open link."""

    opened: bool
    state: LinkState
    attempts_left: int
    link: LinkView


def state_of(link: Link, now: dt.datetime) -> LinkState:
    if link.revoked_at is not None:
        if link.revoked_reason == RevokeReason.CLINIC:
            return LinkState.REVOKED_BY_CLINIC
        return LinkState.REVOKED
    if now >= link.expires_at:
        return LinkState.EXPIRED
    if link.locked_at is not None:
        return LinkState.LOCKED
    return LinkState.OPEN


def _view(link: Link, now: dt.datetime) -> LinkView:
    documents = tuple(
        DocumentView(d.slot, bytes(d.name), d.size)
        for d in Document.select()
        .where(Document.link == link, Document.blob.is_null(False))
        .order_by(Document.slot)
    )
    return LinkView(
        token_hash=link.token_hash,
        pin_hash=link.pin_hash,
        state=state_of(link, now),
        language=link.language,
        expires_at=link.expires_at,
        clinic=ClinicInfo(
            link.clinic_name, link.clinic_phone, link.clinic_email, link.clinic_timezone, link.clinic_country
        ),
        attempts_left=max(0, MAX_FAILED_PINS - link.failed_attempts),
        documents=documents,
    )


def _described(p: Publication) -> dict[Field, object]:
    """What a publication says of its link: its language, expiry and clinic."""
    return {
        Link.language: p.language,
        Link.expires_at: p.expires_at,
        Link.clinic_name: p.clinic.name,
        Link.clinic_phone: p.clinic.phone,
        Link.clinic_email: p.clinic.email,
        Link.clinic_timezone: p.clinic.timezone,
        Link.clinic_country: p.clinic.country,
    }


def _found(token_hash: str) -> Link | None:
    """The link of ``token_hash`` with only what a change reads of it (its id, ``revoked_at`` and
    ``key_verifier``), or None when unknown."""
    return (
        Link.select(Link.id, Link.revoked_at, Link.key_verifier)
        .where(Link.token_hash == token_hash)
        .get_or_none()
    )


def _proven(link: Link, link_key: str | None) -> bool:
    return (
        link_key is not None
        and link.key_verifier is not None
        and link_key_matches(link_key, link.key_verifier)
    )


def _record(token_hash: str, kind: EventKind, now: dt.datetime, document: int | None = None) -> None:
    Event.create(token_hash=token_hash, kind=kind.value, document=document, at=now)


class LinkStore:
    """The links of this portal, over ``portal_db`` and a ``BlobStore``."""

    def __init__(self, blobs: BlobStore, peppers: Peppers) -> None:
        self.blobs = blobs
        self.peppers = peppers

    # The agent's side ----------------------------------------------------------------------------

    def publish(self, publication: Publication, now: dt.datetime) -> bool:
        """Create or replace a link and revoke the ones it supersedes; True when created.

        ``LinkRevokedError`` when that link was revoked: it stays so, and nothing is stored;
        ``LinkProofError`` when it, or a link it revokes, exists without the proof of its token.
        """
        (outcome,) = self.publish_many([publication], now)
        if isinstance(outcome, PublishRefused):
            raise outcome
        return outcome

    def publish_many(self, publications: Sequence[Publication], now: dt.datetime) -> list[PublishOutcome]:
        """``publish`` each of ``publications`` in order, as one transaction; an outcome for each:
        True created, False replaced, a ``PublishRefused`` refused (the others go on).

        The blobs are written (and synced) before the transaction, the replaced ones deleted
        after it: a crash in between leaves only orphan files, which the sweep removes. Each
        publication runs in its own savepoint, so a refused one leaves no trace but its blobs,
        deleted after the commit. Any other error rolls back the whole batch and deletes every
        blob it wrote.
        """
        if not publications:
            return []
        written = self.blobs.write_many([d.content for p in publications for d in p.documents])
        per_publication: list[list[str]] = []
        start = 0
        for publication in publications:
            per_publication.append(written[start : start + len(publication.documents)])
            start += len(publication.documents)
        outcomes: list[PublishOutcome] = []
        dropped: list[str] = []
        try:
            with portal_db.atomic():
                for publication, blob_names in zip(publications, per_publication, strict=True):
                    try:
                        with portal_db.atomic():  # a savepoint: a refusal rolls back this one only
                            created, gone = self._publish_one(publication, blob_names, now)
                    except PublishRefused as exc:
                        outcomes.append(exc)
                        dropped += blob_names
                        continue
                    outcomes.append(created)
                    dropped += gone
        except BaseException:
            self.blobs.delete(written)
            raise
        self.blobs.delete(dropped)
        return outcomes

    def _publish_one(
        self, publication: Publication, blob_names: Sequence[str], now: dt.datetime
    ) -> tuple[bool, list[str]]:
        created, dropped = self._upsert(publication, blob_names, now)
        for other in publication.revokes:
            if other.token_hash != publication.token_hash:
                dropped += self._revoke(
                    other.token_hash, other.link_key, now, RevokeReason.REPLACED, tombstone_from=publication
                )
        return created, dropped

    def _upsert(self, p: Publication, blob_names: Sequence[str], now: dt.datetime) -> tuple[bool, list[str]]:
        found = _found(p.token_hash)
        # failed_attempts and locked_at are left as they are: a retried PUT must not unlock
        values: dict[Any, Any] = {  # peewee fields of several types
            Link.pin_hash: self.peppers.wrap(p.pin_hash),
            Link.pin_pepper: self.peppers.current,
            Link.swept_at: None,
            Link.updated_at: now,
            **_described(p),
        }
        if found is not None:
            if found.revoked_at is not None:
                raise LinkRevokedError(REVOKED_REASON)
            if not _proven(found, p.link_key):
                raise LinkProofError(p.token_hash, WRONG_KEY)
            link_id = found.id
            Link.update(values).where(Link.id == link_id).execute()
            dropped = self._drop_documents(link_id)
        else:
            link_id = Link.insert(
                {
                    Link.token_hash: p.token_hash,
                    Link.key_verifier: link_key_verifier(p.link_key),
                    Link.created_at: now,
                    **values,
                }
            ).execute()
            dropped = []
        for slot, (document, blob) in enumerate(zip(p.documents, blob_names, strict=True)):
            Document.insert(
                link=link_id, slot=slot, name=document.name, blob=blob, size=len(document.content)
            ).execute()
        return found is None, dropped

    def _drop_documents(self, link_id: int) -> list[str]:
        names = [d.blob for d in Document.select(Document.blob).where(Document.link == link_id) if d.blob]
        Document.delete().where(Document.link == link_id).execute()
        return names

    def _revoke(
        self,
        token_hash: str,
        link_key: str | None,
        now: dt.datetime,
        reason: RevokeReason,
        tombstone_from: Publication | None = None,
    ) -> list[str]:
        """Revoke ``token_hash`` for ``reason`` unless it already is (its first time and reason stay);
        the blobs to delete after the commit. ``tombstone_from``: remember an unknown link as revoked."""
        found = _found(token_hash)
        if found is None:
            if tombstone_from is not None:
                # An older link the agent never managed to publish: remember it as revoked, so a
                # late PUT of it cannot bring it to life after its replacement went out.
                tombstone = {Link.token_hash: token_hash, Link.pin_hash: "", **_described(tombstone_from)}
                times: dict[Field, object] = {
                    Link.revoked_at: now,
                    Link.revoked_reason: reason.value,
                    Link.swept_at: now,
                    Link.created_at: now,
                    Link.updated_at: now,
                }
                Link.insert({**tombstone, **times}).execute()
            return []
        if found.revoked_at is None and not _proven(found, link_key):
            refusal = WRONG_KEY if tombstone_from is None else WRONG_REVOKE_KEY.format(link=token_hash[:8])
            raise LinkProofError(token_hash, refusal)
        # the first revocation's time and reason stay: revoking again changes nothing the page says
        first: dict[Field, object] = (
            {Link.revoked_at: now, Link.revoked_reason: reason.value} if found.revoked_at is None else {}
        )
        Link.update({**first, Link.swept_at: now, Link.updated_at: now}).where(Link.id == found.id).execute()
        return self._drop_documents(found.id)

    def revoke(self, token_hash: str, link_key: str | None, now: dt.datetime) -> bool:
        """The clinic revokes one link (again is fine: a link already revoked keeps its first reason);
        False when unknown (no tombstone: nothing says what its page would show);
        ``LinkProofError`` for an open link without the proof of its token."""
        with portal_db.atomic():
            if not Link.select().where(Link.token_hash == token_hash).exists():
                return False
            dropped = self._revoke(token_hash, link_key, now, RevokeReason.CLINIC)
        self.blobs.delete(dropped)
        return True

    def events(self, after: int, limit: int) -> tuple[list[Event], int]:
        """Events with an id above ``after``, oldest first; the highest id returned (``after`` if none)."""
        rows = list(Event.select().where(Event.id > after).order_by(Event.id).limit(limit))
        return rows, rows[-1].id if rows else after

    # The patient's side --------------------------------------------------------------------------

    def find(self, token_hash: str, now: dt.datetime) -> LinkView | None:
        link = Link.get_or_none(Link.token_hash == token_hash)
        return None if link is None else _view(link, now)

    def note_expired_visit(self, token_hash: str, now: dt.datetime) -> None:
        """An ``expired_visit`` event, at most one per link per hour (a patient reloading is one visit)."""
        with portal_db.atomic():
            link = Link.get_or_none(Link.token_hash == token_hash)
            if link is None or state_of(link, now) is not LinkState.EXPIRED:
                return
            if link.expired_visit_at and now - link.expired_visit_at < EXPIRED_VISIT_SPACING:
                return
            link.expired_visit_at = now
            link.save()
            _record(token_hash, EventKind.EXPIRED_VISIT, now)

    def check_pin(self, token: str, token_hash: str, pin: str, now: dt.datetime) -> PinOutcome | None:
        """Try ``pin`` on the link; count a wrong one, lock at the fifth. None for an unknown link."""
        with portal_db.atomic():
            link = Link.get_or_none(Link.token_hash == token_hash)
            if link is None:
                return None
            state = state_of(link, now)
            if state is not LinkState.OPEN:
                return PinOutcome(
                    False, state, max(0, MAX_FAILED_PINS - link.failed_attempts), _view(link, now)
                )
            version = link.pin_pepper  # None only for a tombstone, which is revoked
            if version is not None and self.peppers.matches(pin_hash(token, pin), link.pin_hash, version):
                _record(token_hash, EventKind.OPENED, now)
                view = _view(link, now)
                return PinOutcome(True, LinkState.OPEN, view.attempts_left, view)
            link.failed_attempts += 1
            if link.failed_attempts >= MAX_FAILED_PINS:
                link.locked_at = now
                _record(token_hash, EventKind.LOCKED, now)
            link.updated_at = now
            link.save()
            view = _view(link, now)
            return PinOutcome(False, view.state, view.attempts_left, view)

    def document_blob(self, token_hash: str, slot: int, now: dt.datetime) -> tuple[LinkView, bytes] | None:
        """The encrypted content of ``slot`` while the link is open; None otherwise."""
        link = Link.get_or_none(Link.token_hash == token_hash)
        if link is None or state_of(link, now) is not LinkState.OPEN:
            return None
        document = Document.get_or_none(Document.link == link, Document.slot == slot)
        if document is None or not document.blob:
            return None
        try:
            content = self.blobs.read(document.blob)
        except FileNotFoundError:  # replaced by a re-PUT between the two reads
            return None
        return _view(link, now), content

    def note_download(self, token_hash: str, slot: int, now: dt.datetime) -> None:
        with portal_db.atomic():
            _record(token_hash, EventKind.DOWNLOADED, now, slot)

    # Housekeeping --------------------------------------------------------------------------------

    def sweep(self, now: dt.datetime) -> int:
        """Delete the documents of expired and revoked links (the rows stay, to say so), orphan
        files, and events older than ``EVENT_RETENTION``; the number of links swept."""
        with portal_db.atomic():
            done = list(
                Link.select().where(
                    Link.swept_at.is_null(), (Link.expires_at <= now) | Link.revoked_at.is_null(False)
                )
            )
            dropped: list[str] = []
            for link in done:
                dropped += self._drop_documents(link.id)
                link.swept_at = now
                link.save()
            Event.delete().where(Event.at < now - EVENT_RETENTION).execute()
            referenced = {d.blob for d in Document.select(Document.blob) if d.blob}
        self.blobs.delete(dropped)
        self.blobs.orphans(referenced, ORPHAN_AGE_SECONDS)
        return len(done)

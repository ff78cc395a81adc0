"""The invoices' Pay pages as the portal keeps them (``PayDoorRow``), and the feed of the sessions
it made (``PaySession``); the agent's side is ``models.links.pay_doors``.

The agent puts a door's state with the door's key: the first put keeps it, any later one must
bring the same (holding the API token is not enough to point a patient's Pay button at other
terms). A state older than the one kept is ignored; the answer names the version kept.
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
import re
from dataclasses import dataclass, field
from typing import Any

from models.links.checkout import DoorKind, DoorStatus
from portal.publish_body import BadRequest
from portal.storage import PayDoorRow, PaySession, portal_db

HEX = re.compile(r"[0-9a-f]+")
ACCOUNT = re.compile(r"acct_[A-Za-z0-9]{8,64}")
CURRENCY = re.compile(r"[A-Z]{3}")
MAX_DOOR_BODY = 8 * 1024
CLINIC_FIELDS = ("name", "phone", "email", "timezone", "country")


class DoorRefused(Exception):
    status = 403
    code = "door_key_mismatch"


class DoorConflict(DoorRefused):
    """Another page already has this tag (a tag names one page for good)."""

    status = 409
    code = "door_tag_taken"


@dataclass(frozen=True)
class DoorSession:
    id: str
    url: str
    amount_cents: int
    expires_at: dt.datetime


@dataclass(frozen=True)
class DoorBody:
    tag: str
    sign_key: str = field(repr=False)
    account: str
    currency: str
    amount_cents: int
    status: str
    number: str
    language: str
    clinic: dict[str, str]
    expires_at: dt.datetime | None  # None: an agent from before pages expired
    version: int
    session: DoorSession | None
    kind: str = DoorKind.INVOICE.value  # an invoice's page, or a statement of account's


def _text(data: dict[str, Any], name: str, pattern: re.Pattern[str] | None = None, most: int = 200) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value or len(value) > most:
        raise BadRequest(f"{name} must be a non-empty string of at most {most} characters")
    if pattern is not None and pattern.fullmatch(value) is None:
        raise BadRequest(f"{name} is not well formed")
    return value


def _count(data: dict[str, Any], name: str) -> int:
    value = data.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**53:
        raise BadRequest(f"{name} must be a whole number from 0")
    return value


def _time(data: dict[str, Any], name: str, prefix: str = "") -> dt.datetime:
    """An ISO 8601 time with its offset, in UTC."""
    try:
        value = dt.datetime.fromisoformat(_text(data, name, most=40))
    except (ValueError, BadRequest) as exc:
        raise BadRequest(f"{prefix}{name} must be an ISO 8601 time") from exc
    if value.tzinfo is None:
        raise BadRequest(f"{prefix}{name} needs its offset")
    return value.astimezone(dt.UTC)


def parse_door(raw: bytes) -> DoorBody:
    """``BadRequest`` (400) for anything but the agent's shape."""
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest("the body must be JSON") from exc
    if not isinstance(data, dict):
        raise BadRequest("the body must be a JSON object")
    status = _text(data, "status", most=8)
    if status not in {s.value for s in DoorStatus}:
        raise BadRequest(f"status must be one of {', '.join(s.value for s in DoorStatus)}")
    clinic = data.get("clinic")
    if not isinstance(clinic, dict) or not all(
        isinstance(clinic.get(name, ""), str) and len(clinic.get(name, "")) <= 254 for name in CLINIC_FIELDS
    ):
        raise BadRequest("clinic must be an object of short strings")
    session = data.get("session")
    parsed_session = None
    if session is not None:
        if not isinstance(session, dict):
            raise BadRequest("session must be an object or null")
        url = _text(session, "url", most=2000)
        if not url.startswith(("https://", "http://")):
            raise BadRequest("session.url must be an http(s) address")
        parsed_session = DoorSession(
            _text(session, "id", most=255),
            url,
            _count(session, "amount_cents"),
            _time(session, "expires_at", "session."),
        )
    account = data.get("account")
    if not isinstance(account, str) or (account and ACCOUNT.fullmatch(account) is None):
        raise BadRequest("account must be a Stripe account id (acct_…) or empty")
    language = _text(data, "language", most=2)
    if language not in ("fr", "en"):
        raise BadRequest("language must be fr or en")
    expires_at = None
    if data.get("expires_at") not in (None, ""):
        expires_at = _time(data, "expires_at")
    kind = data.get("kind", DoorKind.INVOICE.value)  # an agent from before statements says none
    if kind not in {k.value for k in DoorKind}:
        raise BadRequest(f"kind must be one of {', '.join(k.value for k in DoorKind)}")
    return DoorBody(
        tag=_text(data, "tag", HEX, 32),
        sign_key=_text(data, "sign_key", HEX, 64),
        account=account,
        currency=_text(data, "currency", CURRENCY, 3),
        amount_cents=_count(data, "amount_cents"),
        status=status,
        number=_text(data, "number", most=64),
        language=language,
        clinic={name: str(clinic.get(name, "")) for name in CLINIC_FIELDS},
        expires_at=expires_at,
        version=_count(data, "version"),
        session=parsed_session,
        kind=str(kind),
    )


def put_door(token_hash: str, body: DoorBody, now: dt.datetime) -> int:
    """Keep ``body`` unless an equal or newer version is kept; the version kept. ``DoorRefused``
    without the door's key."""
    with portal_db.atomic():
        door = PayDoorRow.get_or_none(PayDoorRow.token_hash == token_hash)
        if door is not None and not hmac.compare_digest(door.sign_key, body.sign_key):
            raise DoorRefused("a change to a Pay page must bring its key")
        values: dict[Any, Any] = {
            PayDoorRow.account: body.account,
            PayDoorRow.currency: body.currency,
            PayDoorRow.amount_cents: body.amount_cents,
            PayDoorRow.status: body.status,
            PayDoorRow.number: body.number,
            PayDoorRow.language: body.language,
            PayDoorRow.clinic: json.dumps(body.clinic),
            PayDoorRow.expires_at: body.expires_at,
            PayDoorRow.kind: body.kind,
            PayDoorRow.updated_at: now,
        }
        if door is None:
            if PayDoorRow.get_or_none(PayDoorRow.tag == body.tag) is not None:
                raise DoorConflict("another Pay page has this tag")
            door = PayDoorRow.create(
                token_hash=token_hash,
                tag=body.tag,
                sign_key=body.sign_key,
                version=body.version,
                **{field.name: value for field, value in values.items()},
            )
        elif body.version > door.version:
            values[PayDoorRow.version] = body.version
            values[PayDoorRow.generation] = 0
            PayDoorRow.update(values).where(PayDoorRow.id == door.id).execute()
        elif body.session is None or body.version < door.version:
            return int(door.version)
        version = max(int(door.version), body.version)
        if body.session is not None:
            adopt(door.id, body.session, version)
        return version


def adopt(door_id: int, session: DoorSession, version: int) -> None:
    """Offer the agent's session from now on: the agent expires the invoice's other sessions before
    it makes one, so the one it pushes is the one that is open."""
    PayDoorRow.update(
        session_id=session.id,
        session_url=session.url,
        session_amount=session.amount_cents,
        session_expires_at=session.expires_at,
        session_version=version,
    ).where(PayDoorRow.id == door_id).execute()


def door_by_hash(token_hash: str) -> PayDoorRow | None:
    return PayDoorRow.get_or_none(PayDoorRow.token_hash == token_hash)


def door_by_tag(tag: str) -> PayDoorRow | None:
    return PayDoorRow.get_or_none(PayDoorRow.tag == tag) if HEX.fullmatch(tag) and len(tag) <= 32 else None


def record_session(
    door_id: int, version: int, generation: int, session: DoorSession, now: dt.datetime
) -> None:
    """The session the portal just made: the door's from now on, and an entry of the agent's feed."""
    with portal_db.atomic():
        PayDoorRow.update(
            generation=generation,
            session_version=version,
            session_id=session.id,
            session_url=session.url,
            session_amount=session.amount_cents,
            session_expires_at=session.expires_at,
        ).where(PayDoorRow.id == door_id).execute()
        PaySession.insert(
            door=door_id,
            session_id=session.id,
            url=session.url,
            amount_cents=session.amount_cents,
            expires_at=session.expires_at,
            created_at=now,
        ).on_conflict_ignore().execute()


def sessions_after(after: int, limit: int) -> tuple[list[dict[str, Any]], int]:
    """The feed: sessions made after id ``after``, oldest first, and the new cursor."""
    rows = list(
        PaySession.select(PaySession, PayDoorRow)
        .join(PayDoorRow)
        .where(PaySession.id > after)
        .order_by(PaySession.id)
        .limit(limit)
    )
    items = [
        {
            "id": row.id,
            "tag": row.door.tag,
            "session_id": row.session_id,
            "url": row.url,
            "account": row.door.account,
            "amount_cents": row.amount_cents,
            "currency": row.door.currency,
            "expires_at": row.expires_at.isoformat(),
        }
        for row in rows
    ]
    return items, rows[-1].id if rows else after

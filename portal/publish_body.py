"""The agent's ``PUT /api/v1/links/{token_hash}`` body, checked field by field, and the batch
of them ``POST /api/v1/links`` sends.

Reasons are plain English, like an SMTP server's replies: they end up in the clinic's
transmissions log for an operator, not in front of a patient.

A body without ``link_key`` is ``LinkKeyRequired`` (403, not 400): it comes from an agent older
than this portal, which then waits for its upgrade instead of failing its messages.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
from typing import Any, TypeGuard
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from portal.links import MAX_DOCUMENTS, ClinicInfo, EncryptedDocument, Publication, Revocation

HEX64 = re.compile(r"[0-9a-f]{64}")
SEALED_OVERHEAD = 28  # nonce (12) + GCM tag (16): the least an encrypted blob can be
MAX_NAME_BYTES = 1024
MAX_REVOKES = 100
MAX_BATCH = 50  # links in one POST /api/v1/links
MAX_AHEAD = dt.timedelta(days=31)  # links live 1 to 30 days; a day's slack for clocks
LANGUAGES = ("fr", "en")
MAX_DEPTH = 8  # a batch is 5 deep (body, links, entry, documents, document); the rest is slack
MAX_NUMBER_DIGITS = 20  # no field is a number: a longer one is an attack on int()


class BadRequest(Exception):
    """The request is not acceptable; ``str(exc)`` says why."""

    status = 400
    code: str | None = None


class LinkKeyRequired(BadRequest):
    """A publication without the proof of its link's token."""

    status = 403
    code = "link_key_required"

    def __init__(self, token_hash: str = "") -> None:
        super().__init__("link_key is required: this portal takes changes to a link only with it")
        self.token_hash = token_hash  # in a batch, the entry without one


def is_hex64(value: Any) -> TypeGuard[str]:
    """Whether ``value`` is 64 lowercase hex digits: a SHA-256 or a 256-bit key."""
    return isinstance(value, str) and HEX64.fullmatch(value) is not None


is_token_hash = is_hex64


def _text(obj: dict[str, Any], key: str, where: str, *, limit: int, required: bool = True) -> str:
    value = obj.get(key, None if required else "")
    if not isinstance(value, str):
        raise BadRequest(f"{where}{key} must be a string")
    if required and not value.strip():
        raise BadRequest(f"{where}{key} must not be empty")
    if len(value) > limit:
        raise BadRequest(f"{where}{key} is longer than {limit} characters")
    return value.strip()


def _sealed(value: Any, where: str, limit: int | None = None) -> bytes:
    if not isinstance(value, str):
        raise BadRequest(f"{where} must be a base64 string")
    try:
        data = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise BadRequest(f"{where} is not valid base64") from None
    if len(data) < SEALED_OVERHEAD:
        raise BadRequest(f"{where} is too short to be encrypted data")
    if limit is not None and len(data) > limit:
        raise BadRequest(f"{where} is longer than {limit} bytes")
    return data


def _expiry(value: Any, now: dt.datetime) -> dt.datetime:
    if not isinstance(value, str):
        raise BadRequest("expires_at must be a string like 2026-12-06T15:30:00Z")
    try:
        when = dt.datetime.fromisoformat(value)
    except ValueError:
        raise BadRequest("expires_at is not an ISO 8601 time") from None
    if when.tzinfo is None:
        raise BadRequest("expires_at needs a time zone (Z or +00:00)")
    when = when.astimezone(dt.UTC)
    if when <= now:
        raise BadRequest("expires_at is in the past")
    if when > now + MAX_AHEAD:
        raise BadRequest("expires_at is more than 31 days away")
    return when


def _clinic(value: Any) -> ClinicInfo:
    if not isinstance(value, dict):
        raise BadRequest("clinic must be an object")
    timezone = _text(value, "timezone", "clinic.", limit=64, required=False)
    if timezone:
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise BadRequest(f"clinic.timezone {timezone!r} is not an IANA time zone") from None
    country = _text(value, "country", "clinic.", limit=2, required=False).upper()
    if country and not (len(country) == 2 and country.isalpha()):
        raise BadRequest("clinic.country must be a two-letter ISO 3166 code")
    return ClinicInfo(
        name=_text(value, "name", "clinic.", limit=200),
        phone=_text(value, "phone", "clinic.", limit=40, required=False),
        email=_text(value, "email", "clinic.", limit=254, required=False),
        timezone=timezone,
        country=country,
    )


def _documents(value: Any) -> tuple[EncryptedDocument, ...]:
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_DOCUMENTS:
        raise BadRequest(f"documents must be a list of 1 to {MAX_DOCUMENTS} documents")
    documents = []
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            raise BadRequest(f"documents[{index}] must be an object")
        documents.append(
            EncryptedDocument(
                name=_sealed(item.get("name"), f"documents[{index}].name", SEALED_OVERHEAD + MAX_NAME_BYTES),
                content=_sealed(item.get("content"), f"documents[{index}].content"),
            )
        )
    return tuple(documents)


def _revokes(value: Any) -> tuple[Revocation, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or len(value) > MAX_REVOKES:
        raise BadRequest(f"revokes must be a list of at most {MAX_REVOKES} links")
    revocations: dict[str, Revocation] = {}
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            raise BadRequest(f"revokes[{index}] must be an object with token_hash and link_key")
        for key in ("token_hash", "link_key"):
            if not is_hex64(item.get(key)):
                raise BadRequest(f"revokes[{index}].{key} must be 64 lowercase hex digits")
        revocations.setdefault(item["token_hash"], Revocation(item["token_hash"], item["link_key"]))
    return tuple(revocations.values())


def parse_publication(token_hash: str, body: bytes, now: dt.datetime) -> Publication:
    """The ``Publication`` a PUT body describes; ``BadRequest`` naming the first thing wrong."""
    data = _json_object(body)
    return parse_publication_object(token_hash, data, now)


def parse_publication_object(token_hash: str, data: dict[str, Any], now: dt.datetime) -> Publication:
    """The ``Publication`` a PUT body's decoded object describes (one entry of a batch too)."""
    link_key = data.get("link_key")
    if link_key is None:
        raise LinkKeyRequired()
    if not is_hex64(link_key):
        raise BadRequest("link_key must be 64 lowercase hex digits")
    pin = data.get("pin_hash")
    if not is_hex64(pin):
        raise BadRequest("pin_hash must be 64 lowercase hex digits")
    language = data.get("language")
    if language not in LANGUAGES:
        raise BadRequest("language must be 'fr' or 'en'")
    return Publication(
        token_hash=token_hash,
        link_key=link_key,
        pin_hash=pin,
        expires_at=_expiry(data.get("expires_at"), now),
        language=language,
        clinic=_clinic(data.get("clinic")),
        documents=_documents(data.get("documents")),
        revokes=_revokes(data.get("revokes")),
    )


def parse_link_key(body: bytes) -> str | None:
    """The ``link_key`` of a revocation's body (``{"link_key": …}``); None when the body is empty
    or has none."""
    if not body.strip():
        return None
    link_key = _json_object(body).get("link_key")
    if link_key is not None and not is_hex64(link_key):
        raise BadRequest("link_key must be 64 lowercase hex digits")
    return link_key


def parse_batch(body: bytes) -> list[tuple[str, dict[str, Any]]]:
    """The ``(token_hash, entry)`` pairs of a ``POST /api/v1/links`` body, in order; ``BadRequest``
    when the batch as a whole is unusable (``LinkKeyRequired`` when an entry has no ``link_key``).
    Each entry's own fields are left to ``parse_publication_object``, so one bad entry fails alone."""
    data = _json_object(body)
    links = data.get("links")
    if not isinstance(links, list) or not 1 <= len(links) <= MAX_BATCH:
        raise BadRequest(f"links must be a list of 1 to {MAX_BATCH} links")
    entries: list[tuple[str, dict[str, Any]]] = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(links):
        if not isinstance(entry, dict):
            raise BadRequest(f"links[{index}] must be an object")
        token_hash = entry.get("token_hash")
        if not isinstance(token_hash, str) or not is_token_hash(token_hash):
            raise BadRequest(f"links[{index}].token_hash must be 64 lowercase hex digits")
        if "link_key" not in entry:  # a client older than the portal: it waits for its upgrade, whole
            raise LinkKeyRequired(token_hash)
        if token_hash in seen:
            raise BadRequest(f"links[{index}].token_hash repeats links[{seen[token_hash]}]: send a link once")
        seen[token_hash] = index
        entries.append((token_hash, entry))
    return entries


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body, parse_int=_integer, parse_float=_decimal, parse_constant=_no_constant)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadRequest(f"the body is not JSON: {exc}") from None
    except RecursionError:
        raise BadRequest(f"the body is nested more than {MAX_DEPTH} levels deep") from None
    if not isinstance(data, dict):
        raise BadRequest("the body must be a JSON object")
    if _depth(data) > MAX_DEPTH:
        raise BadRequest(f"the body is nested more than {MAX_DEPTH} levels deep")
    return data


def _short_number(text: str) -> str:
    """``text``, refused when too long for ``int()`` to be cheap and safe (no field needs one anyway)."""
    if len(text) > MAX_NUMBER_DIGITS:
        raise BadRequest(f"the body has a number longer than {MAX_NUMBER_DIGITS} characters")
    return text


def _integer(text: str) -> int:
    return int(_short_number(text))


def _decimal(text: str) -> float:
    return float(_short_number(text))


def _no_constant(text: str) -> Any:
    raise BadRequest(f"the body is not JSON: {text} is not a JSON value")


def _depth(value: Any) -> int:
    """How deeply ``value``'s lists and objects nest, counted without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        deepest = max(deepest, level)
        if deepest > MAX_DEPTH:
            break
        stack.extend((child, level + 1) for child in children)
    return deepest

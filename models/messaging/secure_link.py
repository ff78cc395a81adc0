"""A secure download link's secrets, shared by the agent (which makes them) and the portal (which checks).

A link is a random token of 256 bits (``secrets``). Only the email carries it for good
(the clinic's outbox row holds it until that email is sent, like the personal message):

- the portal and the clinic's database store only ``token_hash`` (SHA-256; the token is
  far too long to guess, so a fast hash is enough);
- the PIN is stored as ``pin_hash``: an HMAC keyed with a key derived from the token, so
  the portal's database alone cannot even be used to try the million 6-digit PINs; the
  portal wraps it once more under a pepper kept outside its database (``portal.pepper``),
  so that database and one email together cannot either;
- each document is encrypted with AES-256-GCM under another key derived from the token,
  its associated data binding it to its link and place; without the token the portal's
  files reveal nothing, and a blob moved to another link or slot does not decrypt;
- the **link key** proves to the portal that a change to a link (a re-PUT, a revocation) comes
  from whoever made it, not merely from a holder of the portal's API token: the portal keeps
  only its SHA-256 (the verifier), the clinic keeps the key itself (it cannot open the
  document nor check a PIN), since the token is gone once the email is sent;
- the **event tag** names a link in the portal's events without being anything the API
  addresses a link by (a one-way function of ``token_hash``, so the clinic maps it back).

Keys come from HKDF-SHA256 over the token, one ``info`` per use.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

TOKEN_BYTES = 32  # 256 bits; the issue asks for at least 128
PIN_DIGITS = 6
MIN_TYPED_PIN = 6  # an institution PIN typed by staff: at least this many characters
NONCE_BYTES = 12
_PIN_INFO = b"facteur/link/pin/v1"
_DOCUMENT_INFO = b"facteur/link/document/v1"
_LINK_KEY_INFO = b"facteur/link/key/v1"
# Not HKDF over the token: these two are derived from what both sides kept without it
_LEGACY_KEY_PREFIX = b"facteur/link/legacy-key/v1:"
_EVENT_TAG_PREFIX = b"facteur/link/event-tag/v1:"


class LinkDecryptError(Exception):
    """A document did not decrypt: wrong token, or the blob was altered or moved."""


def new_token() -> str:
    """A fresh link token, URL-safe (43 characters)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def new_pin() -> str:
    """A fresh 6-digit PIN, uniformly drawn."""
    return f"{secrets.randbelow(10**PIN_DIGITS):0{PIN_DIGITS}d}"


def token_hash(token: str) -> str:
    """What is stored in place of the token: SHA-256, hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _derive(token: str, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(token.encode("utf-8"))


def normalize_pin(pin: str) -> str:
    """The PIN as compared: spaces and dashes a person types or reads aloud do not count, case neither."""
    return "".join(ch for ch in pin if ch not in " -.\u00a0").upper()


def pin_hash(token: str, pin: str) -> str:
    """The PIN's keyed hash (HMAC-SHA256 under a key derived from the token), hex."""
    key = _derive(token, _PIN_INFO)
    return hmac.new(key, normalize_pin(pin).encode("utf-8"), hashlib.sha256).hexdigest()


def pin_matches(token: str, pin: str, stored_hash: str) -> bool:
    """Whether ``pin`` is the link's PIN, compared in constant time."""
    return hmac.compare_digest(pin_hash(token, pin), stored_hash)


def link_key(token: str) -> str:
    """The key that proves a change to the link comes from its maker (64 hex digits)."""
    return _derive(token, _LINK_KEY_INFO).hex()


def legacy_link_key(stored_pin_hash: str) -> str:
    """The link key of a link published before link keys existed, derived from its PIN's keyed hash:
    the clinic and the portal both kept that hash, the API never hands it out, and the token it
    came from is gone from the clinic once the email is sent."""
    return hashlib.sha256(_LEGACY_KEY_PREFIX + stored_pin_hash.encode("ascii")).hexdigest()


def link_key_verifier(key: str) -> str:
    """What the portal keeps of a link key: its SHA-256, hex (``key`` is 64 hex digits)."""
    return hashlib.sha256(bytes.fromhex(key)).hexdigest()


def link_key_matches(key: str, verifier: str) -> bool:
    """Whether ``key`` is the one ``verifier`` was made from, compared in constant time."""
    return hmac.compare_digest(link_key_verifier(key), verifier)


def event_tag(token_hash_hex: str) -> str:
    """How the portal's events name a link: one-way from its token's hash, so a reader of the
    events cannot turn it into the hash the API addresses links by, while the clinic can
    compute it for each link it knows."""
    return hashlib.sha256(_EVENT_TAG_PREFIX + token_hash_hex.encode("ascii")).hexdigest()


def document_aad(token_hash_hex: str, slot: int, part: str = "content") -> bytes:
    """Associated data binding a blob to its link, its slot and what it holds ("content" or "name")."""
    return f"{token_hash_hex}:{slot}:{part}".encode("ascii")


def encrypt(token: str, data: bytes, aad: bytes) -> bytes:
    """``nonce || ciphertext+tag`` under the token's document key."""
    nonce = secrets.token_bytes(NONCE_BYTES)
    return nonce + AESGCM(_derive(token, _DOCUMENT_INFO)).encrypt(nonce, data, aad)


def decrypt(token: str, blob: bytes, aad: bytes) -> bytes:
    """The plain bytes of ``encrypt``'s output; ``LinkDecryptError`` when it is not this link's."""
    if len(blob) < NONCE_BYTES + 16:
        raise LinkDecryptError("blob too short")
    try:
        return AESGCM(_derive(token, _DOCUMENT_INFO)).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], aad)
    except InvalidTag as exc:
        raise LinkDecryptError("not this link's document") from exc

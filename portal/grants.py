"""The download grant: a short-lived cookie the right PIN earns, signed with the portal's own secret.

The secret comes from the environment variable named by ``[portal] secret_env`` or,
when that is unset, from ``<data_dir>/secret``, created owner-only on first start. It
signs ``token_hash | pin_hash | expiry``, the PIN hash as stored (wrapped under the pepper):
a grant opens one link only, and a re-PUT with a new PIN ends the grants of the old one. A
pepper rotation leaves stored hashes as they are, so it ends no grant.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
from pathlib import Path

GRANT_SECONDS = 15 * 60
COOKIE_NAME = "grant"
SECRET_FILE = "secret"  # noqa: S105 (a file name)
SECRET_BYTES = 32
# ``expires.mac``: ASCII digits only (int() and str.isdigit() take other digits too) and a
# bounded length, so a forged cookie is refused before it is parsed
GRANT_PATTERN = re.compile(r"([0-9]{1,12})\.([A-Za-z0-9_-]{43})")


def load_or_create_secret(data_dir: Path, from_env: str | None) -> bytes:
    """The signing secret: the variable's value if set, else the file, created (0600) when missing."""
    if from_env:
        return from_env.encode("utf-8")
    path = data_dir / SECRET_FILE
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        value = path.read_bytes().strip()
        if len(value) < SECRET_BYTES:
            raise RuntimeError(
                f"{path} is too short to be a signing secret; delete it to get a new one"
            ) from None
        return value
    value = secrets.token_hex(SECRET_BYTES).encode("ascii")
    with os.fdopen(fd, "wb") as out:
        out.write(value + b"\n")
        out.flush()
        os.fsync(out.fileno())
    return value


class Grants:
    """Issue and check grant cookie values."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def _mac(self, token_hash: str, pin_hash: str, expires: int) -> str:
        message = f"{token_hash}|{pin_hash}|{expires}".encode("ascii")
        digest = hmac.new(self._secret, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")

    def issue(self, token_hash: str, pin_hash: str, now_ts: float) -> str:
        expires = int(now_ts) + GRANT_SECONDS
        return f"{expires}.{self._mac(token_hash, pin_hash, expires)}"

    def valid(self, value: str | None, token_hash: str, pin_hash: str, now_ts: float) -> bool:
        match = GRANT_PATTERN.fullmatch(value or "")
        if match is None:
            return False
        expires, mac = int(match[1]), match[2]
        if now_ts >= expires:
            return False
        return hmac.compare_digest(mac, self._mac(token_hash, pin_hash, expires))

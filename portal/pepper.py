"""The PIN pepper: secrets kept outside ``portal.db`` and its backups, wrapping each stored PIN hash.

The agent sends a PIN's keyed hash ``h`` (``models.messaging.secure_link.pin_hash``, keyed from
the link's token); the portal stores ``HMAC-SHA256(pepper_v, h)`` and ``v``. A copy of
``portal.db`` plus one email (which carries the token) is then not enough to try the million
6-digit PINs: the pepper is needed too, and it lives apart.

Where it comes from: the variable ``[portal] pepper_env`` names (``FACTEUR_PORTAL_PEPPER``)
when set, else the file ``[portal] pepper_file`` (``<data_dir>/pepper``), which must be its
owner's only (``0600``). Either holds ``version:secret`` entries (one a line in the file; spaces
or commas between them in the variable), the secret at least ``MIN_SECRET_BYTES`` bytes written
in hex; the highest version is the current one, used for new publications. An older version
stays while a live link uses it (rotation: ``portal.pepper_rotation``).

The file is made on the first start when it is missing and no live link needs a pepper; when
links do, a missing or short pepper stops the portal at its start (``ConfigError``) rather than
turn every right PIN into a wrong one. So does a version whose secret is not the one the
portal first met under that number (a file made anew by hand, another portal's): ``portal.db``
keeps a check of each version (``check``, an HMAC of a constant, which tells nothing of the
secret). Secrets are never logged nor put in an error.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import re
import secrets
import stat
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from locales import N_
from models.core.errors import ConfigError

PEPPER_FILE = "pepper"
MIN_SECRET_BYTES = 32
ENTRY = re.compile(r"([0-9]{1,6}):([0-9a-fA-F]+)")
SEPARATORS = re.compile(r"[\s,]+")


CHECK_MESSAGE = b"facteur/portal/pepper-check/v1"


@dataclass(frozen=True)
class Peppers:
    """The pepper's versions, by number; ``current`` wraps new publications. ``source`` names where
    they came from (a file or a variable), for messages."""

    by_version: Mapping[int, bytes] = field(repr=False)
    source: str = ""

    def __post_init__(self) -> None:
        if not self.by_version:
            raise ValueError("at least one pepper version is needed")

    @property
    def current(self) -> int:
        return max(self.by_version)

    @property
    def versions(self) -> frozenset[int]:
        return frozenset(self.by_version)

    def wrap(self, pin_hash: str, version: int | None = None) -> str:
        """What the portal stores for the agent's ``pin_hash``: HMAC-SHA256 under pepper ``version``
        (the current one by default), hex. ``KeyError`` for a version it does not hold."""
        key = self.by_version[self.current if version is None else version]
        return hmac.new(key, pin_hash.encode("ascii"), hashlib.sha256).hexdigest()

    def matches(self, pin_hash: str, stored: str, version: int) -> bool:
        """Whether the agent-side hash ``pin_hash`` (of a typed PIN) is the stored one, in constant time."""
        return hmac.compare_digest(self.wrap(pin_hash, version), stored)

    def check(self, version: int) -> str:
        """What tells this version's secret from another under the same number, and nothing of it."""
        return hmac.new(self.by_version[version], CHECK_MESSAGE, hashlib.sha256).hexdigest()


def confirm_peppers(peppers: Peppers, recorded: Mapping[int, str]) -> None:
    """``ConfigError`` when a version's secret is not the one whose check ``recorded`` holds."""
    for version in sorted(peppers.versions & set(recorded)):
        if not hmac.compare_digest(peppers.check(version), recorded[version]):
            raise ConfigError(
                N_(
                    "the PIN pepper version {version} in {source} is not the one the portal's links "
                    "were made with: restore the right one"
                ),
                version=version,
                source=peppers.source,
            )


def new_entry(version: int) -> str:
    """A fresh ``version:secret`` entry."""
    return f"{version}:{secrets.token_hex(MIN_SECRET_BYTES)}"


def parse_peppers(text: str, source: str) -> Peppers:
    """The versions written in ``text`` (a file's lines, or a variable's entries); ``#`` starts a
    comment. ``ConfigError`` naming ``source`` and the entry, never its secret."""
    found: dict[int, bytes] = {}
    lines = (line.split("#", 1)[0] for line in text.splitlines())
    entries = [entry for line in lines for entry in SEPARATORS.split(line) if entry]
    for number, entry in enumerate(entries, start=1):
        match = ENTRY.fullmatch(entry)
        if match is None or len(match[2]) % 2 or len(match[2]) < 2 * MIN_SECRET_BYTES or int(match[1]) < 1:
            raise ConfigError(
                N_(
                    "{source}, entry {number}: a PIN pepper is written version:secret, "
                    "the version from 1, the secret at least {digits} hex digits"
                ),
                source=source,
                number=number,
                digits=2 * MIN_SECRET_BYTES,
            )
        version = int(match[1])
        if version in found:
            raise ConfigError(
                N_("{source}: PIN pepper version {version} is given twice"), source=source, version=version
            )
        found[version] = bytes.fromhex(match[2])
    if not found:
        raise ConfigError(N_("{source} holds no PIN pepper"), source=source)
    return Peppers(found, source)


def read_pepper_file(path: Path) -> Peppers:
    """The file's versions; ``ConfigError`` when it cannot be read, others can read it, or it is malformed."""
    try:
        with path.open("rb") as handle:
            mode = os.fstat(handle.fileno()).st_mode
            raw = handle.read()
    except OSError as exc:
        raise ConfigError(
            N_("the PIN pepper {path} cannot be read: {reason}"),
            path=str(path),
            reason=exc.strerror or type(exc).__name__,
        ) from None
    if mode & 0o077:
        raise ConfigError(
            N_(
                "other accounts can read the PIN pepper {path} (mode {mode}): "
                "make it its owner's only (chmod 600)"
            ),
            path=str(path),
            mode=f"{stat.S_IMODE(mode):04o}",
        )
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError:
        text = "\x00"  # refused as a malformed entry below, without echoing a byte of it
    return parse_peppers(text, str(path))


def write_pepper_file(path: Path, entries: list[str], *, exclusive: bool = False) -> None:
    """Write ``entries`` (``version:secret``) to ``path``, owner-only, all or nothing: a temporary
    file beside it is synced, then renamed over it. ``exclusive``: ``FileExistsError`` if it exists."""
    text = "".join(f"{entry}\n" for entry in entries).encode("ascii")
    if exclusive:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
    else:
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        fd = os.open(temporary, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())
            temporary.replace(path)
        finally:
            temporary.unlink(missing_ok=True)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the new name survives a power cut
    finally:
        os.close(directory)


def load_peppers(from_env: str | None, env_name: str, path: Path, needed: Collection[int] = ()) -> Peppers:
    """The pepper, from the variable's value ``from_env`` when set, else the file at ``path`` (made
    when missing and no live link ``needed`` a version); ``ConfigError`` when a ``needed`` version
    is not there, or the pepper cannot be used."""
    if from_env:
        peppers, source = parse_peppers(from_env, env_name), env_name
    else:
        source = str(path)
        if not path.exists():
            if needed:  # a new pepper would turn every live link's right PIN into a wrong one
                raise _missing(needed, source)
            with contextlib.suppress(FileExistsError):  # another start made it meanwhile
                write_pepper_file(path, [new_entry(1)], exclusive=True)
        peppers = read_pepper_file(path)
    if set(needed) - peppers.versions:
        raise _missing(set(needed) - peppers.versions, source)
    return peppers


def _missing(versions: Collection[int], source: str) -> ConfigError:
    return ConfigError(
        N_(
            "the portal's live links need the PIN pepper versions {versions}, "
            "which {source} does not hold: restore them, or their links' PINs cannot be checked"
        ),
        versions=", ".join(map(str, sorted(versions))),
        source=source,
    )

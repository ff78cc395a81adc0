"""The SSH door's keys: a block of the owner's ``~/.ssh/authorized_keys`` that Facteur owns.

Each staff key is one line whose forced command names its staff member, so the key decides who
acts, whatever the client asks for (``cli.doors`` runs an asked command as a Facteur command,
never through a shell)::

    command="/opt/facteur/bin/facteur tui --staff alice",restrict,pty ssh-ed25519 AAAA… facteur:alice

``restrict`` turns off forwarding, agent and X11 and ``~/.ssh/rc``; ``pty`` gives the TUI its
terminal back. Lines outside the block are the owner's and are kept as they are.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import fcntl
import os
import pwd
import re
import struct
import sys
from collections.abc import Iterator
from pathlib import Path

from locales import N_
from models.core.errors import ValidationError

BEGIN = "# >>> facteur staff keys: managed by 'facteur staff'; edits inside this block are replaced >>>"
END = "# <<< facteur staff keys <<<"
KEY_TYPES = frozenset(
    {
        "ssh-ed25519",
        "ssh-rsa",
        "ecdsa-sha2-nistp256",
        "ecdsa-sha2-nistp384",
        "ecdsa-sha2-nistp521",
        "sk-ssh-ed25519@openssh.com",
        "sk-ecdsa-sha2-nistp256@openssh.com",
    }
)
MAX_KEYS = 20  # a person's keys: a laptop, a desk, a spare; not a file pasted by mistake
_STAFF = re.compile(r'^command="[^"]* tui --staff ([a-z_][a-z0-9_.-]{0,31})",restrict,pty (\S+) (\S+)')


def authorized_keys_file() -> Path:
    """The owner's ``authorized_keys``: the account this process runs as (the data's owner)."""
    return Path(pwd.getpwuid(os.geteuid()).pw_dir) / ".ssh" / "authorized_keys"


def program() -> str:
    """This install's ``facteur``, as the forced command runs it."""
    installed = Path(sys.prefix) / "bin" / "facteur"
    return str(installed if installed.exists() else Path(sys.argv[0]).resolve())


def parse_public_keys(text: str) -> list[tuple[str, str]]:
    """The ``(type, base64 blob)`` of each public key in ``text`` (an ``.pub`` file's lines);
    refused with the reason: a private key, options, an unknown type, a damaged key."""
    keys = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if "PRIVATE KEY" in line:
            raise ValidationError("ssh_key", N_("this is a private key: give the public one (the .pub file)"))
        parts = line.split()
        if len(parts) < 2 or parts[0] not in KEY_TYPES:
            raise ValidationError(
                "ssh_key",
                N_("line {line} is not a public key (ssh-ed25519 AAAA…), or carries options"),
                line=number,
            )
        if not _blob_names(parts[1], parts[0]):
            raise ValidationError("ssh_key", N_("line {line}: the key is damaged"), line=number)
        keys.append((parts[0], parts[1]))
    if not keys:
        raise ValidationError("ssh_key", N_("no public key found"))
    if len(keys) > MAX_KEYS:
        raise ValidationError("ssh_key", N_("at most {count} keys per staff member"), count=MAX_KEYS)
    return keys


def _blob_names(blob: str, kind: str) -> bool:
    """Whether ``blob`` is base64 whose first field is the key's type, as every SSH key's is."""
    try:
        data = base64.b64decode(blob, validate=True)
        (length,) = struct.unpack(">I", data[:4])
    except (binascii.Error, struct.error):
        return False
    return data[4 : 4 + length] == kind.encode("ascii") and len(data) > 4 + length


def keys_by_login(path: Path | None = None) -> dict[str, int]:
    """How many keys each staff member has in the block."""
    counts: dict[str, int] = {}
    for line in _block(_read(path or authorized_keys_file())):
        found = _STAFF.match(line)
        if found:
            counts[found.group(1)] = counts.get(found.group(1), 0) + 1
    return counts


def set_keys(login: str, keys: list[tuple[str, str]], path: Path | None = None) -> None:
    """Give ``login`` exactly ``keys`` (none: no SSH access), keeping everyone else's."""
    path = path or authorized_keys_file()
    with _locked(path):
        lines = _read(path)
        start, end = _bounds(lines)
        kept = [line for line in lines[start:end] if (m := _STAFF.match(line)) is None or m.group(1) != login]
        added = [
            f'command="{program()} tui --staff {login}",restrict,pty {kind} {blob} facteur:{login}'
            for kind, blob in keys
        ]
        block = [BEGIN, *kept, *added, END]
        _write(path, [*lines[: start - 1], *block, *lines[end + 1 :]] if start else [*lines, *block])


def _read(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []


def _bounds(lines: list[str]) -> tuple[int, int]:
    """The block's inner lines as ``lines[start:end]``; (0, 0) when there is none yet."""
    if BEGIN in lines and END in lines[lines.index(BEGIN) :]:
        start = lines.index(BEGIN) + 1
        return start, lines.index(END, start)
    return 0, 0


def _block(lines: list[str]) -> list[str]:
    start, end = _bounds(lines)
    return lines[start:end]


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One writer at a time: two admins adding keys at once keep both."""
    path.parent.mkdir(mode=0o700, exist_ok=True)
    path.parent.chmod(0o700)  # sshd's StrictModes ignores keys in a folder others may write
    lock = os.open(path.parent / ".facteur-keys.lock", os.O_CREAT | os.O_WRONLY, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield
    finally:
        os.close(lock)


def _write(path: Path, lines: list[str]) -> None:
    """Atomically, owner-only (sshd refuses a file others may write)."""
    partial = path.with_name(path.name + ".facteur-partial")
    fd = os.open(partial, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")
        out.flush()
        os.fsync(out.fileno())
    partial.chmod(0o600)
    partial.replace(path)

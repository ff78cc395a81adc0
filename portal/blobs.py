"""Encrypted document files under ``<data_dir>/blobs``: random names, owner-only, written atomically.

The bytes arrive already encrypted by the agent (``models.messaging.secure_link``); the file
name is random, so neither the name nor the content says whose document it is.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

SUFFIX = ".bin"
PARTIAL = ".partial"


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) if missing; ``path`` itself ends up 0700."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.chmod(0o700)
    return path


class BlobStore:
    """One file per encrypted document."""

    def __init__(self, root: Path) -> None:
        self.root = ensure_private_dir(root)

    def path(self, name: str) -> Path:
        if not name.isalnum():  # names are ours (hex); refuse anything that could walk the tree
            raise ValueError("bad blob name")
        return self.root / f"{name}{SUFFIX}"

    def write(self, data: bytes) -> str:
        """Store ``data`` under a fresh random name, durably; return the name."""
        return self.write_many([data])[0]

    def write_many(self, contents: Sequence[bytes]) -> list[str]:
        """Store each of ``contents`` under a fresh random name, durably; their names, in order.

        Each file is synced; the folder once, after the last rename: that one sync makes every
        new name durable, which is what a batch of publications saves over one write each.
        On a failure the files already written are removed before the error goes on.
        """
        names: list[str] = []
        try:
            for data in contents:
                names.append(self._write_file(data))
            self._sync_dir()
        except BaseException:
            self.delete(names)
            raise
        return names

    def _write_file(self, data: bytes) -> str:
        name = secrets.token_hex(16)
        final = self.path(name)
        partial = final.with_name(final.name + PARTIAL)
        fd = os.open(partial, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            partial.replace(final)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        return name

    def read(self, name: str) -> bytes:
        return self.path(name).read_bytes()

    def delete(self, names: Iterable[str]) -> None:
        for name in names:
            self.path(name).unlink(missing_ok=True)

    def orphans(self, referenced: set[str], older_than_seconds: float) -> list[str]:
        """Files no document points at (a crash between writing and committing), old enough
        that no publish still in flight can be about to reference them."""
        cutoff = time.time() - older_than_seconds
        found = []
        for entry in self.root.iterdir():
            stem = entry.name.split(".", 1)[0]
            if stem in referenced or not entry.is_file():
                continue
            if entry.stat().st_mtime < cutoff:
                found.append(entry)
        for entry in found:
            entry.unlink(missing_ok=True)
        return [entry.name for entry in found]

    def _sync_dir(self) -> None:
        fd = os.open(self.root, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

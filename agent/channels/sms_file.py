"""The embedded SMS backend (``make run``): each SMS is one JSON line appended to ``[sms] path``.

The file stands in for the patients' phones, so it holds the texts (and their PINs):
it is created readable by its owner only, and its folder too when Facteur creates it.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import threading
from pathlib import Path

from agent.errors import DeferredError, OfflineError
from locales import N_
from models.database.base import utcnow
from models.messaging.outbox import Reply


class FileSms:
    """Appends ``{"id", "at", "to", "from", "reference", "text"}`` lines to ``path``."""

    def __init__(self, path: Path, sender: str = "") -> None:
        self.path = path
        self.sender = sender
        self._lock = threading.Lock()  # one line at a time, never interleaved

    def _append(self, line: str) -> None:
        with self._lock:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            handle = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.fchmod(handle, 0o600)  # an older file made with a looser mode is tightened
                os.write(handle, line.encode("utf-8"))
                os.fsync(handle)
            finally:
                os.close(handle)

    async def send(self, to: str, text: str, reference: str, *, secret: str = "") -> Reply:
        sms_id = f"file-{secrets.token_hex(8)}"
        record = {
            "id": sms_id,
            "at": utcnow().isoformat(),
            "to": to,
            "from": self.sender,
            "reference": reference,
            "text": text,
        }
        try:
            await asyncio.to_thread(self._append, json.dumps(record, ensure_ascii=False) + "\n")
        except OSError as exc:
            raise DeferredError(
                N_("cannot write to the SMS file {path}: {reason}"),
                path=str(self.path),
                reason=exc.strerror or str(exc),
            ) from exc
        return Reply(code=None, text=N_("written to the SMS file"), provider_id=sms_id)

    async def probe(self) -> None:
        folder = self.path.parent
        try:
            await asyncio.to_thread(folder.mkdir, mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise OfflineError(
                N_("cannot write to the SMS file {path}: {reason}"),
                path=str(self.path),
                reason=exc.strerror or str(exc),
            ) from exc
        if not os.access(folder, os.W_OK):
            raise OfflineError(
                N_("cannot write to the SMS file {path}: {reason}"), path=str(self.path), reason="read-only"
            )

    async def close(self) -> None:
        return None

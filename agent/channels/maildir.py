"""The embedded email backend: real messages in a Maildir folder that a mail client can open."""

from __future__ import annotations

import asyncio
import mailbox
import threading
from pathlib import Path

from agent.errors import LOCAL_FAULTS, BlockedError, DeferredError, OfflineError
from agent.mime import OutgoingEmail
from locales import N_
from models.messaging.outbox import Reply


class MaildirChannel:
    """Delivers into ``path`` (``new/``), created on first use."""

    def __init__(self, path: Path) -> None:
        self.path = path
        # one writer at a time: creating the folder and Maildir's unique names are not thread-safe
        self._lock = threading.Lock()

    def _add(self, email: OutgoingEmail) -> str:
        data = email.data.replace(b"\r\n", b"\n")  # a file on disk ends its lines the Unix way
        with self._lock:
            return mailbox.Maildir(self.path, create=True).add(data)

    async def send(self, email: OutgoingEmail, recipient: str) -> Reply:
        try:
            key = await asyncio.to_thread(self._add, email)
        except OSError as exc:
            # a full or read-only disk blocks every message alike: none spends an attempt on it
            kind = BlockedError if exc.errno in LOCAL_FAULTS else DeferredError
            raise kind(
                N_("cannot write to the mail folder {path}: {reason}"),
                path=str(self.path),
                reason=exc.strerror or str(exc),
            ) from exc
        return Reply(code=None, text=f"maildir {key}", provider_id=email.message_id)

    async def probe(self) -> None:
        try:
            await asyncio.to_thread(mailbox.Maildir, self.path, None, True)
        except OSError as exc:
            raise OfflineError(
                N_("cannot write to the mail folder {path}: {reason}"),
                path=str(self.path),
                reason=exc.strerror or str(exc),
            ) from exc

    async def close(self) -> None:
        return None

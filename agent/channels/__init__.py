"""Delivery channels. Email: SMTP (aiosmtplib) or a Maildir folder (the embedded default)."""

from __future__ import annotations

from typing import Protocol

from agent.mime import OutgoingEmail
from models.messaging.outbox import Reply


class EmailChannel(Protocol):
    """Sends one email; raises the ``agent.errors`` classes, returns the accepting reply."""

    async def send(self, email: OutgoingEmail, recipient: str) -> Reply: ...

    async def probe(self) -> None:
        """Raise ``OfflineError`` unless the channel can deliver now."""

    async def close(self) -> None: ...

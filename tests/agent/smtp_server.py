"""A real SMTP server on loopback (aiosmtpd) that can be told how to answer each transaction."""

from __future__ import annotations

import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

# A mode per transaction, consumed in order (then "accept"):
#   "accept"; "mail:530" (reply at MAIL FROM); "rcpt:450" (reply at RCPT); "data:554" (reply after
#   DATA); "drop" (close at RCPT);
#   "stall" (take the message, answer only after STALL_SECONDS: the client times out after DATA)
STALL_SECONDS = 2.5


@dataclass
class Received:
    envelope_to: list[str]
    raw: bytes

    @property
    def email(self) -> EmailMessage:
        return message_from_bytes(self.raw, policy=policy.default)  # type: ignore[return-value]

    @property
    def message_id(self) -> str:
        return str(self.email["Message-ID"]).strip()


@dataclass
class ScriptedHandler:
    modes: deque[str] = field(default_factory=deque)
    received: list[Received] = field(default_factory=list)
    connections: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    # a provider's limits: ``rate`` (N messages in any ``window`` seconds, then 421 4.7.0 at MAIL
    # FROM) and ``quota`` (N messages, then 550 5.4.5 at MAIL FROM); ``refusals`` counts their replies
    rate: tuple[int, float] | None = None
    quota: int | None = None
    refusals: int = 0
    accepted_at: deque[float] = field(default_factory=deque)

    def _limit(self) -> str | None:
        """The provider's refusal for a new transaction, if its limits are reached (lock held)."""
        if self.quota is not None and len(self.received) >= self.quota:
            self.refusals += 1
            return "550 5.4.5 Daily user sending quota exceeded."
        if self.rate is not None:
            count, window = self.rate
            while self.accepted_at and self.accepted_at[0] <= time.monotonic() - window:
                self.accepted_at.popleft()
            if len(self.accepted_at) >= count:
                self.refusals += 1
                return "421 4.7.0 Try again later, closing connection."
        return None

    def script(self, *modes: str) -> None:
        with self.lock:
            self.modes.extend(modes)

    def _next(self) -> str:
        with self.lock:
            return self.modes.popleft() if self.modes else "accept"

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        with self.lock:
            self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        with self.lock:
            limited = self._limit()
            refused = self.modes[0] if self.modes and self.modes[0].startswith("mail:") else None
            if refused is not None:
                self.modes.popleft()
        if limited is not None:
            return limited
        if refused is not None:
            code = refused.split(":")[1]
            return (
                f"{code} 5.7.0 Must issue a STARTTLS command first"
                if code == "530"
                else f"{code} 5.7.1 Sender refused"
            )
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        mode = self._next()
        envelope.mode = mode
        if mode.startswith("rcpt:"):
            code = mode.split(":")[1]
            return f"{code} {'try again later' if code.startswith('4') else 'no such mailbox'}"
        if mode == "drop":
            server.transport.close()
            return "250 OK"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        import asyncio

        mode = getattr(envelope, "mode", "accept")
        if mode.startswith("data:"):
            code = mode.split(":")[1]
            return f"{code} {'try again later' if code.startswith('4') else 'message refused'}"
        with self.lock:
            self.received.append(Received(list(envelope.rcpt_tos), bytes(envelope.content)))
            self.accepted_at.append(time.monotonic())
        if mode == "stall":
            await asyncio.sleep(STALL_SECONDS)
        return "250 2.0.0 OK queued"

    def message_ids(self) -> list[str]:
        with self.lock:
            return [r.message_id for r in self.received]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class SmtpServer:
    """Start, stop and restart (same port) an aiosmtpd server with a ``ScriptedHandler``."""

    def __init__(self, port: int | None = None, **options: Any) -> None:
        self.port = port or free_port()
        self.handler = ScriptedHandler()
        self.options = options  # more Controller arguments: TLS, authentication
        self._controller: Controller | None = None

    def start(self) -> SmtpServer:
        self._controller = Controller(
            self.handler, hostname="127.0.0.1", port=self.port, ready_timeout=10, **self.options
        )
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def wait_for(self, count: int, timeout: float = 20.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.handler.received) >= count:
                break
            time.sleep(0.02)
        return list(self.handler.received)

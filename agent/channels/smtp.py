"""SMTP with aiosmtplib: a pool of reused connections, none/STARTTLS/TLS, optional auth.

A message counts as sent only when the server accepted it after DATA. Failures are
classified by the step that got them, then by code (see ``classify``): a refusal of the agent's
settings (encryption or a login required, a refused login, the sender refused at MAIL FROM, a
failed TLS handshake) blocks the channel, since every message would meet it; a provider's limit
(a rate or a daily quota, at any step) slows or pauses the channel as one; a refusal at RCPT TO
is about that recipient, one after DATA about that message. Nothing here logs a body or the
password.
"""

from __future__ import annotations

import asyncio
import re
import ssl
import time
from dataclasses import dataclass
from typing import Literal

import aiosmtplib

from agent.errors import (
    BlockedError,
    DeferredError,
    OfflineError,
    PausedError,
    RejectedError,
    ThrottledError,
    UnknownOutcomeError,
)
from agent.mime import OutgoingEmail
from locales import N_
from models.core.errors import ValidationError
from models.core.validation import validate_email
from models.messaging.outbox import Reply

IDLE_SECONDS = 60.0  # servers drop idle sessions; reconnect rather than trust an old one
# encryption or a login required (530), a login refused (535), encryption required for it (538):
# at whatever step, the agent's settings are refused, not one message
SETTINGS_REFUSED = frozenset({530, 535, 538})
Step = Literal["mail", "rcpt", "data"]
ENHANCED = re.compile(r"[245]\.\d{1,3}\.\d{1,3}\b")  # RFC 3463's status at the start of a reply
# a provider that says its day's quota is used up does not say when it resets: try again hourly
QUOTA_PAUSE_SECONDS = 3600.0


@dataclass(frozen=True)
class SmtpOptions:
    host: str
    port: int
    security: str  # none, starttls, tls
    username: str | None
    password: str | None
    from_address: str
    timeout: float
    pool_size: int


class SmtpChannel:
    """Sends over up to ``pool_size`` connections kept open between messages."""

    def __init__(self, options: SmtpOptions) -> None:
        self.options = options
        self._pool: asyncio.Queue[tuple[aiosmtplib.SMTP, float]] | None = None

    def _client(self) -> aiosmtplib.SMTP:
        o = self.options
        return aiosmtplib.SMTP(
            hostname=o.host,
            port=o.port,
            username=o.username,
            password=o.password,
            timeout=o.timeout,
            use_tls=o.security == "tls",
            start_tls=o.security == "starttls",
        )

    def _queue(self) -> asyncio.Queue[tuple[aiosmtplib.SMTP, float]]:
        if self._pool is None:
            self._pool = asyncio.Queue()
            for _ in range(self.options.pool_size):
                self._pool.put_nowait((self._client(), 0.0))
        return self._pool

    async def _connect(self, client: aiosmtplib.SMTP) -> None:
        try:
            await client.connect()
        except aiosmtplib.SMTPAuthenticationError as exc:
            raise BlockedError(
                N_(
                    "the SMTP server refused the user name or password ({code}): "
                    "check [email] username and password_env"
                ),
                code=exc.code,
                reply=exc.message,
            ) from exc
        except (aiosmtplib.SMTPException, OSError) as exc:
            client.close()
            if _tls_failed(exc):
                raise BlockedError(
                    N_(
                        "TLS with the SMTP server {host}:{port} failed ({reason}): "
                        "check [email] security and port, and the server's certificate"
                    ),
                    host=self.options.host,
                    port=self.options.port,
                    reason=str(exc) or type(exc).__name__,
                ) from exc
            raise OfflineError(
                N_("cannot reach the SMTP server {host}:{port}: {reason}"),
                host=self.options.host,
                port=self.options.port,
                reason=str(exc) or type(exc).__name__,
            ) from exc

    async def send(self, email: OutgoingEmail, recipient: str) -> Reply:
        try:
            address = validate_email(recipient)
            address.encode("ascii")
        except (ValidationError, UnicodeEncodeError) as exc:
            raise RejectedError(N_("invalid recipient address {address}"), address=recipient) from exc
        pool = self._queue()
        client, last_used = await pool.get()
        try:
            reused = client.is_connected
            if reused and time.monotonic() - last_used > IDLE_SECONDS:
                await _quietly_quit(client)
                reused = False
            if not client.is_connected:
                await self._connect(client)
            try:
                reply = await self._transaction(client, email, address)
            except _Stale:
                if not reused:
                    raise
                # a reused session the server had closed: one fresh try, nothing was sent
                client.close()
                await self._connect(client)
                reply = await self._transaction(client, email, address)
            last_used = time.monotonic()
            return reply
        except _Stale as exc:
            raise DeferredError(
                N_("the SMTP server closed the connection"), reply=str(exc.__cause__)
            ) from exc
        finally:
            pool.put_nowait((client, last_used))

    async def _transaction(self, client: aiosmtplib.SMTP, email: OutgoingEmail, address: str) -> Reply:
        step: Step = "mail"
        try:
            await client.mail(self.options.from_address)
            step = "rcpt"
            await client.rcpt(address)
        except aiosmtplib.SMTPServerDisconnected as exc:
            raise _Stale() from exc
        except (aiosmtplib.SMTPException, OSError) as exc:
            await _reset(client, exc)
            raise classify(exc, step, sender=self.options.from_address) from exc
        try:
            response = await client.data(email.data)  # composed as bytes: nothing left to flatten
        except (aiosmtplib.SMTPException, OSError) as exc:
            await _reset(client, exc)
            raise classify(exc, "data", sender=self.options.from_address) from exc
        return Reply(code=str(response.code), text=response.message, provider_id=email.message_id)

    async def probe(self) -> None:
        client = self._client()
        await self._connect(client)
        await _quietly_quit(client)

    async def close(self) -> None:
        if self._pool is None:
            return
        while not self._pool.empty():
            client, _ = self._pool.get_nowait()
            await _quietly_quit(client)


class _Stale(Exception):
    """The server closed a reused connection before the transaction began."""


def classify(exc: BaseException, step: Step, *, sender: str = "") -> Exception:
    """An aiosmtplib failure at ``step`` as Facteur's delivery error: the type decides the retry."""
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        reply = f"{exc.code} {exc.message}"
        limit = _provider_limit(exc.code, exc.message, reply)
        if limit is not None:
            return limit
        if exc.code in SETTINGS_REFUSED:
            return BlockedError(
                N_(
                    "the SMTP server requires encryption or a login ({code} {answer}): "
                    "check [email] security, username and password_env"
                ),
                code=exc.code,
                answer=exc.message,
                reply=reply,
            )
        if step == "mail" and exc.code >= 500:
            return BlockedError(
                N_(
                    "the SMTP server refuses the sender {sender} ({code} {answer}): "
                    "check [email] from_address"
                ),
                sender=sender,
                answer=exc.message,
                code=exc.code,
                reply=reply,
            )
        kind: type[DeferredError | RejectedError] = DeferredError if 400 <= exc.code < 500 else RejectedError
        return kind(N_("the SMTP server replied {code}"), code=exc.code, reply=reply)
    reason = str(exc) or type(exc).__name__
    if step == "data" and isinstance(
        exc, aiosmtplib.SMTPTimeoutError | aiosmtplib.SMTPServerDisconnected | OSError
    ):
        return UnknownOutcomeError(
            N_("no answer after the message was sent ({reason}); it will be sent again"), reason=reason
        )
    return DeferredError(N_("the SMTP session failed: {reason}"), reason=reason)


def _provider_limit(code: int, answer: str, reply: str) -> Exception | None:
    """A provider's limit, at whatever step: its daily quota (Google's 550 5.4.5, Microsoft's 554
    5.2.0 …QuotaExceeded…) pauses the channel; a rate reply (421, 4.7.x, 4.3.2) slows it as one.
    A per-recipient rate (450 4.2.1) is not one: that recipient alone waits."""
    enhanced = ENHANCED.match(answer)
    status = enhanced[0] if enhanced else ""
    if code >= 500 and (status == "5.4.5" or "quotaexceeded" in answer.replace(" ", "").lower()):
        return PausedError(
            N_("the SMTP server says the sending quota is used up ({code} {answer})"),
            seconds=QUOTA_PAUSE_SECONDS,
            code=code,
            answer=answer,
            reply=reply,
        )
    if code == 421 or (400 <= code < 500 and (status.startswith("4.7.") or status == "4.3.2")):
        return ThrottledError(
            N_("the SMTP server asks to slow down ({code} {answer})"), code=code, answer=answer, reply=reply
        )
    return None


def _tls_failed(exc: BaseException) -> bool:
    """A TLS handshake or certificate failure, or a server without the STARTTLS the settings ask
    for: a setting to fix, not a network down."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLError) or "STARTTLS extension not supported" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


async def _reset(client: aiosmtplib.SMTP, exc: BaseException) -> None:
    """Make the session reusable after a refused transaction, or drop it after a broken one."""
    if not client.is_connected:
        return
    if not isinstance(exc, aiosmtplib.SMTPResponseException):
        client.close()
        return
    try:
        await client.rset()
    except (aiosmtplib.SMTPException, OSError):
        client.close()


async def _quietly_quit(client: aiosmtplib.SMTP) -> None:
    if not client.is_connected:
        return
    try:
        await client.quit()
    except (aiosmtplib.SMTPException, OSError):
        client.close()

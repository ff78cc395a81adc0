"""SMS: an HTTP gateway (httpx), in a generic JSON request or Twilio's, and the channel protocol.

Generic JSON (``[sms] mode = "json"``)::

    POST {url}
    Authorization: Bearer <the token in [sms] token_env>
    Content-Type: application/json
    {"to": "+15145551234", "from": "<[sms] sender>", "text": "...", "reference": "facteur-42"}

    2xx {"id": "<the gateway's id for the SMS>"}

Twilio (``mode = "twilio"``): ``POST {url}/2010-04-01/Accounts/{account_sid}/Messages.json``,
a form with ``To``, ``From``, ``Body``, basic auth (account sid, token); the reply's ``sid``.

Replies are classified like email: connection refused or unreachable -> ``OfflineError``;
timeouts, 408 and 5xx -> ``DeferredError``; 429 -> ``ThrottledError`` (the channel slows);
401/403 or a missing token ->
``OfflineError`` naming the token's variable (a configuration problem: the messages wait
rather than fail); any other 4xx (an invalid number) -> ``RejectedError`` with the
gateway's reason. A reply is never allowed to carry the PIN into a transmission or a log.
"""

from __future__ import annotations

from typing import Any, Protocol

import httpx

from agent.channels.http import HttpClient, HttpFailure, Unreachable
from agent.errors import BlockedError, DeferredError, OfflineError, RejectedError, ThrottledError
from locales import N_
from models.messaging.outbox import Reply

REASON_CHARS = 300


class SmsChannel(Protocol):
    """Sends one SMS; raises the ``agent.errors`` classes, returns the accepting reply."""

    async def send(self, to: str, text: str, reference: str, *, secret: str = "") -> Reply:
        """Send ``text`` to ``to`` (E.164); ``secret`` (the PIN) is scrubbed from any reply kept."""

    async def probe(self) -> None:
        """Raise ``OfflineError`` unless the gateway can be reached now."""

    async def close(self) -> None: ...


class HttpSms:
    """An HTTP SMS gateway; see the module's docstring for both request formats."""

    def __init__(
        self,
        url: str,
        *,
        token: str | None,
        token_env: str = "",
        sender: str = "",
        mode: str = "json",
        account_sid: str = "",
        timeout: float = 10.0,
    ) -> None:
        self.url = url.rstrip("/") if mode == "twilio" else url
        self.token = token
        self.token_env = token_env
        self.sender = sender
        self.mode = mode
        self.account_sid = account_sid
        self._http = HttpClient(timeout=timeout)

    @property
    def endpoint(self) -> str:
        if self.mode == "twilio":
            return f"{self.url}/2010-04-01/Accounts/{self.account_sid}/Messages.json"
        return self.url

    def _missing_token(self) -> BlockedError:
        return BlockedError(
            N_("the SMS gateway's token is not set: put it in the environment variable {variable}"),
            variable=self.token_env or "[sms] token_env",
        )

    def _request(self, to: str, text: str, reference: str) -> dict[str, Any]:
        if self.mode == "twilio":
            if not self.token:
                raise self._missing_token()
            return {
                "data": {"To": to, "From": self.sender, "Body": text},
                "auth": (self.account_sid, self.token),
            }
        if self.token_env and not self.token:
            raise self._missing_token()
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        body = {"to": to, "from": self.sender, "text": text, "reference": reference}
        return {"json": body, "headers": headers}

    async def send(self, to: str, text: str, reference: str, *, secret: str = "") -> Reply:
        request = self._request(to, text, reference)
        try:
            response = await self._http.request("POST", self.endpoint, **request)
        except HttpFailure as exc:
            raise _transport_error(exc, self.endpoint) from None
        reason = _scrub(_reason(response), (text, secret))
        status = response.status_code
        if 200 <= status < 300:
            provider_id = _reply_id(response, "sid" if self.mode == "twilio" else "id")
            if provider_id is None:  # a web page or another API took it: no text went out
                raise BlockedError(
                    N_(
                        "the SMS gateway {url} answered {status} without the id of a text sent: "
                        "check [sms] url"
                    ),
                    url=self.endpoint,
                    status=status,
                    code=status,
                    reply=reason,
                )
            return Reply(code=str(status), text=reason or N_("accepted"), provider_id=provider_id)
        if status in (404, 405):  # no such API at that address: every text would meet it
            raise BlockedError(
                N_("the SMS gateway {url} has no such API ({status}): check [sms] url"),
                url=self.endpoint,
                status=status,
                code=status,
                reply=reason,
            )
        if status in (401, 403):
            raise BlockedError(
                N_("the SMS gateway refused the token in {variable}: {reason}"),
                variable=self.token_env or "[sms] token_env",
                reason=reason,
                code=status,
            )
        if status == 429:  # too many at once: the channel slows as one (``agent.pacing``)
            raise ThrottledError(
                N_("the SMS gateway asks to slow down: {reason}"), reason=reason, code=status, reply=reason
            )
        if status == 408 or status >= 500:
            raise DeferredError(
                N_("the SMS gateway is busy: {reason}"), reason=reason, code=status, reply=reason
            )
        raise RejectedError(
            N_("the SMS gateway refused it: {reason}"), reason=reason, code=status, reply=reason
        )

    async def probe(self) -> None:
        """Any HTTP answer means the gateway is up (nothing is sent)."""
        target = (
            f"{self.url}/2010-04-01/Accounts/{self.account_sid}.json" if self.mode == "twilio" else self.url
        )
        try:
            await self._http.request("HEAD", target)
        except HttpFailure as exc:
            raise OfflineError(
                N_("the SMS gateway {url} cannot be reached: {reason}"), url=target, reason=exc.reason
            ) from None

    async def close(self) -> None:
        await self._http.aclose()


def _transport_error(exc: HttpFailure, url: str) -> Exception:
    """No answer: unreachable means offline; a timeout or a broken reply is retried later."""
    if isinstance(exc, Unreachable):
        return OfflineError(
            N_("the SMS gateway {url} cannot be reached: {reason}"), url=url, reason=exc.reason
        )
    return DeferredError(N_("the SMS gateway did not answer: {reason}"), reason=exc.reason)


def _reason(response: httpx.Response) -> str:
    """The gateway's own words: its JSON ``error``/``message``, else the start of the body."""
    try:
        data = response.json()
    except ValueError:
        data = None
    if isinstance(data, dict):
        for key in ("error", "message", "detail"):
            value = data.get(key)
            if isinstance(value, str) and value:
                return value[:REASON_CHARS]
            if isinstance(value, dict) and isinstance(value.get("message"), str):
                return str(value["message"])[:REASON_CHARS]
    if 200 <= response.status_code < 300:
        return ""
    text = " ".join(response.text.split())
    return (text or response.reason_phrase)[:REASON_CHARS]


def _reply_id(response: httpx.Response, key: str) -> str | None:
    try:
        data = response.json()
    except ValueError:
        return None
    value = data.get(key) if isinstance(data, dict) else None
    return str(value)[:255] if value not in (None, "") else None


def _scrub(text: str, secrets: tuple[str, ...]) -> str:
    """A gateway that echoes the message must not put the PIN in a transmission."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "…")
    return text

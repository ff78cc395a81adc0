"""SMS: an HTTP gateway (httpx), in a generic JSON request or Twilio's, and the channel protocol.

Generic JSON (``[sms] mode = "json"``)::

    POST {url}
    Authorization: Bearer <the token in [sms] token_env>
    Content-Type: application/json
    {"to": "+15145551234", "from": "<[sms] sender>", "text": "...", "reference": "facteur-42"}

    2xx {"id": "<the gateway's id for the SMS>"}

Twilio (``mode = "twilio"``): ``POST {url}/2010-04-01/Accounts/{account_sid}/Messages.json``,
a form with ``To``, ``From``, ``Body``, basic auth (account sid, token); the reply's ``sid``.

What became of a text (``status``), with the same credentials::

    GET {url}/{id}
    2xx {"id": "...", "status": "queued"|"sent"|"delivered"|"failed"|"undelivered",
         "error": "<the reason, optional>"}

    Twilio: GET {url}/2010-04-01/Accounts/{account_sid}/Messages/{sid}.json
    2xx Twilio's message: its "status" (queued, accepted, scheduled, sending, sent: on its way;
        delivered, read: delivered; failed, undelivered, canceled: failed), "error_code" and
        "error_message"

Any other status word is read as "on its way". Receipts are polled, not received: the agent runs
at the clinic, often behind NAT and often offline, so a callback URL given to the gateway would have
nowhere to land, and a receipt called back while the agent is down would be lost. Asking costs one
request per text until its answer is final (``agent.sms_receipts``), and works from anywhere the
sending does.

Replies are classified like email: connection refused or unreachable -> ``OfflineError``;
timeouts, 408 and 5xx -> ``DeferredError``; 429 -> ``ThrottledError`` (the channel slows);
401/403 or a missing token ->
``OfflineError`` naming the token's variable (a configuration problem: the messages wait
rather than fail); any other 4xx (an invalid number) -> ``RejectedError`` with the
gateway's reason. A reply is never allowed to carry the PIN into a transmission or a log.
A status request is classified alike, but a 404 is an answer: the gateway no longer knows the
text (``unknown``, final), not an error that would stop the asking about the others; a 405 says
the gateway has no status API (``BlockedError``). The PIN is not known any more when a status comes,
so its reason is kept without anything shaped like one (``models.messaging.sms_receipts.without_pins``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable
from urllib.parse import quote

import httpx

from agent.channels.http import HttpClient, HttpFailure, Unreachable
from agent.errors import BlockedError, DeferredError, OfflineError, RejectedError, ThrottledError
from locales import N_
from models.messaging.outbox import Reply
from models.messaging.sms_receipts import without_pins

REASON_CHARS = 300
FORGOTTEN = N_("the SMS gateway no longer knows this text")


class SmsChannel(Protocol):
    """Sends one SMS; raises the ``agent.errors`` classes, returns the accepting reply."""

    async def send(self, to: str, text: str, reference: str, *, secret: str = "") -> Reply:
        """Send ``text`` to ``to`` (E.164); ``secret`` (the PIN) is scrubbed from any reply kept."""

    async def probe(self) -> None:
        """Raise ``OfflineError`` unless the gateway can be reached now."""

    async def close(self) -> None: ...


class SmsState(StrEnum):
    PENDING = "pending"  # queued or on its way: ask again later
    DELIVERED = "delivered"
    FAILED = "failed"
    UNKNOWN = "unknown"  # the gateway no longer knows it: nothing more will be learned


@dataclass(frozen=True)
class SmsStatus:
    """What the gateway says became of one text; for a failure its ``reason`` (the gateway's words,
    without anything shaped like a PIN) and ``code`` (Twilio's error code; 404 for a text forgotten)."""

    state: SmsState
    reason: str = ""
    code: str | None = None

    @property
    def final(self) -> bool:
        return self.state is not SmsState.PENDING


@runtime_checkable
class SmsStatusChannel(SmsChannel, Protocol):
    """An SMS channel that can also say what became of a text it sent (an HTTP gateway can, the
    file backend cannot)."""

    async def status(self, provider_id: str) -> SmsStatus:
        """Ask about the text ``send`` got ``provider_id`` for; raises as ``send`` does, but a text the
        gateway no longer knows is an answer (``SmsState.UNKNOWN``)."""


_JSON_STATES = {
    "queued": SmsState.PENDING,
    "sent": SmsState.PENDING,
    "delivered": SmsState.DELIVERED,
    "failed": SmsState.FAILED,
    "undelivered": SmsState.FAILED,
}
_TWILIO_STATES = {
    **_JSON_STATES,
    "accepted": SmsState.PENDING,
    "scheduled": SmsState.PENDING,
    "sending": SmsState.PENDING,
    "read": SmsState.DELIVERED,
    "canceled": SmsState.FAILED,
}


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

    def status_url(self, provider_id: str) -> str:
        """Where the text ``provider_id`` is asked about (the id quoted: a gateway's id, not a path)."""
        sms_id = quote(provider_id, safe="")
        if self.mode == "twilio":
            return f"{self.url}/2010-04-01/Accounts/{self.account_sid}/Messages/{sms_id}.json"
        return f"{self.url.rstrip('/')}/{sms_id}"

    def _credentials(self) -> dict[str, Any]:
        """Basic auth (account sid, token) for Twilio; the bearer token, where one is set, else."""
        if self.mode == "twilio":
            if not self.token:
                raise self._missing_token()
            return {"auth": (self.account_sid, self.token)}
        if self.token_env and not self.token:
            raise self._missing_token()
        return {"headers": {"Authorization": f"Bearer {self.token}"} if self.token else {}}

    def _request(self, to: str, text: str, reference: str) -> dict[str, Any]:
        if self.mode == "twilio":
            return {"data": {"To": to, "From": self.sender, "Body": text}, **self._credentials()}
        body = {"to": to, "from": self.sender, "text": text, "reference": reference}
        return {"json": body, **self._credentials()}

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
        raise _refusal(status, reason, self.token_env, N_("the SMS gateway refused it: {reason}"))

    async def status(self, provider_id: str) -> SmsStatus:
        url = self.status_url(provider_id)
        credentials = self._credentials()
        try:
            response = await self._http.request("GET", url, **credentials)
        except HttpFailure as exc:
            raise _transport_error(exc, url) from None
        status = response.status_code
        if 200 <= status < 300:
            answer = _json(response)
            word = answer.get("status") if answer is not None else None
            if not isinstance(word, str) or not word:  # a web page, or another API
                raise BlockedError(
                    N_(
                        "the SMS gateway {url} answered {status} without the status of a text: "
                        "check [sms] url"
                    ),
                    url=url,
                    status=status,
                    code=status,
                    reply=_kept(_reason(response)),
                )
            return self._read_status(word, answer or {})
        if status == 404:  # it forgot the text (or never had it): no answer will ever come
            return SmsStatus(SmsState.UNKNOWN, FORGOTTEN, str(status))
        reason = _kept(_reason(response))
        if status == 405:  # no status API at that address: every text would meet it
            raise BlockedError(
                N_(
                    "the SMS gateway {url} does not say what became of a text ({status}): "
                    "receipts are not checked"
                ),
                url=url,
                status=status,
                code=status,
                reply=reason,
            )
        raise _refusal(
            status,
            reason,
            self.token_env,
            N_("the SMS gateway would not say what became of the text: {reason}"),
        )

    def _read_status(self, word: str, answer: dict[str, Any]) -> SmsStatus:
        word = word.strip().lower()
        states = _TWILIO_STATES if self.mode == "twilio" else _JSON_STATES
        state = states.get(word, SmsState.PENDING)
        if state is not SmsState.FAILED:
            return SmsStatus(state)
        if self.mode == "twilio":
            code, reason = answer.get("error_code"), answer.get("error_message")
        else:
            code, reason = None, answer.get("error")
        reason = _kept(reason) if isinstance(reason, str) else ""
        code_text = str(code)[:16] if code not in (None, "") else None
        if not reason and code_text is None:
            reason = word[:REASON_CHARS]  # the gateway's own word for it ("undelivered")
        return SmsStatus(state, reason, code_text)

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


def _refusal(status: int, reason: str, token_env: str, refused: str) -> Exception:
    """A refusal (any status but 2xx, 404 and 405): the token, slow down, busy, or ``refused`` (a
    msgid with ``{reason}``: an invalid number, an id the gateway will not take)."""
    if status in (401, 403):
        return BlockedError(
            N_("the SMS gateway refused the token in {variable}: {reason}"),
            variable=token_env or "[sms] token_env",
            reason=reason,
            code=status,
        )
    if status == 429:  # too many at once: the channel slows as one (``agent.pacing``)
        return ThrottledError(
            N_("the SMS gateway asks to slow down: {reason}"), reason=reason, code=status, reply=reason
        )
    if status == 408 or status >= 500:
        return DeferredError(
            N_("the SMS gateway is busy: {reason}"), reason=reason, code=status, reply=reason
        )
    return RejectedError(refused, reason=reason, code=status, reply=reason)


def _kept(reason: str) -> str:
    """A status reply's reason as it may be kept: the PIN is not known by then to be scrubbed,
    so whatever is shaped like one goes (a gateway may echo the text)."""
    return without_pins(reason)[:REASON_CHARS]


def _json(response: httpx.Response) -> dict[str, Any] | None:
    try:
        data = response.json()
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


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
    data = _json(response)
    value = data.get(key) if data is not None else None
    return str(value)[:255] if value not in (None, "") else None


def _scrub(text: str, secrets: tuple[str, ...]) -> str:
    """A gateway that echoes the message must not put the PIN in a transmission."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "…")
    return text

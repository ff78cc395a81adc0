"""The agent's client of the download portal's API (``portal.api``): publish, revoke, pull events.

Documents are encrypted here, with a key derived from the link's token
(``models.messaging.secure_link``), before they leave: the portal never sees a plain document,
file name or token. Every publication carries its link key, and each link it revokes the key of
that link: the portal takes a change to a link it has only with it (the API token alone is not
enough). Publications made while another is on its way wait for it, then go
together in one ``POST /api/v1/links`` (up to ``MAX_BATCH``): draining a backlog, one
request carries many links instead of one each, for the agent and for the portal (one
transaction, one folder sync). A portal without that endpoint (404/405, an older one)
gets one PUT per link from then on. Requests go by httpx (``agent.channels.http``); failures
are classified for the retry decision:

- connection refused, DNS, connect timeout, a bad URL: ``OfflineError`` (no attempt spent);
- read/write timeout, a dropped connection, 408, 5xx: ``DeferredError``;
- 429 (over the portal's ``api_rate_limit``): ``ThrottledError``, the portal channel slows as one;
- 401/403, no API token on either side, or one under ``MIN_API_TOKEN_CHARS``: ``BlockedError`` naming
  the token's variable (a configuration problem: wait for a fix rather than burn the messages);
- 403 ``link_proof_refused`` (the portal does not take this link's key) and any other 4xx:
  ``RejectedError``.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import quote

import httpx

from agent.channels.http import HttpClient, NoAnswer, Unreachable
from agent.errors import (
    BlockedError,
    DeferredError,
    OfflineError,
    RejectedError,
    ReplacedError,
    ThrottledError,
)
from locales import L_, N_
from models.core.config import MIN_API_TOKEN_CHARS
from models.core.errors import DeliveryError
from models.links.download_links import LinkToRevoke
from models.links.pay_doors import DoorState, PortalSession
from models.messaging.outbox import Reply
from models.messaging.secure_link import document_aad, encrypt, token_hash

DEFAULT_TOKEN_ENV = "FACTEUR_PORTAL_TOKEN"  # noqa: S105 (a variable's name)
NO_TOKEN_CODE = "api_token_not_configured"  # noqa: S105 (the portal's code for "no token set there")
PROOF_REFUSED_CODE = "link_proof_refused"  # the portal's code for "not this link's key"
T = TypeVar("T")
API = "/api/v1"
MAX_BATCH = 50  # the portal's limit for one POST /api/v1/links
BATCH_BYTES = 4 * 1024 * 1024  # documents per batch, well under the portal's smallest max_body_mb


@dataclass(frozen=True)
class ClinicContact:
    """Shown on the portal's pages. ``timezone`` and ``country`` (optional) format the expiry."""

    name: str
    phone: str
    email: str
    timezone: str = ""
    country: str = ""


@dataclass(frozen=True)
class PortalDocument:
    filename: str
    content: bytes  # plain; the client encrypts


@dataclass(frozen=True)
class PortalEvent:
    id: int
    tag: str  # the link's ``secure_link.event_tag``
    kind: str  # opened, downloaded, locked, expired_visit
    document: int | None
    at: dt.datetime


@dataclass
class _Waiting:
    """A publication waiting for the batch it will go in."""

    token_hash: str
    body: dict[str, Any]
    size: int  # its encrypted documents, in base64 bytes
    future: asyncio.Future[Reply] = field(repr=False)


def _utc_text(when: dt.datetime) -> str:
    if when.tzinfo is None:
        raise ValueError("expires_at must be timezone-aware")
    return when.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def encrypt_documents(token: str, documents: Sequence[PortalDocument]) -> list[dict[str, str]]:
    """The ``documents`` of a PUT body: each name and content sealed to its link and slot."""
    th = token_hash(token)
    sealed = []
    for slot, document in enumerate(documents):
        name = encrypt(token, document.filename.encode("utf-8"), document_aad(th, slot, "name"))
        content = encrypt(token, document.content, document_aad(th, slot, "content"))
        sealed.append(
            {
                "name": base64.b64encode(name).decode("ascii"),
                "content": base64.b64encode(content).decode("ascii"),
            }
        )
    return sealed


class PortalClient:
    """One portal, reached at ``base_url`` (``[portal] url``) with the bearer ``api_token``."""

    def __init__(
        self,
        base_url: str,
        api_token: str | None,
        *,
        timeout: float = 10.0,
        token_env: str = DEFAULT_TOKEN_ENV,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_token = api_token
        self.token_env = token_env
        self._http = HttpClient(self.base_url, timeout=timeout)
        self._waiting: list[_Waiting] = []
        self._sender: asyncio.Task[None] | None = None
        self.batches = True  # False once the portal showed it has no batch endpoint

    def link_url(self, token: str, language: str) -> str:
        """The address the email carries."""
        return f"{self.base_url}/l/{token}?lang={quote(language)}"

    async def probe(self) -> None:
        """Raise ``OfflineError`` unless the portal answers its health check with this token."""
        try:
            await self._call("GET", f"{API}/health")
        except OfflineError:
            raise
        except DeliveryError as exc:
            raise OfflineError(
                N_("the portal {url} is not usable now: {reason}"),
                url=self.base_url,
                reason=str(exc),
                code=getattr(exc, "code", None),
                reply=getattr(exc, "reply", ""),
            ) from exc

    async def publish(
        self,
        *,
        token: str,
        link_key: str,
        pin_hash: str,
        expires_at: dt.datetime,
        language: str,
        clinic: ClinicContact,
        documents: Sequence[PortalDocument],
        revokes: Sequence[LinkToRevoke] = (),
    ) -> Reply:
        """Put the link on the portal (idempotent: a retry replaces it, keeping its PIN attempts);
        ``link_key`` proves the link is ours where the portal has it already."""
        th = token_hash(token)
        clinic_body: dict[str, str] = {"name": clinic.name, "phone": clinic.phone, "email": clinic.email}
        if clinic.timezone:
            clinic_body["timezone"] = clinic.timezone
        if clinic.country:
            clinic_body["country"] = clinic.country
        sealed = encrypt_documents(token, documents)
        body = {
            "link_key": link_key,
            "pin_hash": pin_hash,
            "expires_at": _utc_text(expires_at),
            "language": language,
            "clinic": clinic_body,
            "documents": sealed,
            "revokes": [
                {"token_hash": r.token_hash, "link_key": r.link_key} for r in revokes if r.token_hash != th
            ],
        }
        if not self.batches:
            return await self._put(th, body)
        size = sum(len(d["content"]) + len(d["name"]) for d in sealed)
        waiting = _Waiting(th, body, size, asyncio.get_running_loop().create_future())
        self._waiting.append(waiting)
        if self._sender is None or self._sender.done():
            self._sender = asyncio.create_task(self._send_waiting())
        return await asyncio.shield(waiting.future)  # a cancelled caller leaves the batch whole

    async def _put(self, th: str, body: dict[str, Any]) -> Reply:
        response = await self._call("PUT", f"{API}/links/{th}", json=body)
        return _published(response.status_code, th)

    async def _send_waiting(self) -> None:
        """Send what waits, a batch at a time, until nothing does; each caller gets its own outcome."""
        batch: list[_Waiting] = []
        try:
            while self._waiting:
                batch, size = [], 0
                while self._waiting and len(batch) < MAX_BATCH:
                    if batch and size + self._waiting[0].size > BATCH_BYTES:
                        break
                    if any(w.token_hash == self._waiting[0].token_hash for w in batch):
                        break  # the portal takes a link once per batch: the next one carries it
                    size += self._waiting[0].size
                    batch.append(self._waiting.pop(0))
                try:
                    outcomes = await self._send_batch(batch)
                except Exception as exc:  # the request as a whole failed: each of its links did
                    outcomes = [exc] * len(batch)
                for waiting, outcome in zip(batch, outcomes, strict=True):
                    if waiting.future.done():
                        continue
                    if isinstance(outcome, Exception):
                        waiting.future.set_exception(outcome)
                    else:
                        waiting.future.set_result(outcome)
        finally:  # cancelled (the loop ends): nobody may wait for an answer that will not come
            for waiting in [*batch, *self._waiting]:
                if not waiting.future.done():
                    waiting.future.cancel()
            self._waiting.clear()

    async def _send_batch(self, batch: list[_Waiting]) -> list[Reply | Exception]:
        if len(batch) == 1 or not self.batches:
            return await self._each_by_put(batch)
        links = [{"token_hash": w.token_hash, **w.body} for w in batch]
        response = await self._request("POST", f"{API}/links", json={"links": links})
        if response.status_code in (404, 405):  # an older portal: one PUT per link from now on
            self.batches = False
            return await self._send_batch(batch)
        if response.status_code == 413:  # together over the portal's max_body_mb: each on its own
            return await self._each_by_put(batch)
        self._raise_for(response)
        return self._batch_outcomes(response, batch)

    async def _each_by_put(self, batch: list[_Waiting]) -> list[Reply | Exception]:
        async def put(waiting: _Waiting) -> Reply | Exception:
            try:
                return await self._put(waiting.token_hash, waiting.body)
            except Exception as exc:
                return exc

        return list(await asyncio.gather(*(put(waiting) for waiting in batch)))

    def _batch_outcomes(self, response: httpx.Response, batch: list[_Waiting]) -> list[Reply | Exception]:
        results = _json(response).get("results")
        if not isinstance(results, list) or len(results) != len(batch):
            raise _unreadable(response, L_("it does not give one result per link"))
        outcomes: list[Reply | Exception] = []
        for waiting, result in zip(batch, results, strict=True):
            status = result.get("status") if isinstance(result, dict) else None
            if not isinstance(result, dict) or result.get("token_hash") != waiting.token_hash:
                outcomes.append(_unreadable(response, L_("its results are not in the order of the links")))
            elif status in (200, 201):
                outcomes.append(_published(status, waiting.token_hash))
            elif status == 409:
                outcomes.append(_replaced(str(result.get("error") or status)))
            elif status == 403:  # this link's proof refused; or no proof at all: the portal is newer
                detail = str(result.get("error") or status)
                outcomes.append(_forbidden(status, detail, result.get("code"), self.token_env))
            elif status != 400:  # the portal answers these five only
                outcomes.append(
                    DeferredError(
                        N_("the portal answered {status}: {detail}"),
                        status=status,
                        detail=str(result.get("error") or ""),
                        code=status,
                        reply=str(result.get("error") or ""),
                    )
                )
            else:
                detail = str(result.get("error") or status)
                outcomes.append(
                    RejectedError(
                        N_("the portal refused it ({status}): {detail}"),
                        status=status,
                        detail=detail,
                        code=status,
                        reply=detail,
                    )
                )
        return outcomes

    async def revoke(self, link: LinkToRevoke) -> Reply:
        """Close a link for good; an unknown one is a ``RejectedError`` (404)."""
        path = f"{API}/links/{link.token_hash}/revoke"
        response = await self._call("POST", path, unknown_link=True, json={"link_key": link.link_key})
        return Reply(str(response.status_code), N_("revoked"), link.token_hash)

    async def events(self, after: int, limit: int = 500) -> tuple[list[PortalEvent], int]:
        """The events after id ``after`` (oldest first) and the new cursor."""
        return await self._feed("events", "events", after, limit, _portal_event)

    async def stripe_events(
        self, after: int, limit: int = 100
    ) -> tuple[list[tuple[int, dict[str, Any]]], int]:
        """Stripe's events the portal's webhook kept after id ``after`` (oldest first), and the new cursor."""
        return await self._feed(
            "stripe-events", "events", after, limit, lambda item: (int(item["id"]), dict(item["event"]))
        )

    def pay_url(self, token: str) -> str:
        """The address of an invoice's Pay page, which every email of it carries."""
        return f"{self.base_url}/pay/{token}"

    async def put_door(self, state: DoorState) -> int:
        """Tell the portal a door's state; the version it holds (a newer one wins there)."""
        response = await self._call("PUT", f"{API}/pay/{state.token_hash}", json=state.body())
        try:
            return int(_json(response)["version"])
        except (KeyError, TypeError, ValueError) as exc:
            raise _unreadable(response, str(exc)) from exc

    async def pay_sessions(self, after: int, limit: int = 100) -> tuple[list[PortalSession], int]:
        """The Checkout Sessions the portal made after id ``after`` (oldest first), and the new cursor."""
        return await self._feed("pay-sessions", "sessions", after, limit, _portal_session)

    async def _feed(
        self, path: str, key: str, after: int, limit: int, parse: Callable[[Any], T]
    ) -> tuple[list[T], int]:
        """A page of one of the portal's feeds (``GET /api/v1/<path>``): its ``key`` list, each item
        read by ``parse``, and the new cursor; an answer that does not read so is deferred."""
        response = await self._call("GET", f"{API}/{path}", params={"after": after, "limit": limit})
        try:
            data = response.json()
            return [parse(item) for item in data[key]], int(data["last"])
        except (ValueError, KeyError, TypeError) as exc:
            raise _unreadable(response, str(exc)) from exc

    async def aclose(self) -> None:
        if self._sender is not None and not self._sender.done():
            await self._sender  # the links on their way get their answers first
        await self._http.aclose()

    async def _call(
        self, method: str, path: str, *, unknown_link: bool = False, **kwargs: Any
    ) -> httpx.Response:
        response = await self._request(method, path, **kwargs)
        self._raise_for(response, unknown_link=unknown_link)
        return response

    async def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """The portal's answer, whatever its status; no answer raises (offline, or try later)."""
        if not self.api_token:
            raise BlockedError(
                N_("no portal API token: set the environment variable {variable}"), variable=self.token_env
            )
        if len(self.api_token) < MIN_API_TOKEN_CHARS:
            raise BlockedError(
                N_("the portal API token in {variable} ([portal] token_env) has fewer than {n} characters"),
                variable=self.token_env,
                n=MIN_API_TOKEN_CHARS,
            )
        headers = {"Authorization": f"Bearer {self.api_token}"}
        try:
            return await self._http.request(method, path, headers=headers, **kwargs)
        except Unreachable as exc:
            raise OfflineError(
                N_("cannot reach the portal {url}: {reason}"), url=self.base_url, reason=exc.reason
            ) from exc
        except NoAnswer as exc:  # a read or write timeout, a dropped connection
            raise DeferredError(
                N_("the portal {url} did not answer in time: {reason}"), url=self.base_url, reason=exc.reason
            ) from exc

    def _raise_for(self, response: httpx.Response, *, unknown_link: bool = False) -> None:
        """``unknown_link``: a 404 is the portal saying it has no such link (a revoke), not a wrong URL."""
        status = response.status_code
        if status < 400:
            return
        reply = _error_text(response)
        if status == 403:
            raise _forbidden(status, reply, _error_code(response), self.token_env)
        if status == 401 or (status == 503 and _error_code(response) == NO_TOKEN_CODE):
            raise _token_refused(status, reply, self.token_env)
        if status == 429:  # over the portal's api_rate_limit: the channel slows (``agent.pacing``)
            raise ThrottledError(
                N_("the portal answered {status}: {detail}"),
                status=status,
                detail=reply,
                code=status,
                reply=reply,
            )
        if status == 409:  # the only refusal of a PUT that is not a bad request
            raise _replaced(reply)
        if status == 404 and not unknown_link:  # no such API at that address: every call meets it
            raise BlockedError(
                N_("{url} has no Facteur portal API (404): check [portal] url"),
                url=self.base_url,
                code=status,
                reply=reply,
            )
        # code and reply are the error's attributes, not its message's parameters: repeated as such
        if status == 408 or status >= 500:
            raise DeferredError(
                N_("the portal answered {status}: {detail}"),
                status=status,
                detail=reply,
                code=status,
                reply=reply,
            )
        raise RejectedError(
            N_("the portal refused it ({status}): {detail}"),
            status=status,
            detail=reply,
            code=status,
            reply=reply,
        )


def _portal_event(item: Any) -> PortalEvent:
    return PortalEvent(
        id=int(item["id"]),
        tag=str(item["tag"]),
        kind=str(item["kind"]),
        document=None if item.get("document") is None else int(item["document"]),
        at=dt.datetime.fromisoformat(item["at"]),
    )


def _portal_session(item: Any) -> PortalSession:
    return PortalSession(
        tag=str(item["tag"]),
        session_id=str(item["session_id"]),
        url=str(item["url"]),
        account=str(item["account"]),
        amount_cents=int(item["amount_cents"]),
        currency=str(item["currency"]),
        expires_at=dt.datetime.fromisoformat(item["expires_at"]),
    )


def _token_refused(status: int, reply: str, token_env: str) -> BlockedError:
    return BlockedError(
        N_("the portal refused the API token ({status}: {detail}); check {variable} on both sides"),
        variable=token_env,
        status=status,
        detail=reply,
        code=status,
        reply=reply,
    )


def _forbidden(status: int, reply: str, code: object, token_env: str) -> DeliveryError:
    """403: the portal does not take this link's key (that message fails, as a refused recipient
    would), or it refuses the API token itself (every message would meet it)."""
    if code == PROOF_REFUSED_CODE:
        return RejectedError(
            N_("the portal refused it ({status}): {detail}"),
            status=status,
            detail=reply,
            code=status,
            reply=reply,
        )
    return _token_refused(status, reply, token_env)


def _unreadable(response: httpx.Response, reason: object) -> DeferredError:
    return DeferredError(
        N_("the portal's answer could not be read: {reason}"), code=response.status_code, reason=reason
    )


def _replaced(reply: str) -> ReplacedError:
    """409: the portal revoked this link when a newer send of the invoice replaced it."""
    return ReplacedError(N_("a newer send of the invoice replaced this link"), code=409, reply=reply)


def _published(status: int, th: str) -> Reply:
    return Reply(str(status), N_("created") if status == 201 else N_("replaced"), th)


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _error_text(response: httpx.Response) -> str:
    message = _json(response).get("error")
    if isinstance(message, str) and message:
        return message
    return response.reason_phrase or response.text[:200]


def _error_code(response: httpx.Response) -> str | None:
    code = _json(response).get("code")
    return code if isinstance(code, str) else None

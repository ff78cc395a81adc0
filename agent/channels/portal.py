"""The agent's client of the download portal's API (``portal.api``): publish, revoke, pull events.

Documents are encrypted here, with a key derived from the link's token
(``models.secure_link``), before they leave: the portal never sees a plain document,
file name or token. Failures are classified for the retry decision:

- connection refused, DNS, connect timeout, a bad URL: ``OfflineError`` (no attempt spent);
- read/write timeout, a dropped connection, 408, 429, 5xx: ``DeferredError``;
- 401/403, or no API token on either side: ``OfflineError`` naming the token's variable
  (a configuration problem: wait for a fix rather than burn the messages);
- any other 4xx: ``RejectedError``.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from agent.errors import DeferredError, OfflineError, RejectedError
from locales import N_
from models.errors import DeliveryError
from models.outbox import Reply
from models.secure_link import document_aad, encrypt, token_hash

DEFAULT_TOKEN_ENV = "FACTEUR_PORTAL_TOKEN"  # noqa: S105 (a variable's name)
NO_TOKEN_CODE = "api_token_not_configured"  # noqa: S105 (the portal's code for "no token set there")
API = "/api/v1"


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
    token_hash: str
    kind: str  # opened, downloaded, locked, expired_visit
    document: int | None
    at: dt.datetime


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
        self._http = httpx.AsyncClient(base_url=self.base_url, timeout=timeout, follow_redirects=False)

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
        pin_hash: str,
        expires_at: dt.datetime,
        language: str,
        clinic: ClinicContact,
        documents: Sequence[PortalDocument],
        revokes: Sequence[str] = (),
    ) -> Reply:
        """Put the link on the portal (idempotent: a retry replaces it, keeping its PIN attempts)."""
        th = token_hash(token)
        clinic_body: dict[str, str] = {"name": clinic.name, "phone": clinic.phone, "email": clinic.email}
        if clinic.timezone:
            clinic_body["timezone"] = clinic.timezone
        if clinic.country:
            clinic_body["country"] = clinic.country
        body = {
            "pin_hash": pin_hash,
            "expires_at": _utc_text(expires_at),
            "language": language,
            "clinic": clinic_body,
            "documents": encrypt_documents(token, documents),
            "revokes": [h for h in revokes if h != th],
        }
        response = await self._call("PUT", f"{API}/links/{th}", json=body)
        outcome = N_("created") if response.status_code == 201 else N_("replaced")
        return Reply(str(response.status_code), outcome, th)

    async def revoke(self, token_hash: str) -> Reply:
        """Close a link for good; an unknown one is a ``RejectedError`` (404)."""
        response = await self._call("POST", f"{API}/links/{token_hash}/revoke")
        return Reply(str(response.status_code), N_("revoked"), token_hash)

    async def events(self, after: int, limit: int = 500) -> tuple[list[PortalEvent], int]:
        """The events after id ``after`` (oldest first) and the new cursor."""
        response = await self._call("GET", f"{API}/events", params={"after": after, "limit": limit})
        try:
            data = response.json()
            parsed = [
                PortalEvent(
                    id=int(item["id"]),
                    token_hash=str(item["token_hash"]),
                    kind=str(item["kind"]),
                    document=None if item.get("document") is None else int(item["document"]),
                    at=dt.datetime.fromisoformat(item["at"]),
                )
                for item in data["events"]
            ]
            return parsed, int(data["last"])
        except (ValueError, KeyError, TypeError) as exc:
            raise DeferredError(
                N_("the portal's answer could not be read: {reason}"),
                code=response.status_code,
                reason=str(exc),
            ) from exc

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        if not self.api_token:
            raise OfflineError(
                N_("no portal API token: set the environment variable {variable}"), variable=self.token_env
            )
        headers = {"Authorization": f"Bearer {self.api_token}"}
        try:
            response = await self._http.request(method, path, headers=headers, **kwargs)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
            raise OfflineError(
                N_("cannot reach the portal {url}: {reason}"),
                url=self.base_url,
                reason=str(exc) or type(exc).__name__,
            ) from exc
        except httpx.TransportError as exc:  # read/write/pool timeouts, a dropped connection
            raise DeferredError(
                N_("the portal {url} did not answer in time: {reason}"),
                url=self.base_url,
                reason=str(exc) or type(exc).__name__,
            ) from exc
        self._raise_for(response)
        return response

    def _raise_for(self, response: httpx.Response) -> None:
        status = response.status_code
        if status < 400:
            return
        reply = _error_text(response)
        if status in (401, 403) or (status == 503 and _error_code(response) == NO_TOKEN_CODE):
            raise OfflineError(
                N_("the portal refused the API token ({status}: {detail}); check {variable} on both sides"),
                variable=self.token_env,
                status=status,
                detail=reply,
                code=status,
                reply=reply,
            )
        # code and reply are the error's attributes, not its message's parameters: repeated as such
        if status in (408, 429) or status >= 500:
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

"""A thin async HTTP client over one aiohttp session: the SMS gateway's and the portal's transport.

The session is made on the first request, inside the running loop (the agent's objects are
built before it starts). Redirects are not followed and no status raises: the callers sort
the answers. Getting no answer raises one of two errors, each with a reason staff can read:

- ``Unreachable``: refused, DNS, connect timeout, a malformed or non-HTTP URL (nothing was sent);
- ``NoAnswer``: connected, then a timeout, a dropped connection or a cut-short answer.

aiohttp has no write timeout: a body larger than ``UPLOAD_CHUNK`` goes in chunks, each to be
taken within ``timeout`` or the connection is dropped (``NoAnswer``), as httpx's write timeout
did; without it a portal or network that stops taking an upload would hold it for good.

Proxies named by the environment (``HTTP_PROXY``, ``HTTPS_PROXY``, ``ALL_PROXY``, ``NO_PROXY``)
are read once, when the session is made, as httpx did. aiohttp's own ``trust_env`` is not used:
it reads the environment and ``~/.netrc`` in a thread on every request (a third of a millisecond
of CPU each), and a netrc entry for the host would clash with the callers' bearer tokens.
"""

from __future__ import annotations

import asyncio
import json as jsonlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp.abc import AbstractStreamWriter
from yarl import URL

from agent.channels.env_proxy import EnvironmentProxies, basic_auth

IDLE_SECONDS = 4.0
UPLOAD_CHUNK = 64 * 1024  # asyncio's transport buffer: a chunk waits until the last has gone


@dataclass(frozen=True)
class HttpAnswer:
    """An HTTP answer, whatever its status, read whole."""

    status: int
    reason: str  # the status line's phrase ("Not Found"), "" when the server sent none
    body: bytes
    charset: str = "utf-8"  # from Content-Type, for ``text``

    @property
    def text(self) -> str:
        try:
            return self.body.decode(self.charset, errors="replace")
        except LookupError:  # a charset Python does not know
            return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body as JSON; ``ValueError`` when it is not."""
        return jsonlib.loads(self.body)


class HttpFailure(Exception):
    """No HTTP answer; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Unreachable(HttpFailure):
    """The server could not be reached: the request never left."""


class NoAnswer(HttpFailure):
    """Connected, but no whole answer came back: the server may or may not have acted on it."""


class HttpClient:
    """Requests to ``base_url`` (prefixed to relative URLs), each phase of an exchange given ``timeout``."""

    def __init__(self, base_url: str = "", timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._session: aiohttp.ClientSession | None = None
        self._closed = False
        self._proxies = EnvironmentProxies({})

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
        data: Mapping[str, str] | bytes | None = None,
        params: Mapping[str, str | int] | None = None,
        auth: tuple[str, str] | None = None,
    ) -> HttpAnswer:
        """Send one request and read its whole answer; ``auth`` is basic auth (login, password)."""
        if json is not None and data is not None:
            raise TypeError("json and data cannot be sent together")
        sent = dict(headers or {})
        body = data
        if json is not None:
            # serialized here, as httpx did: unserializable JSON is the caller's error, not the network's
            body = jsonlib.dumps(json, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
            sent["Content-Type"] = "application/json"
        if auth is not None:
            sent["Authorization"] = basic_auth(*auth)
        session = self._open()
        payload: Any = body
        if isinstance(body, bytes) and len(body) > UPLOAD_CHUNK:
            payload = _PacedBody(body, self.timeout)
        try:
            target = URL(url if not self.base_url or "://" in url else self.base_url + url)
            proxy, proxy_headers = self._proxies.for_url(target)
            if proxy_headers and target.scheme == "http":  # the request itself goes to the proxy
                sent.update(proxy_headers)
                proxy_headers = None  # (aiohttp sends these in an HTTPS tunnel's CONNECT only)
            async with session.request(
                method,
                target,
                headers=sent,
                data=payload,
                params=params,
                allow_redirects=False,
                proxy=proxy,
                proxy_headers=proxy_headers,
            ) as response:
                content = await response.read()  # read whole: the connection goes back to the pool
                return HttpAnswer(
                    response.status, response.reason or "", content, response.charset or "utf-8"
                )
        # subclasses before their bases: InvalidURL is a ValueError, the timeouts OSErrors
        except aiohttp.NonHttpUrlClientError as exc:
            raise Unreachable(f"not an http or https URL: {_describe(exc)}") from exc
        except ValueError as exc:  # aiohttp's InvalidURL, or yarl and the IDNA codec refusing a host
            raise Unreachable(f"invalid URL: {_describe(exc)}") from exc
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
            raise Unreachable(_describe(exc)) from exc  # refused, DNS, TLS, the proxy unreachable
        except (aiohttp.ClientError, OSError) as exc:  # a timeout (TimeoutError), a reset, cut short
            raise NoAnswer(_describe(exc)) from exc

    async def aclose(self) -> None:
        """Close the session, if one was made; the client cannot be used after (as httpx's)."""
        self._closed = True
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    def _open(self) -> aiohttp.ClientSession:
        if self._closed:
            raise RuntimeError("the HTTP client is closed")
        if self._session is None:
            seconds = self.timeout
            self._proxies = EnvironmentProxies.read()
            self._session = aiohttp.ClientSession(
                # an idle connection let go after 4 s (aiohttp's default 15 s, httpx's 5 s): never
                # picked for a request just as uvicorn closes it after its own 5 s
                connector=aiohttp.TCPConnector(keepalive_timeout=IDLE_SECONDS),
                timeout=aiohttp.ClientTimeout(
                    total=None, connect=seconds, sock_connect=seconds, sock_read=seconds
                ),
                trust_env=False,  # see the module's docstring
            )
        return self._session


class _Stalled(TimeoutError):
    """A chunk of the body not taken in time (aiohttp hands it to the request as it is)."""


class _PacedBody(aiohttp.Payload):
    """A body written by ``UPLOAD_CHUNK``, each within ``seconds``, else the connection is dropped."""

    _autoclose = True  # nothing to close: bytes

    def __init__(self, body: bytes, seconds: float) -> None:
        super().__init__(body, content_type="application/octet-stream")  # the caller's header wins
        self._body = body
        self._size = len(body)
        self._seconds = seconds

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        return self._body.decode(encoding, errors)

    async def as_bytes(self, encoding: str = "utf-8", errors: str = "strict") -> bytes:
        return self._body

    async def write(self, writer: AbstractStreamWriter) -> None:
        # a chunk waits in writer.write until the one before has left asyncio's buffer: a chunk
        # not taken in time is a stalled peer; a slow link that keeps taking them is not
        for start in range(0, len(self._body), UPLOAD_CHUNK):
            try:
                async with asyncio.timeout(self._seconds):
                    await writer.write(self._body[start : start + UPLOAD_CHUNK])
            except TimeoutError:
                transport = getattr(writer, "transport", None)
                if transport is not None:
                    transport.abort()  # close() would wait, open, for the peer to take what is buffered
                raise _Stalled(f"the upload stalled: nothing taken for {self._seconds:g} s") from None


def _describe(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__

"""The SMS gateway's and the portal's HTTP client: one ``httpx.AsyncClient`` with the agent's settings.

Redirects are not followed and no status raises: the callers sort the answers. Getting no
answer raises one of two errors, each with a reason staff can read:

- ``Unreachable``: refused, DNS, connect timeout, a malformed or non-HTTP URL (nothing was sent);
- ``NoAnswer``: connected, then a timeout, a dropped connection or a cut-short answer.

httpx reads the environment (``trust_env``) when the client is made: the proxies that
``HTTP_PROXY``, ``HTTPS_PROXY`` and ``ALL_PROXY`` name, except for the hosts in ``NO_PROXY``,
and the system's trusted authorities (OpenSSL also reads ``SSL_CERT_FILE`` and ``SSL_CERT_DIR``).
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpx

IDLE_SECONDS = 4.0  # an idle connection let go before uvicorn's 5 s can close it under a request
UPLOAD_CHUNK = 64 * 1024


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
    """Requests to ``base_url`` (prefixed to relative URLs), each phase given ``timeout`` seconds.

    The ``httpx.AsyncClient`` is made on the first request: it reads the environment and loads
    the trusted authorities then, which a channel that is never used does not pay for.
    """

    def __init__(self, base_url: str = "", timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._client: httpx.AsyncClient | None = None
        self._closed = False

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
        data: Mapping[str, str] | None = None,
        content: bytes | None = None,
        params: Mapping[str, str | int] | None = None,
        auth: tuple[str, str] | None = None,
    ) -> httpx.Response:
        """Send one request and read its whole answer; ``auth`` is basic auth (login, password)."""
        client = self._open()
        try:
            # a caller's error (JSON that cannot be encoded) is raised here as it is, not as the network's
            request = client.build_request(
                method, url, headers=headers, json=json, data=data, content=content, params=params
            )
            if request.url.port is not None and not 0 < request.url.port < 65536:  # httpx lets it through
                raise Unreachable(f"invalid URL: port {request.url.port} out of range")
            if len(request.content) > UPLOAD_CHUNK:
                # httpx's write timeout bounds each write: given whole, a large body (a batch of
                # documents on a slow uplink) would have to be taken within one timeout
                request.stream = _InChunks(request.content)
            return await client.send(request, auth=auth)
        except (
            httpx.ConnectError,  # refused, DNS, TLS, the proxy unreachable
            httpx.ConnectTimeout,
            httpx.UnsupportedProtocol,
            httpx.InvalidURL,
            httpx.LocalProtocolError,  # a request that cannot be written (a newline in a header)
        ) as exc:
            raise Unreachable(_describe(exc)) from exc
        except httpx.RequestError as exc:  # a read, write or pool timeout, a reset, cut short
            raise NoAnswer(_describe(exc)) from exc

    async def aclose(self) -> None:
        """Close the httpx client, if one was made; this client cannot be used after."""
        self._closed = True
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    def _open(self) -> httpx.AsyncClient:
        if self._closed:
            raise RuntimeError("the HTTP client is closed")
        if self._client is None:
            try:
                self._client = new_client(self.base_url, self.timeout)
            except (ValueError, ImportError, OSError, httpx.InvalidURL) as exc:
                # a proxy or a certificate file the environment names that cannot be used
                raise Unreachable(f"the environment's proxy or certificates: {_describe(exc)}") from exc
        return self._client


def new_client(base_url: str = "", timeout: float = 10.0) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` with the agent's settings; proxies and authorities from the environment."""
    return httpx.AsyncClient(
        base_url=base_url,
        timeout=httpx.Timeout(timeout),
        # httpx's own limits but for the idle time (its default is uvicorn's 5 s)
        limits=httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=IDLE_SECONDS),
        follow_redirects=False,
        # the system's trusted authorities, as the agent always used (httpx alone would take certifi's);
        # OpenSSL still reads SSL_CERT_FILE and SSL_CERT_DIR when they are set
        verify=ssl.create_default_context(),
        trust_env=True,
    )


class _InChunks(httpx.AsyncByteStream):
    """A body handed to the connection ``UPLOAD_CHUNK`` bytes at a time (its length already sent)."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for start in range(0, len(self._body), UPLOAD_CHUNK):
            yield self._body[start : start + UPLOAD_CHUNK]


def _describe(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__

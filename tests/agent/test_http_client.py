"""``agent.channels.http`` against real servers on loopback: answers read whole, failures sorted by kind."""

from __future__ import annotations

import asyncio
import base64
import json
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from agent.channels import http
from agent.channels.http import HttpClient, NoAnswer, Unreachable
from tests.agent.certificates import self_signed, server_context
from tests.agent.raw_http import RawServer, answer_ok, cut_short, hang_up, refuse_tunnel, silent, slow_reader
from tests.portal.conftest import free_port, serve_in_thread

PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


@pytest.fixture(autouse=True)
def no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tests choose the proxies: none unless one says so."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


@dataclass
class EchoServer:
    """A real HTTP server answering what it was sent; ``hits`` counts the requests to ``/echo``."""

    url: str
    hits: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def echo() -> Iterator[EchoServer]:
    server_state = EchoServer("")

    async def echo_request(request: Request) -> Response:
        server_state.hits.append(request.method)
        body = await request.body()
        client = request.client
        return JSONResponse(
            {
                "method": request.method,
                "path": request.url.path,
                "query": dict(request.query_params),
                "content_type": request.headers.get("content-type", ""),
                "content_length": request.headers.get("content-length", ""),
                "chunked": "transfer-encoding" in request.headers,
                "authorization": request.headers.get("authorization", ""),
                "body": body.decode("utf-8"),
                "client_port": client.port if client else None,
            },
            status_code=int(request.query_params.get("status", "200")),
        )

    async def moved(request: Request) -> Response:
        return RedirectResponse("/echo", status_code=302)

    async def page(request: Request) -> Response:
        return HTMLResponse("<p>not json</p>")

    async def latin(request: Request) -> Response:
        return Response("café".encode("latin-1"), media_type="text/plain; charset=iso-8859-1")

    methods = ["GET", "POST", "PUT", "HEAD"]
    app = Starlette(
        routes=[
            Route("/echo", echo_request, methods=methods),
            Route("/base/echo", echo_request, methods=methods),
            Route("/moved", moved),
            Route("/page", page),
            Route("/latin", latin),
        ]
    )
    server, thread, port = serve_in_thread(app)
    server_state.url = f"http://127.0.0.1:{port}"
    yield server_state
    server.should_exit = True
    thread.join(10)


@pytest.fixture
def raw_server() -> Iterator[Callable[[Callable[[socket.socket, bytes], None]], RawServer]]:
    servers: list[RawServer] = []

    def start(handle: Callable[[socket.socket, bytes], None]) -> RawServer:
        servers.append(RawServer(handle))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


async def test_a_json_request_and_its_answer_round_trip(echo: EchoServer) -> None:
    client = HttpClient()
    try:
        answer = await client.request(
            "POST",
            f"{echo.url}/echo?status=201",
            json={"to": "+15145551234", "text": "café"},
            headers={"Authorization": "Bearer t0ken"},
        )
    finally:
        await client.aclose()
    assert (answer.status_code, answer.reason_phrase) == (201, "Created")
    seen = answer.json()
    assert seen["body"] == '{"to":"+15145551234","text":"café"}'  # compact UTF-8, as httpx sent it
    assert seen["content_type"] == "application/json"
    assert seen["authorization"] == "Bearer t0ken"
    assert answer.content.decode() == answer.text and '"method":"POST"' in answer.text


async def test_a_form_goes_with_basic_auth_in_utf8(echo: EchoServer) -> None:
    client = HttpClient(echo.url)
    try:
        answer = await client.request(
            "POST", "/echo", data={"To": "+1514", "Body": "é"}, auth=("AC1", "sécret")
        )
    finally:
        await client.aclose()
    seen = answer.json()
    assert seen["body"] == "To=%2B1514&Body=%C3%A9"
    assert seen["content_type"] == "application/x-www-form-urlencoded"
    assert seen["authorization"] == "Basic " + base64.b64encode("AC1:sécret".encode()).decode()


async def test_a_large_body_goes_whole_with_its_length(echo: EchoServer) -> None:
    """Handed over in pieces (see ``test_a_slow_upload_that_keeps_going_is_not_cut``), not chunked."""
    documents = [{"content": "A" * 300_000, "name": f"facture-{n}.pdf"} for n in range(4)]
    client = HttpClient(echo.url)
    try:
        answer = await client.request("PUT", "/echo", json={"documents": documents})
    finally:
        await client.aclose()
    seen = answer.json()
    assert json.loads(seen["body"]) == {"documents": documents}
    assert int(seen["content_length"]) == len(seen["body"].encode()) > http.UPLOAD_CHUNK * 10
    assert seen["chunked"] is False and seen["content_type"] == "application/json"


async def test_the_base_url_prefixes_paths_and_params_join_the_query(echo: EchoServer) -> None:
    client = HttpClient(echo.url + "/base/")
    try:
        answer = await client.request("GET", "/echo", params={"after": 3, "limit": 500})
        elsewhere = await client.request("GET", f"{echo.url}/echo")  # a whole URL is taken as is
    finally:
        await client.aclose()
    assert answer.json()["path"] == "/base/echo"
    assert answer.json()["query"] == {"after": "3", "limit": "500"}
    assert elsewhere.json()["path"] == "/echo"


async def test_error_statuses_are_answers_not_exceptions(echo: EchoServer) -> None:
    client = HttpClient(echo.url)
    try:
        busy = await client.request("PUT", "/echo?status=503")
        missing = await client.request("GET", "/nowhere")
        head = await client.request("HEAD", "/echo")
    finally:
        await client.aclose()
    assert (busy.status_code, busy.reason_phrase) == (503, "Service Unavailable")
    assert (missing.status_code, missing.reason_phrase, missing.text) == (404, "Not Found", "Not Found")
    assert (head.status_code, head.content) == (200, b"")


async def test_redirects_are_not_followed(echo: EchoServer) -> None:
    client = HttpClient(echo.url)
    before = len(echo.hits)
    try:
        answer = await client.request("GET", "/moved")
    finally:
        await client.aclose()
    assert (answer.status_code, answer.reason_phrase) == (302, "Found")
    assert len(echo.hits) == before  # /echo, where it points, was not asked


async def test_a_body_that_is_not_json_says_so_and_still_reads_as_text(echo: EchoServer) -> None:
    client = HttpClient(echo.url)
    try:
        page = await client.request("GET", "/page")
        latin = await client.request("GET", "/latin")
    finally:
        await client.aclose()
    with pytest.raises(ValueError):
        page.json()
    assert page.text == "<p>not json</p>"
    assert latin.content == "café".encode("latin-1") and latin.text == "café"  # the charset it names


async def test_requests_one_after_another_share_one_connection(echo: EchoServer) -> None:
    client = HttpClient(echo.url)
    try:
        ports = {(await client.request("GET", "/echo")).json()["client_port"] for _ in range(3)}
    finally:
        await client.aclose()
    assert len(ports) == 1


async def test_a_connection_idle_too_long_is_not_reused(
    echo: EchoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Let go before the server's own idle limit (uvicorn's 5 s) can close it under a request."""
    monkeypatch.setattr(http, "IDLE_SECONDS", 0.2)
    client = HttpClient(echo.url)
    try:
        first = (await client.request("GET", "/echo")).json()["client_port"]
        again = (await client.request("GET", "/echo")).json()["client_port"]
        await asyncio.sleep(0.5)
        later = (await client.request("GET", "/echo")).json()["client_port"]
    finally:
        await client.aclose()
    assert first == again != later


async def test_a_refused_port_is_unreachable() -> None:
    port = free_port()
    client = HttpClient()
    try:
        with pytest.raises(Unreachable) as refused:
            await client.request("GET", f"http://127.0.0.1:{port}/")
    finally:
        await client.aclose()
    assert refused.value.reason  # the caller's message names the URL


async def test_a_connection_that_cannot_be_made_in_time_is_unreachable() -> None:
    """A listener whose queue is full drops the SYN: the connect times out."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(3):
        filler = socket.socket()
        filler.setblocking(False)
        filler.connect_ex(("127.0.0.1", port))
        fillers.append(filler)
    client = HttpClient(timeout=0.3)
    started = time.monotonic()
    try:
        with pytest.raises(Unreachable) as late:
            await client.request("GET", f"http://127.0.0.1:{port}/")
    finally:
        await client.aclose()
        for filler in fillers:
            filler.close()
        listener.close()
    assert time.monotonic() - started < 3
    assert "timeout" in late.value.reason.lower()


async def test_a_server_that_never_answers_is_no_answer(raw_server: Callable[..., RawServer]) -> None:
    server = raw_server(silent)
    client = HttpClient(timeout=0.3)
    started = time.monotonic()
    try:
        with pytest.raises(NoAnswer) as silence:
            await client.request("POST", server.url + "/sms", json={"text": "hello"})
    finally:
        await client.aclose()
    assert time.monotonic() - started < 3
    assert "timeout" in silence.value.reason.lower()
    assert server.heads[0].startswith(b"POST /sms HTTP/1.1")  # it was connected and sent


async def test_an_upload_the_server_stops_taking_is_no_answer(raw_server: Callable[..., RawServer]) -> None:
    """A body the server stops reading does not hold the request for good: httpx's write timeout."""
    server = raw_server(silent)  # reads the head, never the body
    client = HttpClient(timeout=0.3)
    started = time.monotonic()
    try:
        with pytest.raises(NoAnswer) as stalled:  # 32 MB: more than loopback's buffers hold
            await asyncio.wait_for(client.request("PUT", server.url + "/", content=b"x" * (32 << 20)), 10)
    finally:
        await client.aclose()
    assert time.monotonic() - started < 5
    assert "timeout" in stalled.value.reason.lower()


async def test_a_slow_upload_that_keeps_going_is_not_cut(raw_server: Callable[..., RawServer]) -> None:
    """Each chunk must be taken in time, not the whole body: a slow link is not a stalled one."""
    server = raw_server(slow_reader)
    client = HttpClient(timeout=0.5)
    started = time.monotonic()
    try:
        answer = await client.request("PUT", server.url + "/", content=b"x" * (32 << 20))
    finally:
        await client.aclose()
    assert answer.text == "ok"
    assert time.monotonic() - started > 1.0  # longer than the timeout, twice over


@pytest.mark.parametrize("handle", [hang_up, cut_short], ids=["hangs-up", "cut-short"])
async def test_a_connection_dropped_before_the_whole_answer_is_no_answer(
    raw_server: Callable[..., RawServer], handle: Callable[[socket.socket, bytes], None]
) -> None:
    server = raw_server(handle)
    client = HttpClient(timeout=2)
    try:
        with pytest.raises(NoAnswer) as dropped:
            await client.request("GET", server.url + "/")
    finally:
        await client.aclose()
    assert dropped.value.reason


@pytest.mark.parametrize(
    "url",
    ["http://.../", "http://[::1", "http://127.0.0.1:99999/", "not a url", "", "ftp://127.0.0.1/file"],
    ids=["empty-labels", "open-bracket", "port-too-big", "no-scheme", "empty", "ftp"],
)
async def test_a_malformed_or_non_http_url_is_unreachable(url: str) -> None:
    client = HttpClient()
    try:
        with pytest.raises(Unreachable) as bad:
            await client.request("GET", url)
    finally:
        await client.aclose()
    assert bad.value.reason


async def test_a_caller_error_is_not_mistaken_for_the_network(echo: EchoServer) -> None:
    client = HttpClient(echo.url)
    try:
        with pytest.raises(ValueError, match="JSON") as nan:
            await client.request("POST", "/echo", json={"amount": float("nan")})
        assert not isinstance(nan.value, Unreachable | NoAnswer)
    finally:
        await client.aclose()


async def test_an_environment_proxy_is_used_with_its_credentials(
    raw_server: Callable[..., RawServer], echo: EchoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = raw_server(answer_ok)
    monkeypatch.setenv("HTTP_PROXY", f"http://agent:s%C3%A9cret@127.0.0.1:{proxy.port}")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    client = HttpClient()
    try:
        # a name no resolver is asked for: the proxy is
        proxied = await client.request("GET", "http://portal.facteur.invalid/api/v1/health")
        direct = await client.request("GET", f"{echo.url}/echo")  # NO_PROXY: straight to the server
    finally:
        await client.aclose()
    assert proxied.text == "ok" and direct.json()["path"] == "/echo"
    (head,) = proxy.heads
    lines = head.decode().split("\r\n")
    assert lines[0] == "GET http://portal.facteur.invalid/api/v1/health HTTP/1.1"
    expected = "Basic " + base64.b64encode("agent:sécret".encode()).decode()
    assert f"Proxy-Authorization: {expected}" in lines


async def test_an_https_proxy_tunnel_asks_with_the_credentials(
    raw_server: Callable[..., RawServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The credentials go in the CONNECT, to the proxy, never in the request tunnelled to the server."""
    proxy = raw_server(refuse_tunnel)
    monkeypatch.setenv("HTTPS_PROXY", f"http://agent:secret@127.0.0.1:{proxy.port}")
    client = HttpClient()
    try:
        with pytest.raises(NoAnswer):  # no tunnel, no answer from the server: tried again later
            await client.request("GET", "https://portal.facteur.invalid/api/v1/health")
    finally:
        await client.aclose()
    (head,) = proxy.heads
    lines = head.decode().split("\r\n")
    assert lines[0] == "CONNECT portal.facteur.invalid:443 HTTP/1.1"
    assert "Proxy-Authorization: Basic " + base64.b64encode(b"agent:secret").decode() in lines


@pytest.mark.parametrize("trusted", [True, False], ids=["trusted", "unknown-authority"])
async def test_a_certificate_is_checked_against_the_authorities_ssl_cert_file_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, trusted: bool
) -> None:
    (tmp_path / "server").mkdir()
    certificate = self_signed(tmp_path / "server")
    authority = certificate[0] if trusted else self_signed(tmp_path)[0]  # another one's
    monkeypatch.setenv("SSL_CERT_FILE", str(authority))
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    server = RawServer(answer_ok, tls=server_context(certificate))
    client = HttpClient()
    try:
        if trusted:
            assert (await client.request("GET", server.url + "/")).text == "ok"
        else:
            with pytest.raises(Unreachable) as refused:  # nothing was sent: offline, not a failed message
                await client.request("GET", server.url + "/")
            assert "certificate" in refused.value.reason.lower()
    finally:
        await client.aclose()
        server.close()
    assert len(server.heads) == int(trusted)


async def test_aclose_is_safe_twice_and_with_no_session_and_closes_for_good(echo: EchoServer) -> None:
    unused = HttpClient(echo.url)
    await unused.aclose()
    await unused.aclose()
    used = HttpClient(echo.url)
    assert (await used.request("GET", "/echo")).status_code == 200
    await used.aclose()
    await used.aclose()
    with pytest.raises(RuntimeError):
        await used.request("GET", "/echo")


def test_a_client_built_outside_the_loop_works_inside_it(echo: EchoServer) -> None:
    """The agent builds its channels before its loop starts: the httpx client is made on first use."""
    client = HttpClient(echo.url)

    async def use() -> int:
        try:
            return (await client.request("GET", "/echo")).status_code
        finally:
            await client.aclose()

    assert asyncio.run(use()) == 200

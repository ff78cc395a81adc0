"""The real portal on loopback: uvicorn in a thread (or ``facteur portal`` as a process), a movable clock."""

from __future__ import annotations

import base64
import datetime as dt
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from models.messaging.secure_link import document_aad, encrypt, link_key, new_token, pin_hash, token_hash
from portal.app import create_app
from portal.services import Portal, PortalOptions
from portal.storage import close_portal_database

API_TOKEN = "test-portal-api-token-0123456789abcdef"
START = dt.datetime(2026, 11, 22, 15, 0, tzinfo=dt.UTC)
PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\nBT (Facture CDP-2026-00042 Marie Tremblay) ET\n%%EOF\n"


@dataclass
class Clock:
    """The portal's injected clock; tests move it."""

    now: dt.datetime = START

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@dataclass
class Monotonic:
    """The rate limiter's clock."""

    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class RunningPortal:
    url: str
    options: PortalOptions
    clock: Clock
    monotonic: Monotonic
    services: Portal
    _server: uvicorn.Server | None = None
    _thread: threading.Thread | None = None
    http: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.http = httpx.Client(base_url=self.url, timeout=10)

    @property
    def data_dir(self) -> Path:
        return self.options.data_dir

    def api(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {API_TOKEN}", **kwargs.pop("headers", {})}
        return self.http.request(method, path, headers=headers, **kwargs)

    def browser(self) -> httpx.Client:
        """A fresh client with its own cookie jar: one patient's browser."""
        return httpx.Client(base_url=self.url, timeout=10)

    def stop(self) -> None:
        self.http.close()
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(10)
        close_portal_database()


def serve_in_thread(app: Any) -> tuple[uvicorn.Server, threading.Thread, int]:
    # IPPROTO_TCP given explicitly: asyncio sets TCP_NODELAY only on sockets that say so, and without
    # it every kept-alive request waits ~40 ms on Nagle and delayed ACKs
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, lifespan="on", access_log=False, log_level="warning", proxy_headers=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the portal did not start")
        time.sleep(0.01)
    return server, thread, port


def portal_options(data_dir: Path, **changes: Any) -> PortalOptions:
    options = PortalOptions(
        data_dir=data_dir,
        api_token=API_TOKEN,
        token_env="FACTEUR_PORTAL_TOKEN",
        secret=None,
        rate_limit=10_000,
        api_rate_limit=100_000,
        trust_forwarded=False,
        max_body_bytes=20 * 1024 * 1024,
        secure_cookies=False,
    )
    return replace(options, **changes)


StartPortal = Callable[..., RunningPortal]


@pytest.fixture
def start_portal(tmp_path: Path) -> Iterator[StartPortal]:
    """Start a portal (options overridable); each is stopped at the end of the test."""
    running: list[RunningPortal] = []

    def start(
        *, clock: Clock | None = None, sweep_seconds: float | None = None, **changes: Any
    ) -> RunningPortal:
        options = portal_options(tmp_path / "portal-data", **changes)
        clock = clock or Clock()
        monotonic = Monotonic()
        app = create_app(options, clock=clock, monotonic=monotonic, sweep_seconds=sweep_seconds)
        server, thread, port = serve_in_thread(app)
        services = app.app.state.portal  # inside the SecurityHeaders wrapper
        portal = RunningPortal(
            f"http://127.0.0.1:{port}", options, clock, monotonic, services, server, thread
        )
        running.append(portal)
        return portal

    yield start
    for portal in running:
        portal.stop()


@pytest.fixture
def portal(start_portal: StartPortal) -> RunningPortal:
    return start_portal()


@dataclass
class PublishedLink:
    token: str
    pin: str
    documents: list[tuple[str, bytes]]

    @property
    def hash(self) -> str:
        return token_hash(self.token)

    @property
    def key(self) -> str:
        """The proof of its token a change to it brings."""
        return link_key(self.token)

    @property
    def path(self) -> str:
        return f"/l/{self.token}"


def link_body(
    token: str,
    pin: str,
    documents: list[tuple[str, bytes]],
    *,
    expires_at: dt.datetime,
    language: str = "fr",
    revokes: tuple[str, ...] = (),
    key: str | None = None,
) -> dict[str, Any]:
    """A PUT body; ``revokes`` holds the tokens of the links it revokes, each sent with its proof;
    ``key``: another link key than the token's (a forged proof)."""
    th = token_hash(token)
    sealed = []
    for slot, (name, content) in enumerate(documents):
        sealed.append(
            {
                "name": base64.b64encode(
                    encrypt(token, name.encode(), document_aad(th, slot, "name"))
                ).decode(),
                "content": base64.b64encode(
                    encrypt(token, content, document_aad(th, slot, "content"))
                ).decode(),
            }
        )
    return {
        "link_key": key or link_key(token),
        "pin_hash": pin_hash(token, pin),
        "expires_at": expires_at.isoformat().replace("+00:00", "Z"),
        "language": language,
        "clinic": {
            "name": "Clinique du Parc",
            "phone": "+15145550100",
            "email": "accueil@cliniqueduparc.example",
        },
        "documents": sealed,
        "revokes": [{"token_hash": token_hash(t), "link_key": link_key(t)} for t in revokes],
    }


def publish(
    portal: RunningPortal,
    *,
    pin: str = "482913",
    documents: list[tuple[str, bytes]] | None = None,
    days: float = 14,
    language: str = "fr",
    revokes: tuple[str, ...] = (),
    token: str | None = None,
    expect: int = 201,
) -> PublishedLink:
    token = token or new_token()
    documents = documents or [("facture-CDP-2026-00042.pdf", PDF)]
    body = link_body(
        token,
        pin,
        documents,
        expires_at=portal.clock.now + dt.timedelta(days=days),
        language=language,
        revokes=revokes,
    )
    response = portal.api("PUT", f"/api/v1/links/{token_hash(token)}", json=body)
    assert response.status_code == expect, response.text
    return PublishedLink(token, pin, documents)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_portal_process(config: Path, port: int, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """``facteur portal`` as users run it; returns once it answers."""
    environment = {**os.environ, "FACTEUR_CONFIG": str(config), "FACTEUR_LANG": "en", **(env or {})}
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "facteur"), "portal", "--listen", f"127.0.0.1:{port}"],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"facteur portal exited: {process.stderr.read() if process.stderr else ''}")
        try:
            httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1)
            return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("facteur portal did not start")

"""Which proxy a URL goes through: the environment's, as httpx chooses for the agent's client."""

from __future__ import annotations

import base64
from collections.abc import Callable

import httpcore
import httpx
import pytest

from agent.channels.http import new_client

PROXY = "http://proxy.clinic.example:3128"
SCHEMES = ("http", "https", "all", "no")

Read = Callable[[dict[str, str]], httpx.AsyncClient]


@pytest.fixture
def read(monkeypatch: pytest.MonkeyPatch) -> Read:
    """The agent's client made with these variables only (``{"http": …}`` sets ``http_proxy``)."""

    def make(names: dict[str, str]) -> httpx.AsyncClient:
        for scheme in SCHEMES:
            monkeypatch.delenv(f"{scheme}_proxy", raising=False)
            monkeypatch.delenv(f"{scheme.upper()}_PROXY", raising=False)
        for scheme, value in names.items():
            monkeypatch.setenv(f"{scheme}_proxy", value)
        return new_client()

    return make


def chosen(client: httpx.AsyncClient, url: str) -> tuple[str | None, dict[str, str] | None]:
    """The proxy httpx sends ``url`` through and the headers it gives that proxy; ``(None, None)``: direct.

    Read from the transport httpx picks for the URL (its mounts, made from the environment)."""
    pool = client._transport_for_url(httpx.URL(url))._pool  # type: ignore[attr-defined]
    if not isinstance(pool, httpcore.AsyncHTTPProxy):
        return None, None
    proxy = pool._proxy_url
    address = f"{proxy.scheme.decode()}://{proxy.host.decode()}:{proxy.port}"
    headers = {name.decode(): value.decode() for name, value in pool._proxy_headers}
    return address, headers or None


def proxy_of(client: httpx.AsyncClient, url: str) -> str | None:
    return chosen(client, url)[0]


def test_a_proxy_per_scheme_and_all_for_the_rest(read: Read) -> None:
    proxies = read({"http": "127.0.0.1:3128", "all": PROXY})
    assert proxy_of(proxies, "http://gateway.example/sms") == "http://127.0.0.1:3128"  # no scheme: http
    assert proxy_of(proxies, "https://gateway.example/sms") == PROXY
    assert proxy_of(read({"http": PROXY}), "https://gateway.example/sms") is None
    assert proxy_of(read({}), "http://gateway.example/sms") is None


@pytest.mark.parametrize(
    ("url", "direct"),
    [
        ("http://example.com/", True),
        ("http://www.example.com/", True),
        ("http://notexample.com/", False),
        ("http://clinic.internal/", True),
        ("http://internal/", False),  # ".internal" is its subdomains only
        ("http://10.0.0.5:8080/", True),
        ("http://10.0.0.50/", False),
        ("http://[::1]:8000/", True),
        ("http://localhost:8080/", True),
        ("http://localhost:9000/", False),  # "localhost:8080" is that port only
        ("https://secure.example/", True),
        ("http://secure.example/", False),  # "https://secure.example" is that scheme only
        ("http://EXAMPLE.com/", True),
    ],
)
def test_no_proxy_names_the_hosts_reached_directly(read: Read, url: str, direct: bool) -> None:
    proxies = read(
        {
            "http": PROXY,
            "https": PROXY,
            "no": "Example.com, .internal,10.0.0.5, ::1, localhost:8080, https://secure.example, [bad",
        }
    )
    assert (proxy_of(proxies, url) is None) is direct


def test_no_proxy_star_means_no_proxy_at_all(read: Read) -> None:
    proxies = read({"http": PROXY, "all": PROXY, "no": "foo.example, *"})
    assert proxy_of(proxies, "http://gateway.example/") is None
    assert proxy_of(proxies, "https://gateway.example/") is None


def test_credentials_leave_the_address_for_a_header(read: Read) -> None:
    proxies = read({"http": "http://agent:p%40ss@proxy.clinic.example:3128"})
    address, headers = chosen(proxies, "http://gateway.example/sms")
    assert address == PROXY
    assert headers == {"Proxy-Authorization": "Basic " + base64.b64encode(b"agent:p@ss").decode()}
    assert chosen(proxies, "http://gateway.example/sms") != (None, None)
    assert chosen(read({"http": PROXY}), "http://x.example/")[1] is None

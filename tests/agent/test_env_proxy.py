"""``EnvironmentProxies``: which proxy a URL goes through, as httpx chose it from the environment."""

from __future__ import annotations

import base64

import pytest
from yarl import URL

from agent.channels.env_proxy import EnvironmentProxies

PROXY = "http://proxy.clinic.example:3128"


def proxy_of(proxies: EnvironmentProxies, url: str) -> str | None:
    chosen, _ = proxies.for_url(URL(url))
    return None if chosen is None else str(chosen)


def test_a_proxy_per_scheme_and_all_for_the_rest() -> None:
    proxies = EnvironmentProxies.read({"http": "127.0.0.1:3128", "all": PROXY})
    assert proxy_of(proxies, "http://gateway.example/sms") == "http://127.0.0.1:3128"  # no scheme: http
    assert proxy_of(proxies, "https://gateway.example/sms") == PROXY
    assert proxy_of(EnvironmentProxies.read({"http": PROXY}), "https://gateway.example/sms") is None
    assert proxy_of(EnvironmentProxies.read({}), "http://gateway.example/sms") is None


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
def test_no_proxy_names_the_hosts_reached_directly(url: str, direct: bool) -> None:
    proxies = EnvironmentProxies.read(
        {
            "http": PROXY,
            "https": PROXY,
            "no": "Example.com, .internal,10.0.0.5, ::1, localhost:8080, https://secure.example, [bad",
        }
    )
    assert (proxy_of(proxies, url) is None) is direct


def test_no_proxy_star_means_no_proxy_at_all() -> None:
    proxies = EnvironmentProxies.read({"http": PROXY, "all": PROXY, "no": "foo.example, *"})
    assert proxy_of(proxies, "http://gateway.example/") is None
    assert proxy_of(proxies, "https://gateway.example/") is None


def test_credentials_leave_the_address_for_a_header() -> None:
    proxies = EnvironmentProxies.read({"http": "http://agent:p%40ss@proxy.clinic.example:3128"})
    chosen, headers = proxies.for_url(URL("http://gateway.example/sms"))
    assert str(chosen) == PROXY
    assert headers == {"Proxy-Authorization": "Basic " + base64.b64encode(b"agent:p@ss").decode()}
    assert proxies.for_url(URL("http://gateway.example/sms")) != (None, None)
    assert EnvironmentProxies.read({"http": PROXY}).for_url(URL("http://x.example/"))[1] is None

"""The proxies the environment names, chosen per URL as httpx chose them (``agent.channels.http``).

``HTTP_PROXY``, ``HTTPS_PROXY`` and ``ALL_PROXY`` (either case) name a proxy per scheme;
``NO_PROXY`` lists the hosts reached directly, curl's way: ``example.com`` is that host and
its subdomains, ``.example.com`` its subdomains only, ``host:port`` that port only,
``http://host`` that scheme only, ``*`` every host. Credentials in a proxy's address go in a
``Proxy-Authorization`` header.
"""

from __future__ import annotations

import base64
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass

from yarl import URL


@dataclass(frozen=True)
class _Direct:
    """One ``NO_PROXY`` entry."""

    scheme: str  # "" for any
    host: str
    port: int | None

    def matches(self, url: URL) -> bool:
        if (self.scheme and self.scheme != url.scheme) or (self.port is not None and self.port != url.port):
            return False
        host = (url.host or "").lower()
        if self.host.startswith("."):
            return host.endswith(self.host)
        return host == self.host or host.endswith("." + self.host)


@dataclass(frozen=True)
class EnvironmentProxies:
    """Proxy addresses by scheme (``"all"`` for any) and the hosts reached directly."""

    proxies: Mapping[str, str]
    direct: tuple[_Direct, ...] = ()

    @classmethod
    def read(cls, names: Mapping[str, str] | None = None) -> EnvironmentProxies:
        """From ``names`` (``urllib.request.getproxies()``'s shape), by default the environment's."""
        found = urllib.request.getproxies() if names is None else names
        proxies = {scheme: found[scheme] for scheme in ("http", "https", "all") if found.get(scheme)}
        entries = [entry.strip().lower() for entry in found.get("no", "").split(",") if entry.strip()]
        if "*" in entries:
            return cls({})
        return cls(proxies, tuple(direct for entry in entries if (direct := _parse(entry)) is not None))

    def for_url(self, url: URL) -> tuple[URL | None, dict[str, str] | None]:
        """The proxy for ``url`` and the headers carrying its credentials; ``(None, None)`` to go direct."""
        address = self.proxies.get(url.scheme) or self.proxies.get("all")
        if not address or not url.host or any(direct.matches(url) for direct in self.direct):
            return None, None
        proxy = URL(address if "://" in address else f"http://{address}")
        if proxy.user is None:
            return proxy, None
        return proxy.with_user(None), {"Proxy-Authorization": basic_auth(proxy.user, proxy.password or "")}


def basic_auth(login: str, password: str) -> str:
    """An ``Authorization`` value for basic auth, UTF-8 like httpx's (aiohttp 3.14 deprecates its own)."""
    return "Basic " + base64.b64encode(f"{login}:{password}".encode()).decode("ascii")


def _parse(entry: str) -> _Direct | None:
    scheme, _, rest = entry.rpartition("://")
    if rest.count(":") > 1 and not rest.startswith("["):  # a bare IPv6 address
        rest = f"[{rest}]"
    try:
        url = URL(f"all://{rest}")
    except ValueError:  # not a host: ignored, as httpx would not match it either
        return None
    if not url.host:
        return None
    return _Direct(scheme, url.host.lower(), url.explicit_port)

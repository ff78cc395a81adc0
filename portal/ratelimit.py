"""Per-address rate limit for the patient pages: a token bucket per client address, in memory.

``rate`` requests per minute, bursting up to ``rate``. The address is the TCP peer's,
or, only when ``trust_forwarded`` is on (the portal behind a reverse proxy), the last
``X-Forwarded-For`` entry: the one the proxy itself appended, which a client cannot forge.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

MAX_TRACKED = 50_000  # addresses kept; past it, the full (idle) buckets are forgotten


def client_address(peer: str | None, forwarded_for: str | None, trust_forwarded: bool) -> str:
    """The address a request is counted against."""
    if trust_forwarded and forwarded_for:
        entries = [part.strip() for part in forwarded_for.split(",") if part.strip()]
        if entries:
            return entries[-1]
    return peer or "unknown"


class RateLimiter:
    """``allow(address)`` spends one request; ``retry_after`` says when the next one would pass."""

    def __init__(self, per_minute: int, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.capacity = float(per_minute)
        self.refill_per_second = per_minute / 60.0
        self._now = monotonic
        self._buckets: dict[str, tuple[float, float]] = {}  # address -> (tokens, at)

    def allow(self, address: str) -> bool:
        now = self._now()
        tokens, at = self._buckets.get(address, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - at) * self.refill_per_second)
        allowed = tokens >= 1.0
        if allowed:
            tokens -= 1.0
        self._buckets[address] = (tokens, now)
        if len(self._buckets) > MAX_TRACKED:
            self._forget_idle(now)
        return allowed

    def retry_after(self, address: str) -> int:
        """Whole seconds until ``address`` has a request again."""
        tokens, _ = self._buckets.get(address, (self.capacity, 0.0))
        return max(1, math.ceil((1.0 - tokens) / self.refill_per_second))

    def _forget_idle(self, now: float) -> None:
        for address, (tokens, at) in list(self._buckets.items()):
            if tokens + (now - at) * self.refill_per_second >= self.capacity:
                del self._buckets[address]

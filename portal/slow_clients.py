"""A deadline for a client's request line and headers, which uvicorn does not have.

uvicorn times out an idle kept-alive connection, but any byte received cancels that timer, so a
client that sends its headers a byte at a time ("slowloris") holds a connection, and a few
hundred of them hold the portal. ``deadline_protocol(seconds)`` is uvicorn's h11 protocol with
one more timer: from the connection (and from the end of each response on a kept-alive one), a
client has ``seconds`` to send a whole request line and headers, else its connection is closed.
A reverse proxy in front has its own settings for this (nginx ``client_header_timeout``,
``client_body_timeout``: see the operations manual).
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol


class _DeadlineProtocol(H11Protocol):
    header_seconds = 10.0
    _deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._arm()  # the next request on a kept-alive connection gets its own deadline

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        waiting_for = self.cycle  # a new request replaces the cycle: its headers arrived
        self._deadline = self.loop.call_later(self.header_seconds, self._too_slow, waiting_for)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline = None

    def _too_slow(self, waiting_for: Any) -> None:
        self._deadline = None
        if self.cycle is waiting_for and not self.transport.is_closing():
            self.transport.close()


def deadline_protocol(seconds: float) -> type[H11Protocol]:
    """uvicorn's h11 protocol, closing a connection whose request headers take over ``seconds``."""
    return type("DeadlineProtocol", (_DeadlineProtocol,), {"header_seconds": seconds})

"""Delivery errors by type: the agent's retry decision reads the class, never the text.

Each carries the server's reply ``code`` and ``reply`` text (stored in the
transmission's ``detail``), never the message itself. Without a reply, the error's own
message is stored instead, in the agent's log language.
"""

from __future__ import annotations

import errno
from typing import Any

from models.core.errors import DeliveryError, PermanentDeliveryError, TransientDeliveryError


class _WithReply(DeliveryError):
    def __init__(
        self, message: str, /, *, code: int | str | None = None, reply: str = "", **params: Any
    ) -> None:
        # the reply code is also a placeholder the message may show ("… replied {code}")
        super().__init__(message, **{"code": "" if code is None else str(code), **params})
        self.code = None if code is None else str(code)
        # the server's own words, as it wrote them; empty where there were none (Facteur's reason is
        # then the message, rendered in a reader's language where it is stored or shown)
        self.reply = reply


class DeferredError(_WithReply, TransientDeliveryError):
    """4xx, a timeout or a disconnect before DATA: retried with backoff."""


class UnknownOutcomeError(_WithReply, TransientDeliveryError):
    """The server may or may not have taken it (a timeout after DATA): retried with the same Message-ID."""


class OfflineError(_WithReply, TransientDeliveryError):
    """No server reachable (or usable): the agent goes offline; no attempt is spent."""


class BlockedError(OfflineError):
    """A server refuses the agent's configuration (TLS, authentication, the sender): every message
    would meet the same refusal, so none is tried until it is fixed; no attempt is spent, the
    admins are told once, and the agent probes until the server takes it."""


class PausedError(OfflineError):
    """The provider's limit for the day is reached (a quota reply, or ``max_per_day``): the channel
    waits ``seconds`` before it tries again; no attempt is spent."""

    def __init__(self, message: str, /, *, seconds: float, **params: Any) -> None:
        super().__init__(message, **params)
        self.seconds = seconds


class ThrottledError(DeferredError):
    """The server said to slow down (421, 4.7.x, 4.3.2): the whole channel pauses and slows
    (``agent.pacing``); the message is tried again at the channel's next turn, not on its own clock."""


class RejectedError(_WithReply, PermanentDeliveryError):
    """5xx or an invalid address: failed at once."""


class SkippedError(_WithReply):
    """The message has nothing left to say when its turn came (a text for an invoice paid
    meanwhile): it ends ``cancelled`` with the reason; nothing failed, nobody is notified."""


class ReplacedError(_WithReply):
    """A newer send of the same invoice carries its link (the portal refused this one as revoked, or
    the queue holds the newer send): the message ends ``replaced``, not sent and not failed; nobody
    is notified, since the patient gets the newer one."""


# a full disk, a quota, a read-only or forbidden folder: every message would meet it (a setting or
# the machine to fix, ``BlockedError``), not one message's fault
LOCAL_FAULTS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM})


class SaidOnce:
    """The refusal last logged per key (an account, a Pay page): one that lasts is said once, and
    again only after something went through (a revoked key would fill the log every pull)."""

    def __init__(self) -> None:
        self._said: dict[str, str] = {}

    def first(self, key: str, reason: str) -> bool:
        """Whether ``reason`` is new for ``key`` (to be said); it is then the one remembered."""
        if self._said.get(key) == reason:
            return False
        self._said[key] = reason
        return True

    def cleared(self, key: str) -> None:
        self._said.pop(key, None)

"""Stripe's errors sorted like the other channels': the agent's retry decision reads the class.

- no connection at all (refused, unreachable, connect timeout): offline, no attempt spent;
- the connection broke after the request left: the outcome is unknown, retried with the same
  idempotency key (Stripe answers it with the first result);
- 409 (a request with the same key still in flight), 429, 5xx: retried with backoff;
- any other 4xx: failed at once, Stripe's reason shown.
"""

from __future__ import annotations

import httpx
import stripe

from agent.errors import DeferredError, OfflineError, RejectedError, UnknownOutcomeError
from locales import N_
from models.core.errors import DeliveryError

_NOTHING_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.UnsupportedProtocol)


def classify(exc: stripe.StripeError) -> DeliveryError:
    """The ``agent.errors`` class for a Stripe error, carrying its HTTP status and Stripe's message."""
    if isinstance(exc, stripe.APIConnectionError):
        cause = exc.__cause__
        reason = f"{type(cause).__name__}: {cause}" if cause is not None else str(exc)
        if isinstance(cause, _NOTHING_SENT):
            return OfflineError(N_("cannot reach Stripe: {reason}"), reason=reason, reply=reason)
        return UnknownOutcomeError(
            N_("the connection to Stripe broke: {reason}"), reason=reason, reply=reason
        )
    status = exc.http_status
    text = exc.user_message or str(exc) or type(exc).__name__
    if status is None or status in (409, 429) or status >= 500:
        return DeferredError(
            N_("Stripe is busy ({status}): {reason}"),
            code=status,
            status=status or "-",
            reason=text,
            reply=text,
        )
    return RejectedError(
        N_("Stripe refused the request ({status}): {reason}"),
        code=status,
        status=status,
        reason=text,
        reply=text,
    )


def is_idempotency_mismatch(exc: BaseException) -> bool:
    """Stripe refused a key reused with other parameters (the key's first request was another)."""
    cause = exc.__cause__
    return isinstance(cause, stripe.IdempotencyError)


def is_saved_failure(exc: BaseException) -> bool:
    """Stripe answered a 5xx it saved for this idempotency key (it began executing the first
    request, then failed): the same key gets the same answer for a day, so a retry needs another."""
    cause = exc.__cause__
    if not isinstance(cause, stripe.StripeError) or (cause.http_status or 0) < 500:
        return False
    headers = {str(k).lower(): str(v) for k, v in (cause.headers or {}).items()}
    return headers.get("idempotent-replayed", "").lower() == "true"

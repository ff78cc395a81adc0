"""The portal's own road to Stripe: make, read and expire a Checkout Session on a billing
company's account, with the portal's key for it (``models.core.stripe_keys``, role ``portal``:
a restricted key that can only write Checkout Sessions). The real ``stripe`` library over
httpx, no retries of its own: a patient's click waits for one round trip, never a backoff.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import stripe

from models.core.stripe_client import new_stripe_client
from models.core.stripe_keys import KeyRole, StripeKeys


class CheckoutUnavailable(Exception):
    """Stripe could not be asked, or refused: the patient is told to try again later.
    ``completed``: the session could not be expired because someone paid it meanwhile."""

    def __init__(self, reason: str, *, completed: bool = False) -> None:
        super().__init__(reason)
        self.completed = completed


@dataclass(frozen=True)
class CheckoutOptions:
    keys_dir: Path
    platform_env: str
    api_base: str = ""
    timeout: float = 10.0
    ca_file: str = ""


class PortalCheckout:
    def __init__(self, options: CheckoutOptions) -> None:
        self.keys = StripeKeys(options.keys_dir, KeyRole.PORTAL, options.platform_env)
        self.options = options
        self._client: stripe.StripeClient | None = None

    def can_act_on(self, account: str) -> bool:
        return self.keys.for_account(account) is not None

    def _stripe(self) -> stripe.StripeClient:
        if self._client is None:
            options = self.options
            self._client, _ = new_stripe_client(
                options.api_base, timeout=options.timeout, ca_file=options.ca_file
            )
        return self._client

    def _request_options(self, account: str, **extra: Any) -> Any:
        options = self.keys.request_options(account, **extra)
        if options is None:
            raise CheckoutUnavailable(f"no portal key for {account}")
        return options

    async def create(self, account: str, params: dict[str, Any], idempotency_key: str) -> dict[str, Any]:
        sessions = self._stripe().v1.checkout.sessions
        options = self._request_options(account, idempotency_key=idempotency_key)
        try:
            return (await sessions.create_async(params, options)).to_dict()  # type: ignore[arg-type]
        except stripe.StripeError as exc:
            raise CheckoutUnavailable(_reason(exc)) from exc

    async def retrieve(self, account: str, session_id: str) -> dict[str, Any]:
        sessions = self._stripe().v1.checkout.sessions
        try:
            session = await sessions.retrieve_async(session_id, options=self._request_options(account))
        except stripe.StripeError as exc:
            raise CheckoutUnavailable(_reason(exc)) from exc
        return session.to_dict()

    async def expire(self, account: str, session_id: str) -> None:
        """Close an open session; ``CheckoutUnavailable(completed=True)`` when it was paid meanwhile."""
        sessions = self._stripe().v1.checkout.sessions
        try:
            await sessions.expire_async(session_id, options=self._request_options(account))
        except stripe.InvalidRequestError as exc:
            state = await self.retrieve(account, session_id)
            if state.get("status") == "expired":
                return
            raise CheckoutUnavailable(_reason(exc), completed=state.get("status") == "complete") from exc
        except stripe.StripeError as exc:
            raise CheckoutUnavailable(_reason(exc)) from exc


def _reason(exc: stripe.StripeError) -> str:
    return f"{exc.http_status or '-'} {exc.user_message or exc}"

"""The Stripe calls Facteur makes, each on a billing company's account with the key that
acts on it (``models.core.stripe_keys``: the company's own restricted key, else a Connect
platform key and the ``Stripe-Account`` header): create and expire a Checkout Session, list
sessions and events, refund a payment.

The real ``stripe`` library, asynchronous over httpx; it never retries by itself (the
outbox and the pull decide), and every error comes out as an ``agent.errors`` class.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import stripe

from agent.errors import OfflineError, RejectedError
from agent.stripe.errors import classify
from locales import N_
from models.core.stripe_client import new_stripe_client
from models.core.stripe_keys import AGENT_PERMISSIONS, PORTAL_PERMISSIONS, KeyRole, StripeKeys

T = TypeVar("T")
PAGE = 100
NO_KEY = N_("no Stripe key for account {account}: an admin adds it in Settings (billing companies)")


class StripeApi:
    """The account is given per call; its key is looked up then (a key written from Settings
    serves the next request)."""

    def __init__(
        self, keys: StripeKeys, *, api_base: str = "", timeout: float = 30.0, ca_file: str = ""
    ) -> None:
        self.keys = keys
        self.api_base = api_base
        self.timeout = timeout
        self.ca_file = ca_file
        self._client: stripe.StripeClient | None = None
        self._http: stripe.HTTPXClient | None = None

    def _stripe(self) -> stripe.StripeClient:
        if self._client is None:
            self._client, self._http = new_stripe_client(
                self.api_base, timeout=self.timeout, ca_file=self.ca_file
            )
        return self._client

    def options(self, account: str, **extra: Any) -> Any:
        """The request options that act on ``account``: its key, and the header where that key is a
        platform's; ``RejectedError`` when no key acts on it (the email goes without its button)."""
        options = self.keys.request_options(account, **extra)
        if options is None:
            raise RejectedError(NO_KEY, account=account)
        return options

    async def _call(self, request: Callable[[], Awaitable[T]]) -> T:
        try:
            return await request()
        except stripe.StripeError as exc:
            raise classify(exc) from exc

    async def create_session(
        self, account: str, params: dict[str, Any], idempotency_key: str
    ) -> dict[str, Any]:
        sessions = self._stripe().v1.checkout.sessions
        options = self.options(account, idempotency_key=idempotency_key)
        session = await self._call(lambda: sessions.create_async(params, options))  # type: ignore[arg-type]
        return session.to_dict()

    async def create_refund(
        self, account: str, params: dict[str, Any], idempotency_key: str
    ) -> dict[str, Any]:
        refunds = self._stripe().v1.refunds
        options = self.options(account, idempotency_key=idempotency_key)
        refund = await self._call(lambda: refunds.create_async(params, options))  # type: ignore[arg-type]
        return refund.to_dict()

    async def expire_session(self, account: str, session_id: str) -> dict[str, Any]:
        sessions = self._stripe().v1.checkout.sessions
        session = await self._call(lambda: sessions.expire_async(session_id, options=self.options(account)))
        return session.to_dict()

    async def retrieve_session(self, account: str, session_id: str) -> dict[str, Any]:
        sessions = self._stripe().v1.checkout.sessions
        session = await self._call(lambda: sessions.retrieve_async(session_id, options=self.options(account)))
        return session.to_dict()

    async def list_sessions(self, account: str, created_gte: int) -> list[dict[str, Any]]:
        """Every session made since ``created_gte`` (epoch seconds), newest first."""
        sessions = self._stripe().v1.checkout.sessions
        return await self._pages(
            lambda params: sessions.list_async(params, options=self.options(account)),  # type: ignore[arg-type]
            {"created": {"gte": created_gte}},
        )

    async def list_events(self, account: str, created_gte: int, types: Sequence[str]) -> list[dict[str, Any]]:
        """The events of ``types`` since ``created_gte``, newest first (Stripe keeps 30 days)."""
        events = self._stripe().v1.events
        return await self._pages(
            lambda params: events.list_async(params, options=self.options(account)),  # type: ignore[arg-type]
            {"created": {"gte": created_gte}, "types": list(types)},
        )

    async def _pages(
        self, fetch: Callable[[dict[str, Any]], Awaitable[Any]], params: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Follow ``has_more`` with ``starting_after``, by hand: each page on the same account."""
        items: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            page_params = {**params, "limit": PAGE}
            if cursor is not None:
                page_params["starting_after"] = cursor
            page = await self._call(lambda page_params=page_params: fetch(page_params))  # type: ignore[misc]
            data = [item.to_dict() for item in page.data]
            items.extend(data)
            if not page.has_more or not data:
                return items
            cursor = str(data[-1]["id"])

    async def refused_permissions(self, account: str, role: KeyRole = KeyRole.AGENT) -> list[str]:
        """The permissions of ``role`` that the key acting on ``account`` lacks (Stripe answers 403),
        each asked once without changing anything: a read lists one item; a write acts on an object
        that does not exist (Stripe checks the permission first, then answers 404 or 400). A refused
        key (401) and no connection raise."""
        v1 = self._stripe().v1
        missing_session, missing_intent = "cs_facteur_permission_check", "pi_facteur_permission_check"
        probes: dict[str, Callable[[Any], Awaitable[Any]]] = {
            AGENT_PERMISSIONS[0]: lambda options: v1.checkout.sessions.expire_async(
                missing_session, options=options
            ),
            AGENT_PERMISSIONS[1]: lambda options: v1.events.list_async({"limit": 1}, options),
            AGENT_PERMISSIONS[2]: lambda options: v1.charges.list_async({"limit": 1}, options),
            AGENT_PERMISSIONS[3]: lambda options: v1.refunds.create_async(
                {"payment_intent": missing_intent}, options
            ),
        }
        wanted = AGENT_PERMISSIONS if role is KeyRole.AGENT else PORTAL_PERMISSIONS
        refused = []
        for permission in wanted:
            probe = probes[permission]

            async def ask(probe: Callable[[Any], Awaitable[Any]] = probe) -> Any:
                return await probe(self.options(account))

            try:
                await self._call(ask)
            except RejectedError as exc:
                if exc.code == "403":
                    refused.append(permission)
                elif exc.code == "401":
                    raise
        return refused

    async def probe(self) -> None:
        """Raise ``OfflineError`` unless Stripe answers now, asked the way the real requests are
        (the same client: its proxy from ``HTTPS_PROXY``, its timeouts). Any answer counts, a
        refusal too: what is probed is the road, not the key."""
        events = self._stripe().v1.events
        try:
            await events.list_async({"limit": 1})
        except stripe.StripeError as exc:
            error = classify(exc)
            if isinstance(error, OfflineError):
                raise error from exc

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close_async()
        self._client = self._http = None

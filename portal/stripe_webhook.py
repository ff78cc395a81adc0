"""Stripe's webhook, for clinics whose portal has a public address: ``stripe_webhook_routes(config)``.

The agent's pull from Stripe (``agent.stripe.sync``) is enough on its own; the webhook only makes
a payment show sooner. It is enabled with ``[stripe] webhook = true`` in the portal's
configuration. The portal faces the internet and never opens the clinic's database: it checks
Stripe's signature (the ``stripe`` library, 300 seconds of tolerance, the secret from the variable
``[stripe] webhook_secret_env`` names) and keeps the event in ``portal.db``
(``portal.webhook_events``); the agent pulls it through the API (``GET /api/v1/stripe-events``)
and applies it like its own pull, with the same deduplication by event id.

Answers: 200 once kept (or kept before); 400 for a bad signature or body; 413 over
``MAX_BYTES``; 503 while ``portal.db`` is busy. Stripe retries any answer but a 2xx, for three
days: a refused event costs nothing, the agent's own pull reads it from Stripe anyway.
"""

from __future__ import annotations

import json
import logging

import peewee
import stripe
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from locales import N_
from models.core.config import Config
from models.core.errors import ConfigError
from portal.api import bounded_body
from portal.services import services
from portal.webhook_events import store_webhook_event

PATH = "/stripe/webhook"
TOLERANCE_SECONDS = 300
MAX_BYTES = 512 * 1024  # Stripe's events are a few kilobytes; a Checkout Session's, some ten
log = logging.getLogger("facteur.portal.stripe")


def stripe_webhook_routes(config: Config) -> list[Route]:
    """The webhook's route when ``[stripe] webhook`` is on, else none; the integrator mounts them."""
    settings = config.stripe
    if not settings.webhook:
        return []
    secret = config.secret(settings.webhook_secret_env)
    if secret is None:
        raise ConfigError(
            N_("[stripe] webhook is on, but the variable {variable} holds no webhook secret"),
            variable=settings.webhook_secret_env or "-",
        )

    async def receive(request: Request) -> Response:
        payload = await bounded_body(request, MAX_BYTES)
        if payload is None:
            return JSONResponse({"error": f"the body is larger than {MAX_BYTES} bytes"}, status_code=413)
        try:
            event = stripe.Webhook.construct_event(
                payload, request.headers.get("stripe-signature"), secret, tolerance=TOLERANCE_SECONDS
            )
            event_id = str(event["id"])
        except stripe.SignatureVerificationError:
            return JSONResponse({"error": "invalid signature"}, status_code=400)
        except (ValueError, KeyError):  # not JSON, not UTF-8, not an event
            return JSONResponse({"error": "invalid payload"}, status_code=400)
        portal = services(request)
        body = json.dumps(event.to_dict(), ensure_ascii=False)
        try:
            await run_in_threadpool(store_webhook_event, event_id, body, portal.now())
        except peewee.OperationalError as exc:
            log.warning("Stripe event %s not kept yet: %s", event_id, exc)
            return JSONResponse({"error": "busy, try again"}, status_code=503)
        return JSONResponse({"received": True})

    return [Route(PATH, receive, methods=["POST"], name="stripe_webhook")]

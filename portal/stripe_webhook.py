"""Stripe's webhook, for clinics whose portal has a public address: ``stripe_webhook_routes(config)``.

The agent's pull (``agent.stripe.sync``) is enough on its own; the webhook only makes a
payment show sooner. It is enabled with ``[stripe] webhook = true`` in the portal's
configuration, since it writes to the clinic's database (opened by the portal process,
``models.database.db``). Stripe's signature is checked by the ``stripe`` library with a 300-second
tolerance, the secret read from the variable ``[stripe] webhook_secret_env`` names; the
event is then applied by the same function, with the same deduplication by event id, as
the agent's pull (``models.workflow.reconcile.apply_event``), so seeing it both ways counts once.

Answers: 200 once applied (or already applied, or not an event Facteur uses), 400 for a
bad signature or body (Stripe stops), 503 when the database is busy (Stripe retries).
"""

from __future__ import annotations

import logging
from typing import Any

import peewee
import stripe
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from locales import N_
from models.core.config import Config
from models.core.errors import ConfigError
from models.database.db import db
from models.workflow.reconcile import apply_event

PATH = "/stripe/webhook"
TOLERANCE_SECONDS = 300
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
        payload = await request.body()
        try:
            event = stripe.Webhook.construct_event(
                payload, request.headers.get("stripe-signature"), secret, tolerance=TOLERANCE_SECONDS
            )
        except stripe.SignatureVerificationError:
            return JSONResponse({"error": "invalid signature"}, status_code=400)
        except ValueError:  # not JSON, not UTF-8
            return JSONResponse({"error": "invalid payload"}, status_code=400)
        try:
            outcome = await run_in_threadpool(_apply, event.to_dict())
        except peewee.PeeweeException as exc:
            log.warning("Stripe event %s not applied yet: %s", event.get("id"), exc)
            return JSONResponse({"error": "busy, try again"}, status_code=503)
        except (KeyError, TypeError):
            return JSONResponse({"error": "not a Checkout event Facteur can read"}, status_code=400)
        return JSONResponse({"received": True, "outcome": outcome})

    return [Route(PATH, receive, methods=["POST"], name="stripe_webhook")]


def _apply(event: dict[str, Any]) -> str:
    """Apply on this worker thread's own connection (peewee keeps one per thread)."""
    opened = db.is_closed()
    if opened:
        db.connect()
    try:
        return apply_event(event).value
    finally:
        if opened and not db.is_closed():
            db.close()

"""The portal's Stripe webhook, served by uvicorn on loopback in a tiny Starlette app: the
signature (300 s tolerance), the same application and deduplication as the agent's pull."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette

from models.billing.invoice import Invoice, Payment
from models.billing.invoicing import LineInput, create_draft
from models.core.config import Config, StripeSettings
from models.core.errors import ConfigError
from models.links.stripe_events import StripeEvent
from models.links.tables import PaymentLink
from models.messaging.tables import Notification
from models.people.patient import Patient
from models.workflow.lifecycle import bill
from models.workflow.reconcile import apply_event
from portal.stripe_webhook import PATH, stripe_webhook_routes
from tests.conftest import Setup

SECRET = "whsec_test_facteur"
ACCOUNT = "acct_1ClinicParc01"


def config(webhook: bool = True) -> Config:
    return replace(Config(), stripe=StripeSettings(webhook=webhook, webhook_secret_env="FACTEUR_TEST_WHSEC"))


def sign(payload: bytes, *, at: int | None = None, secret: str = SECRET) -> str:
    """Stripe's scheme: ``t=<time>,v1=<HMAC-SHA256 of "<time>.<payload>">``."""
    stamp = int(time.time()) if at is None else at
    mac = hmac.new(secret.encode(), f"{stamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={mac}"


@pytest.fixture
def served(database: object, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The routes in a bare Starlette app, served by uvicorn on 127.0.0.1; yields its base URL."""
    monkeypatch.setenv("FACTEUR_TEST_WHSEC", SECRET)
    app = Starlette(routes=stripe_webhook_routes(config()))
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def linked(setup: Setup) -> PaymentLink:
    setup.company.stripe_account_id = ACCOUNT
    setup.company.save()
    patient = Patient.create(last_name="Tremblay", first_name="Marie", language="fr")
    invoice = bill(
        create_draft(
            patient=patient,
            billing_company=setup.company,
            lines=[LineInput("Consultation", Decimal(1), 8500)],
        )
    )
    return PaymentLink.create(
        invoice=invoice,
        session_id="cs_test_webhook1",
        account=ACCOUNT,
        url="https://checkout.stripe.test/c/pay/cs_test_webhook1",
        amount_cents=8500,
        currency="CAD",
        expires_at=invoice.billed_at,
    )


def completed(link: PaymentLink, event_id: str = "evt_test_1") -> dict[str, Any]:
    return {
        "id": event_id,
        "object": "event",
        "account": ACCOUNT,
        "api_version": "2025-01-27.acacia",
        "created": int(time.time()),
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": "checkout.session.completed",
        "data": {
            "object": {
                "id": link.session_id,
                "object": "checkout.session",
                "status": "complete",
                "payment_status": "paid",
                "amount_total": 8500,
                "currency": "cad",
                "payment_intent": "pi_test_webhook1",
                "metadata": {"invoice": link.invoice.number},
            }
        },
    }


def post(url: str, payload: bytes, signature: str | None) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["Stripe-Signature"] = signature
    return httpx.post(url + PATH, content=payload, headers=headers, timeout=10)


def test_a_signed_event_is_applied_once_however_often_it_comes(served: str, linked: PaymentLink) -> None:
    event = completed(linked)
    payload = json.dumps(event).encode()
    first = post(served, payload, sign(payload))
    assert first.status_code == 200 and first.json()["outcome"] == "paid"
    assert Invoice.get_by_id(linked.invoice.id).status == "paid"
    (payment,) = Payment.select()
    assert (payment.method, payment.amount_cents, payment.reference) == ("stripe", 8500, "pi_test_webhook1")
    again = post(served, payload, sign(payload))  # Stripe retries
    assert again.status_code == 200 and again.json()["outcome"] == "duplicate"
    assert apply_event(event, account=ACCOUNT).value == "duplicate"  # and the agent's pull meets it too
    assert Payment.select().count() == 1 and StripeEvent.select().count() == 1


@pytest.mark.parametrize(
    "signature",
    [
        None,
        "t=1,v1=00",
        "garbage",
        "wrong secret",
        "too old",
    ],
)
def test_an_unsigned_forged_or_stale_event_is_refused_and_changes_nothing(
    served: str, linked: PaymentLink, signature: str | None
) -> None:
    payload = json.dumps(completed(linked)).encode()
    header = {
        "wrong secret": sign(payload, secret="whsec_someone_else"),
        "too old": sign(payload, at=int(time.time()) - 301),
    }.get(signature or "", signature)
    response = post(served, payload, header)
    assert response.status_code == 400
    assert not Payment.select().exists() and not StripeEvent.select().exists()
    assert not Notification.select().exists()


def test_an_event_signed_within_the_tolerance_is_taken(served: str, linked: PaymentLink) -> None:
    payload = json.dumps(completed(linked)).encode()
    response = post(served, payload, sign(payload, at=int(time.time()) - 290))
    assert response.status_code == 200 and Payment.select().count() == 1


def test_a_tampered_body_is_refused(served: str, linked: PaymentLink) -> None:
    payload = json.dumps(completed(linked)).encode()
    signature = sign(payload)
    tampered = payload.replace(b"8500", b"1")
    assert post(served, tampered, signature).status_code == 400
    assert not Payment.select().exists()


def test_a_signed_body_that_is_not_an_event_is_refused(served: str, linked: PaymentLink) -> None:
    payload = b'{"id": "evt_x", "object": "event"}'
    assert post(served, payload, sign(payload)).status_code == 400
    assert not StripeEvent.select().exists()


def test_off_unless_configured_and_refused_without_its_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    assert stripe_webhook_routes(config(webhook=False)) == []
    monkeypatch.delenv("FACTEUR_TEST_WHSEC", raising=False)
    with pytest.raises(ConfigError, match="FACTEUR_TEST_WHSEC"):
        stripe_webhook_routes(config())

"""The portal's Stripe webhook, served by uvicorn on loopback in the real portal app: the signature
(300 s tolerance), the bound on the body, the event kept in portal.db and pulled by the agent
through the API, applied with the same deduplication as the agent's own pull."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from models.billing.invoice import Invoice, Payment
from models.billing.invoicing import LineInput, create_draft
from models.core.config import Config, StripeSettings
from models.core.errors import ConfigError
from models.links.stripe_events import StripeEvent
from models.links.tables import PaymentLink
from models.people.patient import Patient
from models.workflow.lifecycle import bill
from models.workflow.reconcile import apply_event, apply_relayed_events, relayed_after
from portal.app import create_app
from portal.stripe_webhook import MAX_BYTES, PATH, stripe_webhook_routes
from tests.conftest import Setup
from tests.portal.conftest import API_TOKEN, portal_options, serve_in_thread

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
def served(database: object, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    """The portal with its webhook route, served by uvicorn on 127.0.0.1; yields its base URL."""
    monkeypatch.setenv("FACTEUR_TEST_WHSEC", SECRET)
    app = create_app(
        portal_options(tmp_path / "portal"), sweep_seconds=None, extra_routes=stripe_webhook_routes(config())
    )
    server, thread, port = serve_in_thread(app)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def relayed(url: str, after: int = 0) -> tuple[list[dict[str, Any]], int]:
    """What the agent pulls: the events the webhook kept, through the API."""
    reply = httpx.get(
        f"{url}/api/v1/stripe-events",
        params={"after": after},
        headers={"Authorization": f"Bearer {API_TOKEN}"},
        timeout=10,
    )
    assert reply.status_code == 200
    data = reply.json()
    return [item["event"] for item in data["events"]], int(data["last"])


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


def test_a_signed_event_is_kept_then_applied_once_by_the_agent(served: str, linked: PaymentLink) -> None:
    """The portal keeps the event (it never opens the clinic's database); the agent pulls and applies it."""
    event = completed(linked)
    payload = json.dumps(event).encode()
    first = post(served, payload, sign(payload))
    assert first.status_code == 200 and first.json() == {"received": True}
    assert post(served, payload, sign(payload)).status_code == 200  # Stripe retries: kept once
    assert not Payment.select().exists()  # nothing reaches the clinic's data from the portal itself
    events, last = relayed(served)
    assert [e["id"] for e in events] == ["evt_test_1"] and last == 1
    apply_relayed_events(events, last)
    assert Invoice.get_by_id(linked.invoice.id).status == "paid"
    (payment,) = Payment.select()
    assert (payment.method, payment.amount_cents, payment.reference) == ("stripe", 8500, "pi_test_webhook1")
    assert relayed_after() == 1 and relayed(served, after=1) == ([], 1)
    assert apply_event(event, account=ACCOUNT).value == "duplicate"  # the agent's own pull meets it too
    assert Payment.select().count() == 1 and StripeEvent.select().count() == 1


def test_a_body_over_the_bound_is_refused_unread(served: str) -> None:
    payload = b"{" + b" " * (MAX_BYTES + 1) + b"}"
    assert post(served, payload, sign(payload)).status_code == 413


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
    assert relayed(served) == ([], 0)


def test_an_event_signed_within_the_tolerance_is_taken(served: str, linked: PaymentLink) -> None:
    payload = json.dumps(completed(linked)).encode()
    response = post(served, payload, sign(payload, at=int(time.time()) - 290))
    assert response.status_code == 200 and len(relayed(served)[0]) == 1


def test_a_tampered_body_is_refused(served: str, linked: PaymentLink) -> None:
    payload = json.dumps(completed(linked)).encode()
    signature = sign(payload)
    tampered = payload.replace(b"8500", b"1")
    assert post(served, tampered, signature).status_code == 400
    assert relayed(served) == ([], 0)


def test_a_signed_body_that_is_not_an_event_is_refused(served: str, linked: PaymentLink) -> None:
    payload = b'{"object": "event"}'  # signed, but no event id
    assert post(served, payload, sign(payload)).status_code == 400
    assert relayed(served) == ([], 0)


def test_off_unless_configured_and_refused_without_its_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    assert stripe_webhook_routes(config(webhook=False)) == []
    monkeypatch.delenv("FACTEUR_TEST_WHSEC", raising=False)
    with pytest.raises(ConfigError, match="FACTEUR_TEST_WHSEC"):
        stripe_webhook_routes(config())

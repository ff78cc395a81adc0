"""The fake Stripe's refunds and disputes, spoken to by the real ``stripe`` library: the Charge
a paid session leaves, refunds made in the Dashboard or through ``POST /v1/refunds`` (idempotent,
refusing more than is left as Stripe does), disputes opened and closed, and the events of each
listed by type as Facteur reads them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import stripe

from models.core.stripe_client import STRIPE_API_VERSION
from tests.stripe_fake import FakeStripe
from tests.stripe_fake.server import API_KEY, Refused

from .stripe_fixtures import ACCOUNT, fake_stripe, platform_api

__all__ = ["fake_stripe"]  # fixtures

ON_ACCOUNT: Any = {"stripe_account": ACCOUNT}


@pytest.fixture
async def client(fake_stripe: FakeStripe) -> AsyncIterator[stripe.StripeClient]:
    http = stripe.HTTPXClient()
    yield stripe.StripeClient(
        API_KEY, base_addresses={"api": fake_stripe.url}, http_client=http, max_network_retries=0
    )
    await http.close_async()


async def paid(client: stripe.StripeClient, fake: FakeStripe, *, cents: int = 8500) -> str:
    """A Checkout Session on the account, paid: its PaymentIntent id."""
    params: Any = {
        "mode": "payment",
        "line_items": [
            {
                "price_data": {
                    "currency": "cad",
                    "unit_amount": cents,
                    "product_data": {"name": "Facture 7"},
                },
                "quantity": 1,
            }
        ],
        "payment_intent_data": {"metadata": {"invoice": "F-7"}},
        "success_url": "https://portal.example/paid",
    }
    session = await client.v1.checkout.sessions.create_async(params, ON_ACCOUNT)
    fake.complete(session.id)
    intent = fake.sessions[session.id]["payment_intent"]
    assert str(intent).startswith("pi_")
    return str(intent)


async def events(fake: FakeStripe, *types: str) -> list[dict[str, Any]]:
    api = platform_api(fake.url)
    try:
        return await api.list_events(ACCOUNT, 0, types)
    finally:
        await api.close()


async def test_a_paid_session_leaves_a_charge_and_a_dashboard_refund_sends_its_events(
    fake_stripe: FakeStripe, client: stripe.StripeClient
) -> None:
    intent = await paid(client, fake_stripe)
    (charge,) = fake_stripe.charges.values()
    assert {k: v for k, v in charge.items() if k not in ("id", "created")} == {
        "object": "charge",
        "amount": 8500,
        "amount_captured": 8500,
        "amount_refunded": 0,
        "captured": True,
        "currency": "cad",
        "disputed": False,
        "livemode": False,
        "metadata": {"invoice": "F-7"},
        "paid": True,
        "payment_intent": intent,
        "refunded": False,
        "status": "succeeded",
        "_account": ACCOUNT,
    }

    refund = fake_stripe.refund(intent, 3000)
    assert refund["id"].startswith("re_") and refund["reason"] == "requested_by_customer"
    listed = await events(fake_stripe, "charge.refunded", "refund.created")
    assert [e["type"] for e in listed] == ["refund.created", "charge.refunded"]  # newest first
    created, refunded = listed
    assert created["data"]["object"] == {
        "id": refund["id"],
        "object": "refund",
        "amount": 3000,
        "charge": charge["id"],
        "created": refund["created"],
        "currency": "cad",
        "metadata": {},
        "payment_intent": intent,
        "reason": "requested_by_customer",
        "status": "succeeded",
    }
    after = refunded["data"]["object"]
    assert (after["id"], after["amount_refunded"], after["refunded"]) == (charge["id"], 3000, False)
    assert "refunds" not in after and "_account" not in after
    assert {k for k in refunded if k != "data"} == {
        "id", "object", "api_version", "account", "created", "livemode", "pending_webhooks", "request", "type"
    }  # fmt: skip
    assert (refunded["account"], refunded["api_version"]) == (ACCOUNT, STRIPE_API_VERSION)

    (session_id,) = fake_stripe.sessions
    rest = fake_stripe.refund(session_id)  # by the session too; what is left
    assert rest["amount"] == 5500 and charge["refunded"] is True
    with pytest.raises(Refused, match=f"Charge {charge['id']} has already been refunded"):
        fake_stripe.refund(intent, 1)
    fetched = await client.v1.charges.retrieve_async(charge["id"], options=ON_ACCOUNT)
    assert (fetched.amount_refunded, fetched.refunded) == (8500, True)
    both = await client.v1.refunds.list_async({"payment_intent": intent}, ON_ACCOUNT)
    assert [r.id for r in both.data] == [rest["id"], refund["id"]]


async def test_a_refund_through_the_api_is_idempotent_and_refuses_what_stripe_refuses(
    fake_stripe: FakeStripe, client: stripe.StripeClient
) -> None:
    intent = await paid(client, fake_stripe)
    params: Any = {"payment_intent": intent, "amount": 2000, "metadata": {"facteur": "R-1"}}
    options: Any = {**ON_ACCOUNT, "idempotency_key": "facteur-refund-1"}
    first = await client.v1.refunds.create_async(params, options)
    again = await client.v1.refunds.create_async(params, options)
    assert again.id == first.id and len(fake_stripe.refunds) == 1
    assert first.last_response is not None and again.last_response is not None
    assert "Idempotent-Replayed" not in first.last_response.headers
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    assert (first.amount, first.reason, first.to_dict()["metadata"]) == (2000, None, {"facteur": "R-1"})
    (refunded,) = await events(fake_stripe, "charge.refunded")
    assert refunded["request"]["idempotency_key"] == "facteur-refund-1"
    assert refunded["request"]["id"].startswith("req_")

    with pytest.raises(stripe.IdempotencyError):
        await client.v1.refunds.create_async({**params, "amount": 100}, options)
    with pytest.raises(stripe.InvalidRequestError) as over:
        await client.v1.refunds.create_async({"payment_intent": intent, "amount": 7000}, ON_ACCOUNT)
    assert over.value.http_status == 400 and over.value.param == "amount"
    assert over.value.user_message == (
        "Refund amount ($70.00) is greater than unrefunded amount on charge ($65.00)"
    )
    with pytest.raises(stripe.InvalidRequestError) as missing:
        await client.v1.refunds.create_async({"payment_intent": "pi_x"}, ON_ACCOUNT)
    assert (missing.value.http_status, missing.value.code, missing.value.param) == (
        400,
        "resource_missing",
        "payment_intent",
    )
    assert missing.value.user_message == "No such payment_intent: 'pi_x'"
    with pytest.raises(stripe.InvalidRequestError, match="Invalid reason"):
        await client.v1.refunds.create_async({"payment_intent": intent, "reason": "bored"}, ON_ACCOUNT)
    with pytest.raises(stripe.InvalidRequestError, match="No such payment_intent"):  # another account's
        await client.v1.refunds.create_async({"payment_intent": intent}, {"stripe_account": "acct_other"})
    assert len(fake_stripe.refunds) == 1


async def test_a_dispute_opened_then_lost_sends_its_two_events(
    fake_stripe: FakeStripe, client: stripe.StripeClient
) -> None:
    intent = await paid(client, fake_stripe)
    (charge,) = fake_stripe.charges.values()
    dispute = fake_stripe.dispute(intent)
    assert {k: v for k, v in dispute.items() if k not in ("id", "created")} == {
        "object": "dispute",
        "amount": 8500,
        "charge": charge["id"],
        "currency": "cad",
        "is_charge_refundable": False,
        "livemode": False,
        "metadata": {},
        "payment_intent": intent,
        "reason": "fraudulent",
        "status": "needs_response",
    }
    assert dispute["id"].startswith("dp_") and charge["disputed"] is True
    with pytest.raises(stripe.InvalidRequestError) as refused:
        await client.v1.refunds.create_async({"payment_intent": intent}, ON_ACCOUNT)
    assert refused.value.code == "charge_disputed"

    closed = fake_stripe.close_dispute(dispute["id"], "lost")
    assert closed["status"] == "lost"
    listed = await events(fake_stripe, "charge.dispute.created", "charge.dispute.closed")
    assert [(e["type"], e["data"]["object"]["status"]) for e in listed] == [
        ("charge.dispute.closed", "lost"),
        ("charge.dispute.created", "needs_response"),
    ]
    assert {e["data"]["object"]["id"] for e in listed} == {dispute["id"]}
    fetched = await client.v1.disputes.retrieve_async(dispute["id"], options=ON_ACCOUNT)
    assert fetched.status == "lost"


async def test_refunds_and_disputes_can_be_made_by_hand_over_http(
    fake_stripe: FakeStripe, client: stripe.StripeClient
) -> None:
    await paid(client, fake_stripe)
    (session_id,) = fake_stripe.sessions
    async with httpx.AsyncClient(base_url=f"{fake_stripe.url}/_fake") as http:
        refund = await http.post(f"/sessions/{session_id}/refund", data={"amount": "500"})
        over = await http.post(f"/sessions/{session_id}/refund", data={"amount": "9000"})
        dispute = await http.post(f"/sessions/{session_id}/dispute", data={"reason": "duplicate"})
        won = await http.post(f"/disputes/{dispute.json()['id']}/close", data={"outcome": "won"})
        twice = await http.post(f"/disputes/{dispute.json()['id']}/close", data={"outcome": "lost"})
    assert (refund.status_code, refund.json()["amount"]) == (200, 500)
    assert (over.status_code, over.json()["error"]["param"]) == (400, "amount")
    assert dispute.json()["reason"] == "duplicate"
    assert (won.status_code, won.json()["status"]) == (200, "won")
    assert twice.status_code == 400

"""The Stripe client itself: the API version it asks for, the road its probe takes, and the fake
refusing what Stripe refuses (so tests written against it can fail as Stripe would)."""

from __future__ import annotations

from typing import Any

import pytest
from stripe._api_version import _ApiVersion

from agent.errors import OfflineError, RejectedError
from agent.stripe.api import STRIPE_API_VERSION, StripeApi
from tests.stripe_fake import FakeStripe
from tests.stripe_fake.server import API_KEY

from .stripe_fixtures import ACCOUNT, fake_stripe

__all__ = ["fake_stripe"]  # fixtures


def test_the_api_version_is_the_one_the_locked_library_was_built_for() -> None:
    """Pinned, so a newer library never moves Facteur's requests by itself: this fails under
    ``make test-latest`` when the newest library speaks another version (read its changelog, then
    move the pin with the lock)."""
    assert _ApiVersion.CURRENT == STRIPE_API_VERSION


async def test_the_probe_takes_the_requests_road_and_any_answer_counts(fake_stripe: FakeStripe) -> None:
    wrong_key = StripeApi("rk_test_revoked", api_base=fake_stripe.url, timeout=2)
    try:
        await wrong_key.probe()  # a 401 is an answer: Stripe is reachable, the key is another matter
    finally:
        await wrong_key.close()
    (probe,) = fake_stripe.requests
    assert (probe.method, probe.path, probe.version) == ("GET", "/v1/events", STRIPE_API_VERSION)
    fake_stripe.stop()
    gone = StripeApi(API_KEY, api_base=fake_stripe.url, timeout=2)
    try:
        with pytest.raises(OfflineError):
            await gone.probe()
    finally:
        await gone.close()


def session(**changes: Any) -> dict[str, Any]:
    params: dict[str, Any] = {
        "mode": "payment",
        "line_items": [
            {
                "price_data": {"currency": "cad", "unit_amount": 8500, "product_data": {"name": "Facture 1"}},
                "quantity": 1,
            }
        ],
        "locale": "fr-CA",
        "success_url": "https://portal.example/paid",
    }
    return {**params, **changes}


@pytest.mark.parametrize(
    ("changes", "refusal"),
    [
        ({"bogus": "1"}, "Received unknown parameter: bogus"),
        ({"locale": "xx"}, "Invalid locale"),
        ({"payment_intent_data": {"desc": "x"}}, "unknown parameter: payment_intent_data[desc]"),
        (
            {
                "line_items": [
                    {
                        "price_data": {"currency": "cad", "unit_amount": 30, "product_data": {"name": "x"}},
                        "quantity": 1,
                    }
                ]
            },
            "must add up to at least $0.50 cad",
        ),
        (
            {"line_items": [{"price_data": {"currency": "cad", "unit_amount": 8500}, "quantity": 1}]},
            "Missing required param: line_items[0][price_data][product_data][name]",
        ),
    ],
)
async def test_the_fake_refuses_what_stripe_refuses(
    fake_stripe: FakeStripe, changes: dict[str, Any], refusal: str
) -> None:
    api = StripeApi(API_KEY, api_base=fake_stripe.url, timeout=2)
    try:
        with pytest.raises(RejectedError) as refused:
            await api.create_session(ACCOUNT, session(**changes), "facteur-test-key")
    finally:
        await api.close()
    assert refusal in str(refused.value.params.get("reason"))
    assert not fake_stripe.sessions

"""The Stripe client itself: the API version it asks for, the road its probe takes, and the fake
refusing what Stripe refuses (so tests written against it can fail as Stripe would)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from stripe._api_version import _ApiVersion

from agent.errors import OfflineError, RejectedError
from agent.stripe.api import NO_KEY, StripeApi
from models.core.errors import ValidationError
from models.core.stripe_client import STRIPE_API_VERSION
from models.core.stripe_keys import KeyRole, StripeKeys
from tests.stripe_fake import FakeStripe

from .stripe_fixtures import ACCOUNT, fake_stripe, platform_api

__all__ = ["fake_stripe"]  # fixtures


def test_the_api_version_is_the_one_the_locked_library_was_built_for() -> None:
    """Pinned, so a newer library never moves Facteur's requests by itself: this fails under
    ``make test-latest`` when the newest library speaks another version (read its changelog, then
    move the pin with the lock)."""
    assert _ApiVersion.CURRENT == STRIPE_API_VERSION


async def test_the_probe_takes_the_requests_road_and_any_answer_counts(fake_stripe: FakeStripe) -> None:
    wrong_key = platform_api(fake_stripe.url, "rk_test_revoked")
    try:
        await wrong_key.probe()  # a 401 is an answer: Stripe is reachable, the key is another matter
    finally:
        await wrong_key.close()
    (probe,) = fake_stripe.requests
    assert (probe.method, probe.path, probe.version) == ("GET", "/v1/events", STRIPE_API_VERSION)
    fake_stripe.stop()
    gone = platform_api(fake_stripe.url)
    try:
        with pytest.raises(OfflineError):
            await gone.probe()
    finally:
        await gone.close()


async def test_a_company_s_own_restricted_key_acts_on_its_account_alone_and_names_what_it_lacks(
    fake_stripe: FakeStripe, tmp_path: Path
) -> None:
    key = fake_stripe.mint_key(ACCOUNT, frozenset({"rak_checkout_session_write", "rak_event_read"}))
    keys = StripeKeys(tmp_path / "keys")
    path = keys.write(ACCOUNT, key)
    assert (path.stat().st_mode & 0o777, path.parent.stat().st_mode & 0o777) == (0o600, 0o700)
    assert key not in repr(keys.for_account(ACCOUNT))
    with pytest.raises(ValidationError) as secret_on_portal:  # a host patients reach holds no secret key
        StripeKeys(tmp_path / "keys", KeyRole.PORTAL).write(ACCOUNT, "sk_test_" + "a" * 24)
    assert secret_on_portal.value.field == "stripe_portal_key"
    api = StripeApi(keys, api_base=fake_stripe.url, timeout=2)
    try:
        made = await api.create_session(ACCOUNT, session(), "facteur-own-key")
        assert fake_stripe.sessions[made["id"]]["_account"] == ACCOUNT
        assert fake_stripe.requests[-1].account is None  # no Stripe-Account header: the key is the account's
        assert await api.refused_permissions(ACCOUNT) == ["Charges: read", "Refunds: write"]
        before = len(fake_stripe.requests)
        with pytest.raises(RejectedError) as no_key:
            await api.list_events("acct_1OtherClinic99", 0, ["charge.refunded"])
        assert no_key.value.message == NO_KEY and len(fake_stripe.requests) == before  # nothing was sent
        fake_stripe.revoke_key(key)
        with pytest.raises(RejectedError) as revoked:
            await api.create_session(ACCOUNT, session(), "facteur-own-key-2")
        assert revoked.value.code == "401" and "Expired API Key" in str(revoked.value.params["reason"])
    finally:
        await api.close()


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
    api = platform_api(fake_stripe.url)
    try:
        with pytest.raises(RejectedError) as refused:
            await api.create_session(ACCOUNT, session(**changes), "facteur-test-key")
    finally:
        await api.close()
    assert refusal in str(refused.value.params.get("reason"))
    assert not fake_stripe.sessions

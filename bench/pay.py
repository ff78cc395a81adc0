"""The Pay button's cost: a click on an invoice's Pay page until the browser is sent to Stripe's
page, beside the Stripe round trip it needs, measured in the same run.

A real portal (uvicorn, its own restricted key) and the fake Stripe answering after a clinic's
round trip to Stripe (``stripe_ms``). Each click is on a page whose last session is gone (a
patient coming back days after the email), so the portal makes a fresh session: one Stripe round
trip. The baseline is that same request made directly with the ``stripe`` library. The goal: a
click costs at most that round trip plus 0.3 s. A click while the session still lives (no Stripe
call at all) is reported beside it.
"""

from __future__ import annotations

import os
import secrets
import tempfile
import time
from pathlib import Path

import httpx
import stripe

from bench.common import Result, limit_row, median
from models.core.stripe_client import STRIPE_API_VERSION
from models.messaging.secure_link import token_hash
from portal.app import create_app
from portal.checkout import CheckoutOptions
from portal.services import PortalOptions
from portal.storage import close_portal_database
from tests.portal.conftest import serve_in_thread
from tests.stripe_fake import FakeStripe

ACCOUNT = "acct_1BenchClinic01"
TOKEN = secrets.token_urlsafe(32)


def _door(number: int, sign_key: str) -> dict[str, object]:
    return {
        "tag": f"{number:024x}",
        "sign_key": sign_key,
        "account": ACCOUNT,
        "currency": "CAD",
        "amount_cents": 8500,
        "status": "open",
        "number": f"CDP-2026-{number:05d}",
        "language": "fr",
        "clinic": {"name": "Clinique du Parc"},
        "version": 1,
        "session": None,
    }


def _direct(fake: FakeStripe, key: str, count: int) -> list[float]:
    """The same session request made straight to Stripe, as the baseline."""
    client = stripe.StripeClient(
        key,
        base_addresses={"api": fake.url},
        http_client=stripe.HTTPXClient(timeout=10, allow_sync_methods=True),
        max_network_retries=0,
        stripe_version=STRIPE_API_VERSION,
    )
    params = {
        "mode": "payment",
        "line_items": [
            {
                "price_data": {"currency": "cad", "unit_amount": 8500, "product_data": {"name": "Facture"}},
                "quantity": 1,
            }
        ],
        "success_url": "https://portal.example/paid",
    }
    times = []
    for _ in range(count):
        start = time.perf_counter()
        client.v1.checkout.sessions.create(params)  # type: ignore[arg-type]
        times.append(time.perf_counter() - start)
    return times


def run(clicks: int = 20, stripe_ms: float = 250.0) -> list[Result]:
    fake = FakeStripe(latency=stripe_ms / 1000).start()
    key = fake.mint_key(ACCOUNT, frozenset({"rak_checkout_session_write"}))
    os.environ[f"STRIPE_PORTAL_KEY_{ACCOUNT}"] = key
    try:
        with tempfile.TemporaryDirectory() as tmp:
            options = PortalOptions(
                data_dir=Path(tmp) / "portal",
                api_token=TOKEN,
                token_env="FACTEUR_PORTAL_TOKEN",  # noqa: S106 (a variable's name)
                secret=None,
                rate_limit=100_000,
                trust_forwarded=False,
                max_body_bytes=1 << 20,
                secure_cookies=False,
                public_url="https://portal.example",
                checkout=CheckoutOptions(keys_dir=Path(tmp) / "keys", platform_env="", api_base=fake.url),
            )
            server, thread, port = serve_in_thread(create_app(options, sweep_seconds=None))
            try:
                fresh, kept = _clicks(f"http://127.0.0.1:{port}", clicks)
            finally:
                server.should_exit = True
                thread.join(10)
                close_portal_database()
        baseline = median(_direct(fake, key, clicks))
    finally:
        fake.stop()
    return [
        Result("pay", "Stripe round trip, asked directly (median s)", baseline, "s"),
        limit_row(
            "pay",
            "Pay click to Stripe's page, fresh session: added (median s)",
            median(fresh) - baseline,
            "s",
            at_most=0.3,
            baseline=baseline,
        ),
        Result("pay", "Pay click while its session lives (median s)", median(kept), "s"),
    ]


def _clicks(url: str, count: int) -> tuple[list[float], list[float]]:
    api = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
    browser = httpx.Client(base_url=url, follow_redirects=False, timeout=10)
    fresh, kept = [], []
    with api, browser:
        for number in range(count):
            token = secrets.token_urlsafe(32)
            api.put(
                f"/api/v1/pay/{token_hash(token)}", json=_door(number, secrets.token_hex(32))
            ).raise_for_status()
            for times in (fresh, kept):  # the first click makes the session, the second is sent to it
                start = time.perf_counter()
                answer = browser.get(f"/pay/{token}")
                times.append(time.perf_counter() - start)
                assert answer.status_code == 303, answer.text
    return fresh, kept

"""The ``stripe`` client Facteur's agent and portal both speak through: Stripe's address (or a
local fake's), the pinned API version, no retries of the library's own (the outbox and the pull
decide, a patient's click waits one round trip), and each request's key given with the request
(``StripeKeys.request_options``). The library is imported when a client is made, never before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import stripe

STRIPE_API = "https://api.stripe.com"
# The API version the locked stripe library was built for: a newer library never moves Facteur's
# requests to another version by itself (tests/agent/test_stripe_api.py says when one would).
STRIPE_API_VERSION = "2026-10-28.endive"
# the client's own key, never sent with a request (each carries its account's): only the agent's
# probe goes without one, and any answer, a 401 too, proves the road
_NO_KEY = "sk_test_facteur_probe"


def new_stripe_client(
    api_base: str = "", *, timeout: float = 30.0, ca_file: str = ""
) -> tuple[stripe.StripeClient, stripe.HTTPXClient]:
    """A client of ``api_base`` (Stripe's own when empty), with its asynchronous HTTP client (the
    caller closes it); ``ca_file``: the authorities to trust instead of the library's."""
    import stripe

    if ca_file:  # the library reads its authorities' file from here when it connects
        stripe.ca_bundle_path = ca_file
    http = stripe.HTTPXClient(timeout=timeout)
    client = stripe.StripeClient(
        _NO_KEY,
        base_addresses={"api": (api_base or STRIPE_API).rstrip("/")},
        http_client=http,
        max_network_retries=0,
        stripe_version=STRIPE_API_VERSION,
    )
    return client, http

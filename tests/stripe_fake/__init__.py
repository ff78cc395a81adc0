"""A fake Stripe HTTP server on loopback, for the real ``stripe`` library (see ``server``)."""

from tests.stripe_fake.server import API_KEY, FakeStripe, Recorded

__all__ = ["API_KEY", "FakeStripe", "Recorded"]

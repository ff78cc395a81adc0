"""Run the fake by hand: ``python -m tests.stripe_fake [PORT]``; Ctrl+C stops it."""

from __future__ import annotations

import sys
import time

from tests.stripe_fake.server import API_KEY, FakeStripe

fake = FakeStripe().start(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
print(f"fake Stripe on {fake.url} (key {API_KEY}); sessions: {fake.url}/_fake/sessions", flush=True)
try:
    while True:
        time.sleep(3600)
except KeyboardInterrupt:
    fake.stop()

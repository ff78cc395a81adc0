"""Stripe: the payment-link step before an email, the pull that reconciles payments, and the
client both use (the real ``stripe`` library, async over httpx)."""

"""The Stripe parts of the agent, from ``[stripe]``: none until a key can be found
(``models.core.stripe_keys``)."""

from __future__ import annotations

from agent.delivery.build import build_portal
from agent.steps import DeliveryStep, SyncJob
from agent.stripe.api import StripeApi
from agent.stripe.link_step import PaymentLinkStep
from agent.stripe.sync import StripeSync
from models.core.config import Config
from models.core.stripe_keys import stripe_keys


def success_url(config: Config) -> str:
    """Where Checkout sends the patient once paid: ``[stripe] success_url``, else the portal's ``/paid``."""
    return config.stripe.success_url or f"{config.portal.url.rstrip('/')}/paid"


def cancel_url(config: Config) -> str:
    """Where Checkout's back arrow takes the patient: the portal's ``/pay-cancelled``, which says
    nothing was charged and the email's button still works."""
    return f"{config.portal.url.rstrip('/')}/pay-cancelled"


def stripe_parts(config: Config) -> tuple[list[DeliveryStep], list[SyncJob]]:
    """The payment-link step and the payment pull, sharing one client; nothing without a key (the
    Pay pages are kept in line on the portal with or without one: ``build_secure_syncs``)."""
    settings = config.stripe
    keys = stripe_keys(config)
    if not keys.configured():
        return [], []
    ca_file = str(config.resolve(settings.ca_file)) if settings.ca_file else ""
    api = StripeApi(keys, api_base=settings.api_base, timeout=settings.timeout, ca_file=ca_file)
    step = PaymentLinkStep(
        api,
        success_url(config),
        cancel_url(config),
        build_portal(config),
        log_language=config.clinic.language,
    )
    sync = StripeSync(api, settings.sync_seconds, log_language=config.clinic.language)
    return [step], [sync]

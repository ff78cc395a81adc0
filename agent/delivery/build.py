"""Secure delivery from the configuration: the SMS channel, the portal client, the steps and the job."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agent.channels.sms import SmsChannel
from agent.delivery.events import PortalEventsJob
from agent.delivery.pin_sms import PinSmsStep
from agent.delivery.publish import PortalPublishStep
from agent.delivery.revoke import PortalRevokeStep
from agent.pacing import Pace
from agent.pdfs import PdfProvider
from agent.steps import DeliveryStep, SyncJob
from agent.stripe.doors import PayDoorsJob  # the portal's API only: no ``stripe`` library
from locales import N_
from models.core.config import Config
from models.core.errors import ConfigError

if TYPE_CHECKING:
    from agent.channels.portal import PortalClient


def build_sms(config: Config) -> SmsChannel:
    """``[sms] backend``: the file (embedded default) or an HTTP gateway (JSON or Twilio)."""
    sms = config.sms
    if sms.backend == "file":
        from agent.channels.sms_file import FileSms

        return FileSms(config.resolve(sms.path), sms.sender)
    if not sms.url:
        raise ConfigError(N_("{key} is needed with {needs}"), key="[sms] url", needs='backend = "http"')
    if sms.mode == "twilio" and not sms.account_sid:
        raise ConfigError(
            N_("{key} is needed with {needs}"), key="[sms] account_sid", needs='mode = "twilio"'
        )
    from agent.channels.sms import HttpSms

    return HttpSms(
        sms.url,
        token=config.secret(sms.token_env),
        token_env=sms.token_env,
        sender=sms.sender,
        mode=sms.mode,
        account_sid=sms.account_sid,
        timeout=sms.timeout,
    )


def build_portal(config: Config) -> PortalClient:
    """The portal's API at ``[portal] url``, its token from ``[portal] token_env``."""
    from agent.channels.portal import PortalClient

    portal = config.portal
    return PortalClient(portal.url, config.secret(portal.token_env), token_env=portal.token_env)


def build_secure_steps(
    config: Config, pdfs: PdfProvider, *, sms: SmsChannel | None = None, sms_pace: Pace | None = None
) -> list[DeliveryStep]:
    """Publish to the portal, then text the PIN: in this order, around the email; and revoke a link
    staff closed (a task without email)."""
    channel = sms if sms is not None else build_sms(config)
    portal_pace = Pace()  # the portal's 429 slows its publications and revocations as one
    return [
        PortalPublishStep(build_portal(config), pdfs, pace=portal_pace, pay_base=config.portal.url),
        PortalRevokeStep(build_portal(config), pace=portal_pace),
        PinSmsStep(
            channel, at_once=config.agent.concurrency, pace=sms_pace or Pace(config.sms.max_per_minute)
        ),
    ]


def build_text_step(config: Config, *, sms_pace: Pace | None = None) -> DeliveryStep:
    """Text messages to patients (reminders, payment links): after the Stripe step, which makes the
    Pay page their text carries; a gateway channel of its own, paced with the PIN texts as one
    (``sms_pace``: ``[sms] max_per_minute`` is the gateway's, whatever the text says)."""
    from agent.delivery.text import SmsTextStep

    return SmsTextStep(build_sms(config), pace=sms_pace or Pace(config.sms.max_per_minute))


def build_secure_syncs(config: Config) -> list[SyncJob]:
    """The portal's events, pulled with a client of their own (each part closes what it made); and,
    through an SMS gateway, what became of the texts it took (its delivery receipts)."""
    jobs: list[SyncJob] = [PortalEventsJob(build_portal(config))]
    if config.sms.backend != "file":  # a file keeps no receipts
        from agent.sms_receipts import SmsReceiptsJob

        jobs.append(SmsReceiptsJob(build_sms(config), log_language=config.clinic.language))
    return jobs


def build_pay_pages_sync(config: Config) -> SyncJob:
    """The invoices' Pay pages kept in line on the portal, Stripe or not (every billed invoice has
    one: its PDF prints the page's QR code); the agent runs it after the pulls, so a payment they
    bring reaches the page in the same round."""
    return PayDoorsJob(build_portal(config), log_language=config.clinic.language)

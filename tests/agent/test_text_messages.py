"""Text messages to patients, end to end: staff send an invoice's payment link by text to a patient
who consented; the agent makes the Pay page (fake Stripe, real portal) and texts it through the SMS
gateway (nothing about the care, the clinic's name, the amount); the link opens Stripe's checkout.
A consent withdrawn after the text was queued stops it, alone."""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from models.billing.invoicing import LineInput, create_draft
from models.core.config import PortalSettings, SmsSettings
from models.core.enums import ConsentChannel, ConsentMethod, OutboxStatus
from models.messaging.tables import OutboxMessage, Template, Transmission
from models.people.consent import record_consent
from models.people.patient import Patient
from models.workflow.lifecycle import bill
from models.workflow.texting import send_payment_text
from testbed.sms_gateway import SmsGateway
from tests.agent.smtp_server import SmtpServer
from tests.agent.stripe_fixtures import fake_stripe, stripe_config, stripe_setup
from tests.agent.test_pay_door import drain_with, pay_portal
from tests.conftest import Setup
from tests.portal.conftest import RunningPortal, start_portal
from tests.stripe_fake import FakeStripe

__all__ = ["fake_stripe", "pay_portal", "start_portal", "stripe_setup"]  # fixtures

PAY = re.compile(r"http://127\.0\.0\.1:\d+/pay/([A-Za-z0-9_-]+)")


async def test_a_payment_link_goes_by_text_and_opens_checkout_and_a_withdrawal_stops_the_next(
    stripe_setup: Setup,
    smtp_server: SmtpServer,
    fake_stripe: FakeStripe,
    pay_portal: RunningPortal,
    sms_gateway: SmsGateway,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SMS_TOKEN", "gateway-token")
    sms = SmsSettings(
        backend="http", url=sms_gateway.url, token_env="SMS_TOKEN", sender="CliniqueDP", timeout=2
    )
    config = replace(
        stripe_config(smtp_server.port, tmp_path, fake_stripe),
        portal=PortalSettings(url=pay_portal.url),
        sms=sms,
    )
    Template.update(active=True).where(Template.system_key == "payment_sms").execute()
    patient = Patient.create(last_name="Gagnon", first_name="Léa", cell_phone="+15145551234", language="fr")
    record_consent(patient.id, ConsentChannel.SMS, True, ConsentMethod.FORM, staff=stripe_setup.provider)
    lines = [LineInput("Physiothérapie lombaire", Decimal(1), 9000, Decimal(0), "PHY-042")]
    invoice = bill(create_draft(patient=patient, billing_company=stripe_setup.company, lines=lines))

    message = send_payment_text(invoice, staff=stripe_setup.provider, key_configured=True)
    assert await drain_with(config, tmp_path)
    assert OutboxMessage.get_by_id(message.id).status == OutboxStatus.SENT
    (text,) = sms_gateway.sent
    assert text.to == "+15145551234" and smtp_server.handler.received == []  # a text, no email
    assert text.text.startswith(
        f"Clinique du Parc : pour payer en ligne la facture {invoice.number} (90,00 $)"
    )
    assert "Physio" not in text.text and "PHY" not in text.text and "Léa" not in text.text
    kinds = [(t.channel, t.status) for t in Transmission.select().where(Transmission.message == message.id)]
    assert ("sms", "sent") in kinds and ("sms", "delivered") in kinds  # and its receipt
    match = PAY.search(text.text)
    assert match is not None, text.text
    click = httpx.get(f"{pay_portal.url}/pay/{match[1]}", follow_redirects=False, timeout=5)
    assert click.status_code == 303 and click.headers["location"].startswith(fake_stripe.url)

    queued = send_payment_text(invoice, staff=stripe_setup.provider, key_configured=True)
    record_consent(patient.id, ConsentChannel.SMS, False, ConsentMethod.PHONE, staff=stripe_setup.provider)
    assert await drain_with(config, tmp_path)
    stopped = OutboxMessage.get_by_id(queued.id)
    assert stopped.status == OutboxStatus.FAILED and "Léa Gagnon a retiré son consentement" in str(
        stopped.last_error
    )
    assert len(sms_gateway.sent) == 1

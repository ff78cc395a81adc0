"""Stripe test parts: the fake on loopback, a config pointing the real library at it, a company
with a connected account, and invoices sent with a payment link."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from agent.service import build_agent
from agent.stripe.api import StripeApi
from models.billing.invoice import Invoice
from models.billing.invoicing import LineInput, create_draft
from models.core.config import Config, StripeSettings
from models.core.enums import Role
from models.core.stripe_keys import Credential, StripeKeys
from models.messaging.tables import OutboxMessage, Transmission
from models.people.clinic import Staff
from models.people.patient import Patient
from models.workflow.lifecycle import bill
from models.workflow.sending import enqueue_invoice_email
from tests.agent.conftest import agent_config
from tests.agent.test_delivery import real_pdfs
from tests.conftest import Setup
from tests.stripe_fake import API_KEY, FakeStripe

ACCOUNT = "acct_1ClinicParc01"
KEY_ENV = "FACTEUR_TEST_STRIPE_KEY"
HEALTH_WORDS = ("Physiothérapie", "entorse lombaire", "PHY-12", "Dre Julie Roy", "Tremblay")


@pytest.fixture
def fake_stripe() -> Iterator[FakeStripe]:
    fake = FakeStripe().start()
    yield fake
    fake.stop()


@pytest.fixture
def stripe_setup(setup: Setup, monkeypatch: pytest.MonkeyPatch) -> Setup:
    """The company has a connected account, the key is in the environment, and there is an admin."""
    setup.company.stripe_account_id = ACCOUNT
    setup.company.save()
    Staff.create(login="admin", display_name="Anne Admin", roles="admin,billing")
    monkeypatch.setenv(KEY_ENV, API_KEY)
    return setup


def stripe_config(port: int, tmp_path: Path, fake: FakeStripe, **agent: Any) -> Config:
    config = agent_config(port, tmp_path, **agent)
    settings = StripeSettings(
        api_key_env=KEY_ENV, api_base=fake.url, timeout=2, keys_dir=str(tmp_path / "stripe-keys")
    )
    return replace(config, stripe=settings)


@dataclass(frozen=True)
class PlatformKey(StripeKeys):
    """One Connect platform key for every account, given here rather than in the environment."""

    key: str = API_KEY

    def for_account(self, account: str) -> Credential | None:
        return Credential(self.key, connect=True)


def platform_api(url: str, key: str = API_KEY, timeout: float = 2) -> StripeApi:
    return StripeApi(PlatformKey(Path("/nonexistent"), key=key), api_base=url, timeout=timeout)


async def drain(tmp_path: Path, port: int, fake: FakeStripe, **agent: Any) -> bool:
    """One ``--once`` cycle of the agent as the CLI builds it (Stripe parts from the config)."""
    config = stripe_config(port, tmp_path, fake, **agent)
    return await build_agent(config, pdfs=real_pdfs(tmp_path)).run(once=True)


def health_invoice(setup: Setup, *, price_cents: int = 8500) -> Invoice:
    """A billed invoice whose line and provider are health details that must never reach Stripe."""
    patient = Patient.create(
        last_name="Tremblay", first_name="Marie", email="marie.tremblay@example.org", language="fr"
    )
    draft = create_draft(
        patient=patient,
        billing_company=setup.company,
        provider=setup.provider,
        lines=[LineInput("Physiothérapie — entorse lombaire", Decimal(1), price_cents, Decimal(0), "PHY-12")],
    )
    return bill(draft)


def send_with_link(setup: Setup, **kwargs: Any) -> OutboxMessage:
    invoice = health_invoice(setup)
    return enqueue_invoice_email(invoice, payment_link=True, staff=setup.provider, **kwargs)


def rows(message: OutboxMessage) -> list[tuple[str, str]]:
    query = Transmission.select().where(Transmission.message == message.id).order_by(Transmission.id)
    return [(row.channel, row.status) for row in query]


def reload(row: Any) -> Any:
    return type(row).get_by_id(row.id)


def admins() -> list[Staff]:
    return [s for s in Staff.select() if s.has_role(Role.ADMIN)]

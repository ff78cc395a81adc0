"""The Pay button through the portal: it works for the email's whole life, not the Checkout
Session's day. The agent against the fake Stripe (its Connect platform key) and a real portal
(its own restricted key, Checkout Sessions only), both on loopback."""

from __future__ import annotations

import re
from dataclasses import replace
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest

from agent.service import build_agent
from models.core.config import Config, PortalSettings
from models.database.base import utcnow
from models.links.tables import PaymentLink
from models.messaging.secure_link import token_hash
from models.messaging.tables import OutboxMessage
from portal.checkout import CheckoutOptions
from tests.agent.smtp_server import SmtpServer
from tests.agent.stripe_fixtures import (
    ACCOUNT,
    HEALTH_WORDS,
    fake_stripe,
    reload,
    send_with_link,
    stripe_config,
    stripe_setup,
)
from tests.agent.test_delivery import real_pdfs
from tests.conftest import Setup
from tests.portal.conftest import API_TOKEN, Clock, RunningPortal, StartPortal, start_portal
from tests.stripe_fake import FakeStripe

__all__ = ["fake_stripe", "start_portal", "stripe_setup"]  # fixtures

PAY = re.compile(r"http://127\.0\.0\.1:\d+/pay/([A-Za-z0-9_-]+)")


@pytest.fixture
def pay_portal(
    start_portal: StartPortal, fake_stripe: FakeStripe, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> RunningPortal:
    monkeypatch.setenv("FACTEUR_PORTAL_TOKEN", API_TOKEN)
    key = fake_stripe.mint_key(ACCOUNT, frozenset({"rak_checkout_session_write"}))
    monkeypatch.setenv(f"STRIPE_PORTAL_KEY_{ACCOUNT}", key)
    checkout = CheckoutOptions(keys_dir=tmp_path / "portal-keys", platform_env="", api_base=fake_stripe.url)
    return start_portal(clock=Clock(utcnow()), checkout=checkout, public_url="https://portal.example")


async def sent_with_a_pay_button(
    setup: Setup, smtp: SmtpServer, fake: FakeStripe, portal: RunningPortal, tmp_path: Path
) -> tuple[Config, OutboxMessage, str]:
    """An invoice emailed with its Pay button by the agent: its config, its message, the button's path."""
    config = replace(stripe_config(smtp.port, tmp_path, fake), portal=PortalSettings(url=portal.url))
    message = send_with_link(setup)
    assert await drain_with(config, tmp_path)
    return config, message, pay_path(smtp.handler.received[-1].email)


def pay_path(email: EmailMessage) -> str:
    html = email.get_body(("html",)).get_content()  # type: ignore[union-attr]
    match = PAY.search(html)
    assert match is not None, html
    return f"/pay/{match[1]}"


async def test_a_pay_button_clicked_30_hours_later_pays_the_balance_once(
    stripe_setup: Setup,
    smtp_server: SmtpServer,
    fake_stripe: FakeStripe,
    pay_portal: RunningPortal,
    tmp_path: Path,
) -> None:
    config, message, path = await sent_with_a_pay_button(
        stripe_setup, smtp_server, fake_stripe, pay_portal, tmp_path
    )
    invoice = reload(message).invoice
    browser = httpx.Client(base_url=pay_portal.url, follow_redirects=False, timeout=5)
    (first,) = PaymentLink.select()
    assert browser.get(path).headers["location"] == first.url  # the agent's session, while it lives

    fake_stripe.offset += 30 * 3600  # the next day and a half: Checkout's session is long gone
    pay_portal.clock.advance(hours=30)
    click = browser.get(path)
    assert click.status_code == 303 and click.headers["location"] != first.url
    assert browser.get(path).headers["location"] == click.headers["location"]  # a second click: the same
    fresh = next(s for s in fake_stripe.sessions.values() if s["url"] == click.headers["location"])
    assert (fresh["amount_total"], fresh["_account"], fresh["locale"]) == (
        invoice.balance_cents,
        ACCOUNT,
        "fr-CA",
    )
    assert set(fresh["metadata"]) == {"facteur_invoice", "facteur_request", "facteur_door", "facteur_sig"}
    assert fresh["success_url"].startswith("https://portal.example/paid?door=")

    door = fresh["metadata"]["facteur_door"]
    returned = f"/paid?door={door}&session_id={fresh['id']}&lang=fr"  # Checkout's return, by bank debit
    fake_stripe.complete(fresh["id"], paid=False)
    assert "Votre paiement est en cours" in browser.get(returned).text
    assert await drain_with(config, tmp_path)  # the agent tells the page a payment is on its way
    assert "Un paiement de cette facture est en cours" in browser.get(path).text  # no second charge
    fake_stripe.async_result(fresh["id"], succeeded=True)  # the debit cleared
    received = browser.get(returned).text
    assert "Votre paiement a été reçu" in received
    assert f"/paid?door={door}&amp;session_id={fresh['id']}&amp;lang=en" in received  # English says the same
    assert await drain_with(config, tmp_path)
    invoice = reload(message).invoice
    assert invoice.balance_cents == 0 and invoice.payments.count() == 1  # counted as ours: the door signed it
    assert PaymentLink.get(PaymentLink.session_id == fresh["id"]).status == "paid"
    paid = browser.get(path)  # the agent told the page
    assert paid.status_code == 200 and f"La facture {invoice.number} est payée" in paid.text
    assert await drain_with(config, tmp_path)  # the receipt the payment queued
    receipt = smtp_server.handler.received[-1].email
    text = receipt.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Nous avons reçu votre paiement de 85,00\xa0$" in text and "/pay/" not in text
    assert not any(word in receipt.as_string() for word in HEALTH_WORDS[:4])  # the name is the greeting's

    fake_stripe.refund(fresh["id"], 2000)  # 20 $ given back in Stripe's dashboard: 20 $ due again
    assert await drain_with(config, tmp_path)
    assert reload(message).invoice.balance_cents == 2000
    again = browser.get(path)  # the paid session is behind the page's newer balance: a fresh one
    reopened = next(s for s in fake_stripe.sessions.values() if s["url"] == again.headers["location"])
    assert reopened["amount_total"] == 2000 and reopened["id"] != fresh["id"]


async def test_a_forged_session_and_a_forged_door_change_count_for_nothing(
    stripe_setup: Setup,
    smtp_server: SmtpServer,
    fake_stripe: FakeStripe,
    pay_portal: RunningPortal,
    tmp_path: Path,
) -> None:
    config, message, path = await sent_with_a_pay_button(
        stripe_setup, smtp_server, fake_stripe, pay_portal, tmp_path
    )
    invoice = reload(message).invoice
    (first,) = PaymentLink.select()
    door = fake_stripe.sessions[first.session_id]["success_url"].split("door=")[1].split("&")[0]
    # someone selling on the clinic's account names the door without its key: not Facteur's session
    forged = dict(fake_stripe.sessions[first.session_id]["metadata"])
    forged.update(facteur_door=door, facteur_request="x", facteur_sig="0" * 40)
    session = fake_stripe._new_session(
        {**_params(fake_stripe, first.session_id), "metadata": forged}, ACCOUNT
    )[1]
    fake_stripe.complete(session["id"])
    assert await drain_with(config, tmp_path)
    assert reload(message).invoice.balance_cents == invoice.balance_cents
    # the API token alone cannot move the Pay page to other terms
    api = httpx.Client(base_url=pay_portal.url, headers={"Authorization": f"Bearer {API_TOKEN}"})
    body = {
        "tag": door,
        "sign_key": "ab" * 32,
        "account": ACCOUNT,
        "currency": "CAD",
        "amount_cents": 100,
        "status": "open",
        "number": "X",
        "language": "fr",
        "clinic": {"name": "X"},
        "version": 99,
        "session": None,
    }
    refused = api.put(f"/api/v1/pay/{token_hash(path.rsplit('/', 1)[1])}", json=body)
    assert refused.status_code == 403 and refused.json()["code"] == "door_key_mismatch"
    assert api.put("/api/v1/pay/" + "0" * 64, json={**body, "status": "later"}).status_code == 400


def _params(fake: FakeStripe, session_id: str) -> dict[str, object]:
    stored = fake.sessions[session_id]
    return {
        "mode": "payment",
        "line_items": stored["_line_items"],
        "success_url": stored["success_url"],
    }


async def drain_with(config: Config, tmp_path: Path) -> bool:
    return await build_agent(config, pdfs=real_pdfs(tmp_path)).run(once=True)

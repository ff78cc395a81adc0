"""Payment links through the real ``stripe`` library against the fake Stripe on loopback:
the session asked, its key, its expiry, what it never carries, failures, link tasks."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from pathlib import Path

import pytest

from models.core.enums import LinkAction, OutboxStatus, PaymentLinkStatus
from models.core.stripe_client import STRIPE_API_VERSION
from models.database.base import utcnow
from models.links import link_sessions, payment_links
from models.links.link_sessions import CLOCK_MARGIN, RequestPlan, link_expiry, request_key
from models.links.payment_links import queue_link_task
from models.links.tables import PaymentLink
from models.messaging.agent_state import agent_summary
from models.messaging.tables import Notification, OutboxMessage, Transmission
from tests.agent.smtp_server import SmtpServer
from tests.agent.stripe_fixtures import (
    ACCOUNT,
    HEALTH_WORDS,
    admins,
    drain,
    fake_stripe,
    reload,
    rows,
    send_with_link,
    stripe_setup,
)
from tests.conftest import Setup
from tests.stripe_fake import FakeStripe

__all__ = ["fake_stripe", "stripe_setup"]  # fixtures


async def test_the_email_carries_a_pay_button_for_a_24_hour_session_of_the_whole_balance(
    stripe_setup: Setup, smtp_server: SmtpServer, fake_stripe: FakeStripe, tmp_path: Path
) -> None:
    message = send_with_link(stripe_setup)
    assert await drain(tmp_path, smtp_server.port, fake_stripe) is True
    (post,) = fake_stripe.posts()
    invoice = reload(message).invoice
    assert post.account == ACCOUNT  # on the company's connected account
    assert post.idempotency_key == request_key(reload(message), 1)
    assert post.params["mode"] == "payment" and post.params["locale"] == "fr-CA"
    # the number and the request's own key, nothing else; the charge shows the number too
    assert post.params["metadata"] == {
        "facteur_invoice": invoice.number,
        "facteur_request": post.idempotency_key,
    }
    assert post.params["payment_intent_data"] == {
        "description": f"Facture {invoice.number}",
        "metadata": {"facteur_invoice": invoice.number},
    }
    assert post.params["cancel_url"].endswith("/pay-cancelled?lang=fr")
    (item,) = post.params["line_items"]
    assert item["quantity"] == "1"
    assert item["price_data"] == {
        "currency": "cad",
        "unit_amount": "8500",
        "product_data": {"name": f"Facture {invoice.number}"},
    }
    lifetime = int(post.params["expires_at"]) - post.at
    assert timedelta(hours=23, minutes=50).total_seconds() <= lifetime <= timedelta(hours=24).total_seconds()

    (session,) = fake_stripe.sessions.values()
    (link,) = PaymentLink.select()
    assert (link.session_id, link.account, link.amount_cents, link.currency, link.status) == (
        session["id"],
        ACCOUNT,
        8500,
        "CAD",
        "open",
    )
    assert link.url == session["url"] and int(link.expires_at.timestamp()) == session["expires_at"]
    assert rows(message) == [("stripe", "created"), ("email", "sent")]
    created = Transmission.get(Transmission.channel == "stripe")
    assert created.provider_id == session["id"]
    assert reload(message).stripe_request is None  # the plan goes once the link is recorded

    (received,) = smtp_server.handler.received
    text = received.email.get_body(("plain",)).get_content()
    html = received.email.get_body(("html",)).get_content()
    assert f"Payer la facture\r\n{session['url']}\r\nCe lien de paiement est valide jusqu’au" in text
    assert f'href="{session["url"]}"' in html and "Payer la facture" in html


async def test_nothing_sent_to_stripe_holds_a_health_detail(
    stripe_setup: Setup, smtp_server: SmtpServer, fake_stripe: FakeStripe, tmp_path: Path
) -> None:
    send_with_link(stripe_setup)
    await drain(tmp_path, smtp_server.port, fake_stripe)
    assert fake_stripe.requests
    for request in fake_stripe.requests:
        sent = request.body + request.path + json.dumps(request.params, ensure_ascii=False)
        for word in HEALTH_WORDS:
            assert word not in sent, (word, request.path)
    for session in fake_stripe.sessions.values():
        for word in HEALTH_WORDS:
            assert word not in json.dumps(session, ensure_ascii=False)


@pytest.mark.parametrize("aged_hours", [0, 12, 23.3, 23.95, 30])
def test_the_expiry_is_always_within_stripe_s_30_minutes_to_24_hours(aged_hours: float) -> None:
    now = utcnow()
    lifetime = link_expiry(now - timedelta(hours=aged_hours)) - now
    fresh = link_expiry(now) - now
    assert timedelta(minutes=30) <= fresh <= timedelta(hours=24)
    assert fresh >= timedelta(hours=24) - CLOCK_MARGIN - timedelta(seconds=1)
    plan = RequestPlan("k", 1, {"expires_at": int((now + lifetime).timestamp()), "line_items": []})
    # a stored plan is replayed only while Stripe would still accept its expiry
    assert link_sessions.plan_still_usable(plan, now) == (lifetime >= timedelta(minutes=35))


@pytest.mark.parametrize("aged_hours", [3, 23.95, 30])
async def test_a_retry_replays_a_stored_request_only_while_its_expiry_is_acceptable(
    stripe_setup: Setup, smtp_server: SmtpServer, fake_stripe: FakeStripe, tmp_path: Path, aged_hours: float
) -> None:
    """A plan stored before a crash that never reached Stripe: replayed as is while valid, else
    replaced by a new request (next key); either way Stripe (the fake checks) takes it."""
    message = send_with_link(stripe_setup)
    first = utcnow() - timedelta(hours=aged_hours)
    job = link_sessions.link_job(message.id)
    from agent.stripe.link_step import PaymentLinkStep

    step = PaymentLinkStep(None, "http://127.0.0.1/paid", "http://127.0.0.1/pay-cancelled")  # type: ignore[arg-type]
    params = step.params(job, first, request_key(message, 1))
    plan = RequestPlan(request_key(message, 1), 1, params)
    OutboxMessage.update(stripe_request=plan.to_json()).where(OutboxMessage.id == message.id).execute()
    await drain(tmp_path, smtp_server.port, fake_stripe)
    assert reload(message).status == OutboxStatus.SENT
    (post,) = fake_stripe.posts()
    left = int(post.params["expires_at"]) - post.at
    assert 30 * 60 <= left <= 24 * 3600
    replayed = aged_hours == 3
    assert (post.idempotency_key == plan.key) is replayed
    assert (int(post.params["expires_at"]) == params["expires_at"]) is replayed


async def test_a_crash_after_the_post_and_before_the_commit_retries_with_the_same_key(
    stripe_setup: Setup,
    smtp_server: SmtpServer,
    fake_stripe: FakeStripe,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    message = send_with_link(stripe_setup)
    real_record = link_sessions.record_link

    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("power cut")  # the session exists on Stripe; nothing was committed here

    monkeypatch.setattr(link_sessions, "record_link", crash)
    await drain(tmp_path, smtp_server.port, fake_stripe)
    stuck = reload(message)
    assert stuck.status == OutboxStatus.SENDING and not PaymentLink.select().exists()
    assert len(fake_stripe.sessions) == 1 and not smtp_server.handler.received

    monkeypatch.setattr(link_sessions, "record_link", real_record)
    OutboxMessage.update(lease_expires_at=utcnow() - timedelta(seconds=1)).where(
        OutboxMessage.id == message.id
    ).execute()  # the dead agent's lease runs out
    await drain(tmp_path, smtp_server.port, fake_stripe)
    first, second = fake_stripe.posts()
    assert first.idempotency_key == second.idempotency_key and first.body == second.body
    assert len(fake_stripe.sessions) == 1  # Stripe answered the retry with the same session
    (link,) = PaymentLink.select()
    assert link.session_id == next(iter(fake_stripe.sessions))
    assert reload(message).status == OutboxStatus.SENT
    assert rows(message) == [("email", "unknown"), ("stripe", "created"), ("email", "sent")]
    assert len(smtp_server.handler.received) == 1


@pytest.mark.parametrize(
    ("failure", "status", "code"),
    [
        ("409", "deferred", "409"),
        ("429", "deferred", "429"),
        ("500", "deferred", "500"),
        ("reset", "unknown", None),
    ],
)
async def test_transient_stripe_errors_retry_with_the_same_key(
    stripe_setup: Setup,
    smtp_server: SmtpServer,
    fake_stripe: FakeStripe,
    tmp_path: Path,
    failure: str,
    status: str,
    code: str | None,
) -> None:
    message = send_with_link(stripe_setup)
    fake_stripe.fail_next(failure, path="/v1/checkout/sessions")
    # a backoff longer than the run: --once does not come back to it before it ends
    await drain(tmp_path, smtp_server.port, fake_stripe, retry_base_seconds=60, retry_cap_seconds=60)
    waiting = reload(message)
    assert waiting.status == OutboxStatus.PENDING and waiting.attempts == 1
    (row,) = Transmission.select().where(Transmission.message == message.id)
    assert (row.channel, row.status, row.reply_code) == ("stripe", status, code)
    assert not smtp_server.handler.received
    OutboxMessage.update(next_attempt_at=utcnow()).where(OutboxMessage.id == message.id).execute()
    await drain(tmp_path, smtp_server.port, fake_stripe)
    assert reload(message).status == OutboxStatus.SENT
    keys = {post.idempotency_key for post in fake_stripe.posts()}
    assert len(keys) == 1 and len(fake_stripe.sessions) == 1


@pytest.mark.parametrize("made", [False, True])
async def test_a_500_stripe_saved_for_the_key_costs_one_wait_not_a_day(
    stripe_setup: Setup, smtp_server: SmtpServer, fake_stripe: FakeStripe, tmp_path: Path, made: bool
) -> None:
    """Stripe saves a 500 for a key once it began executing and replays it for 24 hours: the retry
    sees the replay, adopts the session the request made after all, or asks anew with the next key."""
    message = send_with_link(stripe_setup)
    fake_stripe.fail_next("saved-500-after" if made else "saved-500", path="/v1/checkout/sessions")
    await drain(tmp_path, smtp_server.port, fake_stripe, retry_base_seconds=60, retry_cap_seconds=60)
    assert reload(message).status == OutboxStatus.PENDING  # the first 500: the normal wait
    OutboxMessage.update(next_attempt_at=utcnow()).where(OutboxMessage.id == message.id).execute()
    await drain(tmp_path, smtp_server.port, fake_stripe)
    assert reload(message).status == OutboxStatus.SENT
    keys = [post.idempotency_key for post in fake_stripe.posts()]
    assert keys[0] == keys[1] and len(set(keys)) == (1 if made else 2)
    assert len(fake_stripe.sessions) == 1 and PaymentLink.select().count() == 1
    (link,) = PaymentLink.select()
    assert link.session_id == next(iter(fake_stripe.sessions))
    assert all(post.version == STRIPE_API_VERSION for post in fake_stripe.posts())


async def test_a_reset_after_stripe_made_the_session_is_unknown_and_the_retry_gets_that_session(
    stripe_setup: Setup, smtp_server: SmtpServer, fake_stripe: FakeStripe, tmp_path: Path
) -> None:
    message = send_with_link(stripe_setup)
    fake_stripe.fail_next("reset-after", path="/v1/checkout/sessions")
    # the retry waits a minute: a run slowed down by a loaded machine must not reach it
    await drain(tmp_path, smtp_server.port, fake_stripe, retry_base_seconds=60, retry_cap_seconds=60)
    assert rows(message) == [("stripe", "unknown")] and len(fake_stripe.sessions) == 1
    OutboxMessage.update(next_attempt_at=utcnow()).where(OutboxMessage.id == message.id).execute()
    await drain(tmp_path, smtp_server.port, fake_stripe)
    assert len(fake_stripe.sessions) == 1 and PaymentLink.select().count() == 1
    assert reload(message).status == OutboxStatus.SENT


async def test_a_stripe_refusal_costs_the_button_never_the_email(
    stripe_setup: Setup, smtp_server: SmtpServer, fake_stripe: FakeStripe, tmp_path: Path
) -> None:
    """Stripe refuses (a revoked key, an account that may not charge…): the email goes without its
    Pay button, the refusal is a failed stripe transmission, and the admins hear of it once, not
    once per message."""
    first, second = send_with_link(stripe_setup), send_with_link(stripe_setup)
    fake_stripe.fail_next("400", path="/v1/checkout/sessions", times=2)
    await drain(tmp_path, smtp_server.port, fake_stripe)
    for message in (first, second):
        sent = reload(message)
        assert sent.status == OutboxStatus.SENT and not sent.payment_link
        assert rows(message) == [("stripe", "failed"), ("email", "sent")]
        refused = Transmission.get((Transmission.message == message.id) & (Transmission.channel == "stripe"))
        assert (refused.reply_code, refused.detail) == ("400", "Invalid request.")
    assert len(smtp_server.handler.received) == 2
    for received in smtp_server.handler.received:
        text = received.email.get_body(("plain",)).get_content()
        assert "Payer la facture" not in text and "checkout" not in text
    notices = Notification.select().where(Notification.kind == "payment_trouble")
    assert sorted(n.__data__["staff"] for n in notices) == sorted(a.id for a in admins())
    assert all("Invalid request." in n.params for n in notices)
    assert agent_summary().payments_refused  # the status bar says so until a link is made again
    send_with_link(stripe_setup)
    await drain(tmp_path, smtp_server.port, fake_stripe)
    assert not agent_summary().payments_refused


async def test_a_balance_under_stripe_s_minimum_gets_no_button(
    stripe_setup: Setup, smtp_server: SmtpServer, fake_stripe: FakeStripe, tmp_path: Path
) -> None:
    from models.links.payment_links import LinkRefused
    from models.workflow.lifecycle import record_payment

    message = send_with_link(stripe_setup)
    invoice = reload(message).invoice
    record_payment(invoice, invoice.balance_cents - 30, "cash")  # 0,30 $ left: Stripe takes 0,50 $
    with pytest.raises(LinkRefused, match="under the"):  # refused at send, with the reason
        payment_links.check_link_offered(reload(invoice))
    await drain(tmp_path, smtp_server.port, fake_stripe)
    assert reload(message).status == OutboxStatus.SENT and not fake_stripe.posts()
    refused = Transmission.get((Transmission.message == message.id) & (Transmission.channel == "stripe"))
    assert "0,30" in refused.detail and "0,50" in refused.detail
    assert not Notification.select().where(Notification.kind == "payment_trouble").exists()


async def test_an_unreachable_stripe_takes_the_agent_offline_without_spending_an_attempt(
    stripe_setup: Setup, smtp_server: SmtpServer, fake_stripe: FakeStripe, tmp_path: Path
) -> None:
    message = send_with_link(stripe_setup)
    fake_stripe.stop()
    assert await drain(tmp_path, smtp_server.port, fake_stripe) is False
    released = reload(message)
    assert released.status == OutboxStatus.PENDING and released.attempts == 0
    # the agent's reason, in the clinic's language (French by default)
    assert "impossible de joindre Stripe" in (released.last_error or "")
    assert not smtp_server.handler.received


async def test_a_company_without_an_account_is_refused_when_queued_and_failed_when_removed_later(
    stripe_setup: Setup, smtp_server: SmtpServer, fake_stripe: FakeStripe, tmp_path: Path
) -> None:
    from models.links.payment_links import LinkRefused

    message = send_with_link(stripe_setup)
    stripe_setup.company.stripe_account_id = None
    stripe_setup.company.save()
    with pytest.raises(LinkRefused, match="no Stripe account"):
        send_with_link(stripe_setup)
    await drain(tmp_path, smtp_server.port, fake_stripe)
    assert reload(message).status == OutboxStatus.SENT and len(smtp_server.handler.received) == 1
    refused = Transmission.get((Transmission.message == message.id) & (Transmission.channel == "stripe"))
    assert "pas de compte Stripe" in refused.detail  # in the clinic's language
    assert not fake_stripe.requests


async def test_a_new_link_expires_the_open_one_first_and_sends_no_email(
    stripe_setup: Setup, smtp_server: SmtpServer, fake_stripe: FakeStripe, tmp_path: Path
) -> None:
    message = send_with_link(stripe_setup)
    await drain(tmp_path, smtp_server.port, fake_stripe)
    (old,) = PaymentLink.select()
    task = queue_link_task(old.invoice.id, LinkAction.CREATE, staff=stripe_setup.provider)
    assert queue_link_task(old.invoice.id, LinkAction.CREATE) == task  # pressed twice: one task
    await drain(tmp_path, smtp_server.port, fake_stripe)
    assert reload(task).status == OutboxStatus.SENT and len(smtp_server.handler.received) == 1
    assert fake_stripe.sessions[old.session_id]["status"] == "expired"
    assert reload(old).status == PaymentLinkStatus.EXPIRED
    new = PaymentLink.get(PaymentLink.status == PaymentLinkStatus.OPEN)
    assert new.session_id != old.session_id and fake_stripe.sessions[new.session_id]["status"] == "open"
    assert rows(task) == [("stripe", "expired"), ("stripe", "created")]
    assert rows(message) == [("stripe", "created"), ("email", "sent")]
    (expire,) = fake_stripe.posts(f"/v1/checkout/sessions/{old.session_id}/expire")
    assert expire.account == ACCOUNT


async def test_removing_the_link_expires_it_on_stripe(
    stripe_setup: Setup, smtp_server: SmtpServer, fake_stripe: FakeStripe, tmp_path: Path
) -> None:
    send_with_link(stripe_setup)
    await drain(tmp_path, smtp_server.port, fake_stripe)
    (link,) = PaymentLink.select()
    task = queue_link_task(link.invoice.id, LinkAction.REMOVE)
    await drain(tmp_path, smtp_server.port, fake_stripe)
    assert reload(link).status == PaymentLinkStatus.REMOVED
    assert fake_stripe.sessions[link.session_id]["status"] == "expired"
    assert rows(task) == [("stripe", "expired")] and reload(task).status == OutboxStatus.SENT
    from models.links.payment_links import LinkRefused

    with pytest.raises(LinkRefused, match="no open payment link"):
        queue_link_task(link.invoice.id, LinkAction.REMOVE)


async def test_a_link_already_paid_on_stripe_is_not_replaced(
    stripe_setup: Setup, smtp_server: SmtpServer, fake_stripe: FakeStripe, tmp_path: Path
) -> None:
    """Staff ask for a new link while the patient is paying the old one: nothing new is offered,
    and the payment is recorded by the pull in the same cycle."""
    send_with_link(stripe_setup)
    await drain(tmp_path, smtp_server.port, fake_stripe)
    (old,) = PaymentLink.select()
    task = queue_link_task(old.invoice.id, LinkAction.CREATE)
    fake_stripe.complete(old.session_id)
    await drain(tmp_path, smtp_server.port, fake_stripe)
    assert reload(task).status == OutboxStatus.SENT
    assert len(fake_stripe.sessions) == 1 and PaymentLink.select().count() == 1
    assert reload(old).status == PaymentLinkStatus.PAID and reload(old).invoice.status == "paid"


async def test_the_agent_closes_the_link_of_an_invoice_paid_otherwise(
    stripe_setup: Setup, smtp_server: SmtpServer, fake_stripe: FakeStripe, tmp_path: Path
) -> None:
    from models.workflow.lifecycle import record_payment

    send_with_link(stripe_setup)
    await drain(tmp_path, smtp_server.port, fake_stripe)
    (link,) = PaymentLink.select()
    record_payment(link.invoice, 2000, "cash")  # the balance changed: the link asks too much now
    await drain(tmp_path, smtp_server.port, fake_stripe)
    assert reload(link).status == PaymentLinkStatus.EXPIRED
    assert fake_stripe.sessions[link.session_id]["status"] == "expired"
    closed = Transmission.get((Transmission.channel == "stripe") & (Transmission.status == "expired"))
    assert closed.provider_id == link.session_id and closed.detail == "invoice changed"


def test_the_heartbeat_tells_the_tui_a_key_is_configured(stripe_setup: Setup, tmp_path: Path) -> None:
    from dataclasses import replace

    from models.core.config import Config, StripeSettings
    from models.messaging.agent_state import beat

    no_key = replace(
        Config(),
        stripe=StripeSettings(api_key_env="FACTEUR_NO_SUCH_VARIABLE", keys_dir=str(tmp_path / "none")),
    )
    assert not payment_links.stripe_key_configured(no_key)
    beat("host:1", "host", 1, online=True, channels="email,stripe")
    assert payment_links.stripe_key_configured(no_key)
    time.sleep(0.01)
    beat("host:2", "host", 2, online=True, channels="email")
    assert not payment_links.stripe_key_configured(no_key)  # the agent seen last has none


async def test_sending_a_failed_link_task_again_asks_for_the_link_again(
    stripe_setup: Setup, smtp_server: SmtpServer, fake_stripe: FakeStripe, tmp_path: Path
) -> None:
    from models.workflow.sending import resend

    message = send_with_link(stripe_setup)
    invoice_id = reload(message).invoice.id
    task = queue_link_task(invoice_id, LinkAction.CREATE)
    OutboxMessage.update(status=OutboxStatus.SENT.value).where(OutboxMessage.id == message.id).execute()
    fake_stripe.fail_next("400", path="/v1/checkout/sessions")
    await drain(tmp_path, smtp_server.port, fake_stripe)
    assert reload(task).status == OutboxStatus.FAILED
    (notice,) = Notification.select().where(Notification.kind == "delivery_failed")
    assert notice.message == "The payment link of invoice {invoice} could not be made: {reason}"
    again = resend(reload(task))
    assert (again.link_action, again.payment_link, again.recipient_email) == ("create", True, None)
    await drain(tmp_path, smtp_server.port, fake_stripe)
    assert reload(again).status == OutboxStatus.SENT and not smtp_server.handler.received
    assert PaymentLink.get().status == PaymentLinkStatus.OPEN

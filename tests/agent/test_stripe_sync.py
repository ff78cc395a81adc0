"""Reconciliation without webhooks: what the agent pulls from the fake Stripe while online, and
how it is applied (once), through the real ``stripe`` library."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from agent.stripe.sync import StripeSync
from models.billing.invoice import Payment
from models.core.enums import OutboxStatus, PaymentLinkStatus, ScheduleStatus
from models.database.base import utcnow
from models.links.stripe_events import StripeEvent
from models.links.sync_cursor import read_cursor, write_cursor
from models.links.tables import PaymentLink
from models.messaging.tables import Notification, OutboxMessage, ScheduledMessage, Template, Transmission
from models.workflow.lifecycle import record_payment
from models.workflow.reconcile import Outcome, apply_event
from tests.agent.smtp_server import SmtpServer
from tests.agent.stripe_fixtures import (
    ACCOUNT,
    admins,
    drain,
    fake_stripe,
    platform_api,
    reload,
    send_with_link,
    stripe_setup,
)
from tests.conftest import Setup
from tests.stripe_fake import FakeStripe

__all__ = ["fake_stripe", "stripe_setup"]  # fixtures


async def linked(setup: Setup, smtp: SmtpServer, fake: FakeStripe, tmp_path: Path) -> PaymentLink:
    """An invoice emailed with its payment link, the link recorded."""
    send_with_link(setup)
    await drain(tmp_path, smtp.port, fake)
    return PaymentLink.get()


def reminders_for(link: PaymentLink) -> tuple[ScheduledMessage, OutboxMessage]:
    template = Template.create(kind="reminder", name="Rappel", delay_value=7)
    scheduled = ScheduledMessage.create(
        invoice=link.invoice, template=template, due_at=utcnow() + timedelta(days=7)
    )
    queued = OutboxMessage.create(
        kind="reminder",
        invoice=link.invoice,
        recipient_email="marie.tremblay@example.org",
        language="fr",
        next_attempt_at=utcnow() + timedelta(days=1),  # not due yet: still pending after the cycle
    )
    return scheduled, queued


async def test_a_completed_payment_is_recorded_after_one_cycle_with_everything_it_implies(
    stripe_setup: Setup, smtp_server: SmtpServer, fake_stripe: FakeStripe, tmp_path: Path
) -> None:
    link = await linked(stripe_setup, smtp_server, fake_stripe, tmp_path)
    scheduled, queued = reminders_for(link)
    event = fake_stripe.complete(link.session_id)
    assert await drain(tmp_path, smtp_server.port, fake_stripe) is True

    (payment,) = Payment.select()
    session = fake_stripe.sessions[link.session_id]
    assert (payment.method, payment.amount_cents, payment.reference) == (
        "stripe",
        8500,
        session["payment_intent"],
    )
    invoice = reload(link.invoice)
    assert (invoice.status, invoice.balance_cents) == ("paid", 0)
    assert reload(link).status == PaymentLinkStatus.PAID
    assert reload(scheduled).status == ScheduleStatus.CANCELLED and reload(scheduled).reason
    assert reload(queued).status == OutboxStatus.CANCELLED
    notified = {n.staff.login: n for n in Notification.select()}
    assert set(notified) == {"dr.roy", "admin"}  # the provider (with billing) and the admin
    params = json.loads(notified["admin"].params)
    assert params == {
        "invoice": invoice.number,
        "amount_cents": 8500,
        "currency": "CAD",
        "reference": session["payment_intent"],
    }
    assert read_cursor(f"stripe:{ACCOUNT}") == str(event["created"])
    (listing,) = [r for r in fake_stripe.requests if r.path == "/v1/events"][-1:]
    assert listing.account == ACCOUNT
    assert set(listing.params["types"]) >= {
        "checkout.session.completed",
        "checkout.session.async_payment_succeeded",
    }


async def test_an_event_seen_three_times_is_applied_once(
    stripe_setup: Setup, smtp_server: SmtpServer, fake_stripe: FakeStripe, tmp_path: Path
) -> None:
    link = await linked(stripe_setup, smtp_server, fake_stripe, tmp_path)
    event = fake_stripe.complete(link.session_id)
    await drain(tmp_path, smtp_server.port, fake_stripe)  # first: the pull
    write_cursor(f"stripe:{ACCOUNT}", "")  # second: the cursor lost, the same 30 days read again
    await drain(tmp_path, smtp_server.port, fake_stripe)
    assert apply_event(event) is Outcome.DUPLICATE  # third: the webhook brings it too
    assert Payment.select().count() == 1
    assert Notification.select().count() == 2  # provider and admin, once each
    assert StripeEvent.select().count() == 1 and StripeEvent.get().account == ACCOUNT


async def test_a_refund_and_a_lost_dispute_made_in_stripe_reach_the_invoice(
    stripe_setup: Setup, smtp_server: SmtpServer, fake_stripe: FakeStripe, tmp_path: Path
) -> None:
    """Money that moves back in Stripe's dashboard moves the invoice, through the same pull."""
    from models.billing.reversals import PaymentDispute, PaymentReversal

    link = await linked(stripe_setup, smtp_server, fake_stripe, tmp_path)
    fake_stripe.complete(link.session_id)
    await drain(tmp_path, smtp_server.port, fake_stripe)
    fake_stripe.refund(link.session_id, 3000)  # a partial refund, made in Stripe
    dispute = fake_stripe.dispute(link.session_id)
    await drain(tmp_path, smtp_server.port, fake_stripe)
    invoice = reload(link.invoice)
    assert (invoice.status, invoice.balance_cents) == ("billed", 3000)
    assert PaymentDispute.get().status == "open"
    fake_stripe.close_dispute(dispute["id"], "lost")
    await drain(tmp_path, smtp_server.port, fake_stripe)
    assert [(r.kind, r.amount_cents) for r in PaymentReversal.select().order_by(PaymentReversal.id)] == [
        ("refund", 3000),
        ("dispute_lost", 5500),
    ]
    assert reload(link.invoice).balance_cents == 8500 and PaymentDispute.get().status == "lost"
    kinds = {n.kind for n in Notification.select()}
    assert {"payment_refunded", "payment_disputed"} <= kinds


async def test_a_refund_asked_in_facteur_is_made_once_and_reopens_the_balance(
    stripe_setup: Setup, smtp_server: SmtpServer, fake_stripe: FakeStripe, tmp_path: Path
) -> None:
    from models.billing.reversals import PaymentReversal, request_refund

    link = await linked(stripe_setup, smtp_server, fake_stripe, tmp_path)
    fake_stripe.complete(link.session_id)
    await drain(tmp_path, smtp_server.port, fake_stripe)
    payment = Payment.get()
    refused = request_refund(payment.id, 1000, None, staff=stripe_setup.provider)
    asked = request_refund(payment.id, 3000, "overcharged", staff=stripe_setup.provider)
    fake_stripe.fail_next("400", path="/v1/refunds")  # Stripe refuses the first it is asked
    await drain(tmp_path, smtp_server.port, fake_stripe)
    await drain(tmp_path, smtp_server.port, fake_stripe)  # a second cycle makes nothing twice
    assert reload(refused).status == "failed" and "Invalid request." in reload(refused).error
    done = reload(asked)
    assert done.status == "done" and list(fake_stripe.refunds) == [done.refund_id]
    made = [r for r in fake_stripe.requests if r.path == "/v1/refunds" and r.method == "POST"]
    assert [r.idempotency_key for r in made] == [refused.idempotency_key, asked.idempotency_key]
    (back,) = PaymentReversal.select()  # moved by Stripe's charge.refunded, once
    assert (back.kind, back.amount_cents) == ("refund", 3000)
    assert reload(link.invoice).balance_cents == 3000 and reload(link.invoice).status == "billed"
    told = Notification.get(Notification.kind == "refund_failed")
    assert told.__data__["staff"] == stripe_setup.provider.id


async def test_a_delayed_method_waits_then_counts_when_it_succeeds(
    stripe_setup: Setup, smtp_server: SmtpServer, fake_stripe: FakeStripe, tmp_path: Path
) -> None:
    link = await linked(stripe_setup, smtp_server, fake_stripe, tmp_path)
    fake_stripe.complete(link.session_id, paid=False)  # a bank debit: complete, not paid
    await drain(tmp_path, smtp_server.port, fake_stripe)
    waiting = reload(link)
    assert not Payment.select().exists() and waiting.invoice.status == "billed"
    assert waiting.status == PaymentLinkStatus.OPEN and waiting.completed_at is not None
    assert not Notification.select().exists()
    record_payment(waiting.invoice, 100, "cash")  # a changed balance does not expire a completed session
    await drain(tmp_path, smtp_server.port, fake_stripe)
    assert not fake_stripe.posts(f"/v1/checkout/sessions/{link.session_id}/expire")

    fake_stripe.async_result(link.session_id, succeeded=True)
    await drain(tmp_path, smtp_server.port, fake_stripe)
    # 100 in cash plus 8,500 by Stripe is more than the 8,500 owed: staff are told to refund
    assert Payment.select().where(Payment.method == "stripe").count() == 0
    (notice,) = Notification.select().where(Notification.kind == "payment_unapplied")
    assert notice.staff.login == "admin" and '"amount_cents": 8500' in notice.params
    assert reload(link).status == PaymentLinkStatus.PAID


async def test_a_delayed_method_that_succeeds_is_recorded(
    stripe_setup: Setup, smtp_server: SmtpServer, fake_stripe: FakeStripe, tmp_path: Path
) -> None:
    link = await linked(stripe_setup, smtp_server, fake_stripe, tmp_path)
    fake_stripe.complete(link.session_id, paid=False)
    await drain(tmp_path, smtp_server.port, fake_stripe)
    assert not Payment.select().exists()
    fake_stripe.async_result(link.session_id, succeeded=True)
    await drain(tmp_path, smtp_server.port, fake_stripe)
    assert Payment.get().amount_cents == 8500 and reload(link.invoice).status == "paid"
    assert Notification.select().where(Notification.kind == "payment_received").count() == 2


async def test_a_delayed_method_that_fails_leaves_the_invoice_unpaid_and_says_so(
    stripe_setup: Setup, smtp_server: SmtpServer, fake_stripe: FakeStripe, tmp_path: Path
) -> None:
    link = await linked(stripe_setup, smtp_server, fake_stripe, tmp_path)
    fake_stripe.complete(link.session_id, paid=False)
    fake_stripe.async_result(link.session_id, succeeded=False)
    await drain(tmp_path, smtp_server.port, fake_stripe)
    assert not Payment.select().exists() and reload(link.invoice).status == "billed"
    assert reload(link).status == PaymentLinkStatus.EXPIRED
    failed = Transmission.get((Transmission.channel == "stripe") & (Transmission.status == "failed"))
    assert failed.provider_id == link.session_id
    assert {n.kind for n in Notification.select()} == {"payment_failed"}
    assert Notification.select().count() == 2


async def test_an_expired_session_closes_its_link(
    stripe_setup: Setup, smtp_server: SmtpServer, fake_stripe: FakeStripe, tmp_path: Path
) -> None:
    link = await linked(stripe_setup, smtp_server, fake_stripe, tmp_path)
    fake_stripe.expire(link.session_id)
    await drain(tmp_path, smtp_server.port, fake_stripe)
    assert reload(link).status == PaymentLinkStatus.EXPIRED
    row = Transmission.get((Transmission.channel == "stripe") & (Transmission.status == "expired"))
    assert row.provider_id == link.session_id
    assert not Payment.select().exists() and not Notification.select().exists()


async def test_a_payment_whose_events_are_gone_is_found_through_the_sessions(
    stripe_setup: Setup, smtp_server: SmtpServer, fake_stripe: FakeStripe, tmp_path: Path
) -> None:
    """Offline longer than Stripe keeps events: the sessions since the oldest open link tell."""
    link = await linked(stripe_setup, smtp_server, fake_stripe, tmp_path)
    fake_stripe.complete(link.session_id)
    fake_stripe.events.clear()
    await drain(tmp_path, smtp_server.port, fake_stripe)
    assert Payment.get().reference == fake_stripe.sessions[link.session_id]["payment_intent"]
    assert reload(link).status == PaymentLinkStatus.PAID
    listing = [r for r in fake_stripe.requests if r.path == "/v1/checkout/sessions" and r.method == "GET"]
    assert listing and int(listing[-1].params["created"]["gte"]) <= int(link.created_at.timestamp())


async def test_events_are_read_back_30_days_at_most_and_page_by_page(
    stripe_setup: Setup, smtp_server: SmtpServer, fake_stripe: FakeStripe, tmp_path: Path
) -> None:
    """Sessions the clinic made elsewhere on Stripe are ignored; every page is read once."""
    for _ in range(130):
        _, session = fake_stripe._new_session(
            {
                "mode": "payment",
                "success_url": "https://shop.example/ok",
                "line_items": [
                    {
                        "price_data": {
                            "currency": "cad",
                            "unit_amount": "100",
                            "product_data": {"name": "Gift"},
                        },
                        "quantity": "1",
                    }
                ],
            },
            ACCOUNT,
        )
        fake_stripe.expire(session["id"])
    await drain(tmp_path, smtp_server.port, fake_stripe)
    pages = [r for r in fake_stripe.requests if r.path == "/v1/events"]
    assert len(pages) == 2 and "starting_after" not in pages[0].params
    assert pages[1].params["starting_after"] == fake_stripe.events[-100]["id"]
    since = int(pages[0].params["created"]["gte"])
    assert since >= int((utcnow() - timedelta(days=30)).timestamp())
    assert StripeEvent.select().count() == 130
    assert not PaymentLink.select().exists() and not Payment.select().exists()


async def test_the_cursor_reads_on_from_where_it_stopped(
    stripe_setup: Setup, smtp_server: SmtpServer, fake_stripe: FakeStripe, tmp_path: Path
) -> None:
    link = await linked(stripe_setup, smtp_server, fake_stripe, tmp_path)
    event = fake_stripe.complete(link.session_id)
    await drain(tmp_path, smtp_server.port, fake_stripe)
    await drain(tmp_path, smtp_server.port, fake_stripe)
    last = [r for r in fake_stripe.requests if r.path == "/v1/events"][-1]
    assert int(last.params["created"]["gte"]) == event["created"] - 300  # five minutes of overlap


@pytest.mark.parametrize("failure", ["500", "reset"])
async def test_a_failed_pull_changes_nothing_and_the_next_one_applies_it(
    stripe_setup: Setup,
    smtp_server: SmtpServer,
    fake_stripe: FakeStripe,
    tmp_path: Path,
    failure: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    link = await linked(stripe_setup, smtp_server, fake_stripe, tmp_path)
    fake_stripe.complete(link.session_id)
    fake_stripe.fail_next(failure, path="/v1/events")
    fake_stripe.fail_next(failure, path="/v1/checkout/sessions")
    caplog.set_level(logging.INFO, "facteur")
    await drain(tmp_path, smtp_server.port, fake_stripe)
    assert not Payment.select().exists() and read_cursor(f"stripe:{ACCOUNT}") == ""
    warnings = [r.getMessage() for r in caplog.records if r.name == "facteur.agent.stripe"]
    assert any(ACCOUNT in w and ("500" in w or "ReadError" in w) for w in warnings), warnings
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    await drain(tmp_path, smtp_server.port, fake_stripe)
    assert Payment.select().count() == 1


async def test_a_session_paid_for_an_invoice_paid_meanwhile_is_not_recorded_and_admins_are_told(
    stripe_setup: Setup, smtp_server: SmtpServer, fake_stripe: FakeStripe, tmp_path: Path
) -> None:
    link = await linked(stripe_setup, smtp_server, fake_stripe, tmp_path)
    record_payment(link.invoice, 8500, "card")  # paid at the desk
    fake_stripe.complete(link.session_id)  # and online, before the agent could close the link
    await drain(tmp_path, smtp_server.port, fake_stripe)
    assert Payment.select().count() == 1 and Payment.get().method == "card"
    (notice,) = Notification.select()
    assert notice.kind == "payment_unapplied" and notice.staff.id in {a.id for a in admins()}
    params = json.loads(notice.params)
    assert (params["status"], params["balance_cents"], params["amount_cents"]) == ("paid", 0, 8500)


async def test_a_refused_pull_is_said_once_while_it_lasts(
    stripe_setup: Setup, fake_stripe: FakeStripe, caplog: pytest.LogCaptureFixture
) -> None:
    """A revoked key refuses every pull: the log says so once, and again only after a pull went through."""

    async def db(function: Any, *args: Any, **kwargs: Any) -> Any:
        return function(*args, **kwargs)

    revoked, fixed = platform_api(fake_stripe.url, "sk_test_rolled_away"), platform_api(fake_stripe.url)
    sync = StripeSync(revoked, log_language="en")
    caplog.set_level(logging.WARNING, "facteur")
    for api in (revoked, revoked, revoked, fixed, revoked):
        sync.api = api
        await sync.run(db)
    said = [r.getMessage() for r in caplog.records if r.name == "facteur.agent.stripe"]
    assert len(said) == 2 and all("401" in line and ACCOUNT in line for line in said), said
    for api in (revoked, fixed):
        await api.close()

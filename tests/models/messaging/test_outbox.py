"""The outbox's rules: enqueue refusals, claim and lease, rescue, outcomes, backoff, resend, cancel."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from decimal import Decimal

import pytest

from models.billing.invoicing import BilledTo, LineInput, create_draft
from models.core.enums import Channel, OutboxStatus, TransmissionStatus
from models.core.errors import ValidationError
from models.database.base import utcnow
from models.database.db import db
from models.messaging.outbox import (
    Reply,
    RetryPolicy,
    claim,
    mark_deferred,
    mark_failed,
    mark_replaced,
    mark_sent,
    mark_step,
    release,
    rescue,
)
from models.messaging.tables import Notification, OutboxMessage, Transmission
from models.people.clinic import Staff
from models.people.patient import Patient
from models.views.outbox_queries import outbox_query, outbox_record, transmission_query, transmission_record
from models.workflow.lifecycle import bill, void
from models.workflow.sending import (
    SendRefused,
    cancel,
    default_personal_message,
    enqueue_invoice_email,
    resend,
)
from testbed.invoices import billed_invoice
from tests.conftest import Setup

AGENT = "host:1"


def ids(messages: list[OutboxMessage]) -> list[int]:
    return [m.id for m in messages]


def test_enqueue_defaults_to_the_billed_to_person(setup: Setup) -> None:
    invoice = billed_invoice(setup.company, language="en")
    message = enqueue_invoice_email(invoice, staff=setup.provider)
    assert (message.recipient_email, message.language, message.status) == (
        "marie.tremblay@example.org",
        "en",
        OutboxStatus.PENDING,
    )
    assert message.personal_message == (
        f"You will find attached your invoice of {invoice.issue_date:%Y/%m/%d}."
    )
    assert default_personal_message(invoice, "fr") == (
        f"Vous trouverez ci-joint votre facture du {invoice.issue_date:%Y/%m/%d}."
    )


def test_enqueue_refuses_drafts_void_and_bad_input(setup: Setup) -> None:
    draft = billed_invoice(setup.company, draft=True)
    with pytest.raises(SendRefused, match="draft"):
        enqueue_invoice_email(draft)
    voided = void(billed_invoice(setup.company))
    with pytest.raises(SendRefused, match="void"):
        enqueue_invoice_email(voided)
    invoice = billed_invoice(setup.company, email=None)
    with pytest.raises(ValidationError, match="no email address"):
        enqueue_invoice_email(invoice)
    with pytest.raises(ValidationError) as bad_email:
        enqueue_invoice_email(invoice, email="marie@")
    assert bad_email.value.field == "email"
    with pytest.raises(ValidationError) as bad_language:
        enqueue_invoice_email(invoice, email="m@example.org", language="de")
    assert bad_language.value.field == "language"
    with pytest.raises(ValidationError, match="too long"):
        enqueue_invoice_email(invoice, email="m@example.org", message="x" * 2001)
    assert OutboxMessage.select().count() == 0


def test_the_patient_keeps_their_email_unless_asked(setup: Setup) -> None:
    invoice = billed_invoice(setup.company)
    enqueue_invoice_email(invoice, email="other@example.org")
    assert Patient.get_by_id(invoice.patient.id).email == "marie.tremblay@example.org"
    enqueue_invoice_email(invoice, email="New@Example.org", update_patient=True, message="")
    patient = Patient.get_by_id(invoice.patient.id)
    assert patient.email == "New@example.org"
    third = bill(
        create_draft(
            patient=patient,
            billing_company=setup.company,
            billed_to=BilledTo("Assurances X", email="claims@x.example"),
            lines=[LineInput("Consultation", Decimal(1), 100)],
        )
    )
    with pytest.raises(ValidationError, match="third party"):
        enqueue_invoice_email(third, update_patient=True)


def test_claim_leases_due_messages_once_with_a_message_id(setup: Setup) -> None:
    invoice = billed_invoice(setup.company)
    now = utcnow()
    first, second, later = (enqueue_invoice_email(invoice, now=now) for _ in range(3))
    OutboxMessage.update(next_attempt_at=now + timedelta(hours=1)).where(
        OutboxMessage.id == later.id
    ).execute()
    claimed = claim(AGENT, 10, 60, now, new_message_id=lambda m: f"<{m.id}@x>")
    assert ids(claimed) == [first.id, second.id]
    for message in claimed:
        stored = OutboxMessage.get_by_id(message.id)
        assert (stored.status, stored.lease_owner, stored.attempts) == ("sending", AGENT, 1)
        assert stored.message_id == f"<{message.id}@x>" and stored.lease_expires_at == now + timedelta(
            seconds=60
        )
    assert claim("other:2", 10, 60, now) == []
    assert ids(claim("other:2", 10, 60, now + timedelta(hours=2))) == [later.id]


def test_concurrent_claimers_never_share_a_message(setup: Setup) -> None:
    invoice = billed_invoice(setup.company)
    with db.atomic():
        for _ in range(200):
            enqueue_invoice_email(invoice)
    results: dict[int, list[int]] = {}

    def claimer(n: int) -> None:
        got: list[int] = []
        while batch := claim(f"agent:{n}", 7, 60):
            got += ids(batch)
        results[n] = got
        db.close()

    threads = [threading.Thread(target=claimer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    everything = [i for got in results.values() for i in got]
    assert sorted(everything) == sorted(set(everything)) and len(everything) == 200


def test_rescue_returns_expired_and_dead_leases(setup: Setup) -> None:
    invoice = billed_invoice(setup.company)
    now = utcnow()
    a, b, c = (enqueue_invoice_email(invoice, now=now) for _ in range(3))
    claim("dead:1", 1, 10, now)
    claim("dead:2", 1, 3600, now)
    claim("alive:3", 1, 3600, now)
    assert rescue(now + timedelta(seconds=5)) == 0
    assert rescue(now + timedelta(seconds=11), dead_owners=["dead:2"]) == 2
    statuses = {m.id: (m.status, m.attempts) for m in OutboxMessage.select()}
    # the dead agents' claims are given back: their tries have no answer on record
    assert statuses == {a.id: ("pending", 0), b.id: ("pending", 0), c.id: ("sending", 1)}
    assert [t.status for t in Transmission.select()] == ["unknown", "unknown"]


def test_outcomes(setup: Setup) -> None:
    staff = setup.provider
    invoice = billed_invoice(setup.company)
    now = utcnow()
    sent, deferred, failed, offline = (enqueue_invoice_email(invoice, staff=staff, now=now) for _ in range(4))
    claimed = {m.id: m for m in claim(AGENT, 4, 60, now, new_message_id=lambda m: f"<{m.id}@x>")}
    mark_sent(claimed[sent.id], AGENT, Reply("250", "OK queued", f"<{sent.id}@x>"), now)
    policy = RetryPolicy()
    mark_deferred(claimed[deferred.id], AGENT, Reply("451", "451 try later"), policy, now)
    mark_failed(claimed[failed.id], AGENT, Reply("550", "550 no such user"), now)
    release(claimed[offline.id], AGENT, "offline")
    rows = {m.id: m for m in OutboxMessage.select()}
    assert rows[sent.id].status == "sent" and rows[sent.id].personal_message is None
    assert rows[deferred.id].status == "pending" and rows[deferred.id].personal_message is not None
    wait = rows[deferred.id].next_attempt_at - now
    assert timedelta(seconds=47) <= wait <= timedelta(seconds=73)  # about a minute, jittered
    assert (rows[failed.id].status, rows[failed.id].last_error) == (
        "failed",
        "550 no such user",
    )  # the code once
    assert (rows[offline.id].status, rows[offline.id].attempts) == ("pending", 0)
    transmissions = {t.message_id: t for t in Transmission.select()}
    assert offline.id not in transmissions  # offline is not an attempt
    assert (transmissions[sent.id].status, transmissions[sent.id].provider_id) == ("sent", f"<{sent.id}@x>")
    assert transmissions[deferred.id].reply_code == "451"
    (notice,) = Notification.select()
    assert notice.staff_id == staff.id and json.loads(notice.params)["reason"] == "550 no such user"
    # an outcome for a lease the agent no longer holds changes nothing
    mark_sent(claimed[failed.id], AGENT, Reply("250"), now)
    assert OutboxMessage.get_by_id(failed.id).status == "failed"


def test_a_replaced_message_is_neither_sent_nor_failed_and_nobody_is_told(setup: Setup) -> None:
    """Stopped before any server was asked: its attempt given back, no transmission; refused by the
    portal (409): the attempt stays, a ``replaced`` transmission says so. Its link is dropped."""
    invoice = billed_invoice(setup.company)
    now = utcnow()
    early, late = (
        enqueue_invoice_email(invoice, staff=setup.provider, pin_mode="sms", phone="+15145551234", now=now)
        for _ in range(2)
    )
    claimed = {m.id: m for m in claim(AGENT, 2, 60, now)}
    mark_replaced(claimed[early.id], AGENT, "replaced by message 9")
    mark_replaced(
        claimed[late.id], AGENT, "a newer send replaced it", Reply("409", "this link was revoked"), now
    )
    rows = {m.id: m for m in OutboxMessage.select()}
    assert [(rows[m.id].status, rows[m.id].attempts, rows[m.id].link_token) for m in (early, late)] == [
        ("replaced", 0, None),
        ("replaced", 1, None),
    ]
    assert rows[early.id].last_error == "replaced by message 9"
    assert [(t.message_id, t.channel, t.status, t.reply_code) for t in Transmission.select()] == [
        (late.id, "portal", "replaced", "409")
    ]
    assert Notification.select().count() == 0
    mark_replaced(claimed[early.id], AGENT, "again")  # no longer held: nothing changes
    assert OutboxMessage.get_by_id(early.id).attempts == 0


def test_a_step_is_written_only_while_its_agent_holds_the_message(setup: Setup) -> None:
    invoice = billed_invoice(setup.company)
    now = utcnow()
    message = enqueue_invoice_email(invoice, now=now)
    (claimed,) = claim(AGENT, 1, 60, now)
    published = (Channel.PORTAL, TransmissionStatus.PUBLISHED, Reply("201"))
    assert not mark_step(claimed, "other:2", *published, now=now, published_at=now)
    assert OutboxMessage.get_by_id(message.id).published_at is None and Transmission.select().count() == 0
    assert mark_step(claimed, AGENT, *published, now=now, published_at=now)
    assert OutboxMessage.get_by_id(message.id).published_at == now == claimed.published_at
    (transmission,) = Transmission.select()
    assert (transmission.channel, transmission.status, transmission.reply_code) == (
        "portal",
        "published",
        "201",
    )
    rescue(now + timedelta(seconds=61))  # the lease ran out: the step's outcome comes too late
    assert not mark_step(claimed, AGENT, Channel.SMS, TransmissionStatus.SENT, Reply(), now=now, finish=True)
    assert OutboxMessage.get_by_id(message.id).status == "pending"
    assert [t.status for t in Transmission.select().order_by(Transmission.id)] == ["published", "unknown"]


def test_backoff_is_capped_and_gives_up_after_five_days(setup: Setup) -> None:
    policy = RetryPolicy()
    assert timedelta(seconds=48) <= policy.delay(1) <= timedelta(seconds=72)
    assert timedelta(seconds=96) <= policy.delay(2) <= timedelta(seconds=144)
    assert all(policy.delay(n) <= timedelta(hours=1.2) for n in range(1, 200))
    assert policy.delay(50) >= timedelta(hours=0.8)
    invoice = billed_invoice(setup.company)
    now = utcnow()
    message = enqueue_invoice_email(invoice, now=now - timedelta(days=5, minutes=1))
    (claimed,) = claim(AGENT, 1, 60, now)
    assert mark_deferred(claimed, AGENT, Reply("421", "busy"), policy, now) == OutboxStatus.FAILED
    assert OutboxMessage.get_by_id(message.id).status == "failed"
    assert OutboxMessage.get_by_id(message.id).last_error.startswith("421 gave up")


def test_resend_and_cancel(setup: Setup) -> None:
    invoice = billed_invoice(setup.company)
    message = enqueue_invoice_email(invoice, email="a@example.org", language="en", message="Hi")
    (claimed,) = claim(AGENT, 1, 60)
    with pytest.raises(SendRefused, match="only a pending message"):
        cancel(claimed)
    mark_failed(claimed, AGENT, Reply("550", "no"))
    (transmission,) = Transmission.select()
    again = resend(transmission, staff=setup.provider)
    assert (again.status, again.recipient_email, again.language, again.personal_message) == (
        "pending",
        "a@example.org",
        "en",
        "Hi",
    )
    assert again.id != message.id and again.message_id is None
    cancelled = cancel(again)
    assert (cancelled.status, cancelled.personal_message) == ("cancelled", None)
    void(invoice)
    with pytest.raises(SendRefused, match="void"):
        resend(message)


def test_queries_filter_and_page(setup: Setup) -> None:
    first = billed_invoice(setup.company)
    second = billed_invoice(setup.company)
    messages = [enqueue_invoice_email(first) for _ in range(3)] + [enqueue_invoice_email(second)]
    assert ids(list(outbox_query())) == ids(messages)[::-1]
    page = list(outbox_query(limit=2))
    assert ids(page) == [messages[3].id, messages[2].id]
    assert ids(list(outbox_query(limit=2, before_id=page[-1].id))) == [messages[1].id, messages[0].id]
    assert ids(list(outbox_query(invoice=second))) == [messages[3].id]
    assert list(outbox_query(status=OutboxStatus.SENT)) == []
    today = utcnow().date()
    assert len(list(outbox_query(since=today, until=today))) == 4
    assert list(outbox_query(since=today + timedelta(days=1))) == []
    record = outbox_record(messages[0])
    assert {"outbox_id", "channel", "status", "provider_id", "at"} <= record.keys()
    (claimed,) = claim(AGENT, 1, 60, new_message_id=lambda m: "<x@y>")
    mark_sent(claimed, AGENT, Reply("250", "ok"))
    (t,) = transmission_query(invoice=first)
    assert transmission_record(t) | {"at": None} == {
        "id": t.id,
        "outbox_id": claimed.id,
        "invoice_id": first.id,
        "invoice_number": first.number,
        "channel": "email",
        "recipient": "marie.tremblay@example.org",
        "status": "sent",
        "code": "250",
        "detail": "ok",
        "provider_id": "<x@y>",
        "at": None,
    }
    assert list(transmission_query(invoice=second)) == []
    assert Staff.select().count() == 1


def test_a_personal_message_with_a_hidden_character_is_refused(setup: Setup) -> None:
    invoice = billed_invoice(setup.company)
    for hidden in ("\u202e", "\x1b[2J"):
        with pytest.raises(ValidationError) as refused:
            enqueue_invoice_email(invoice, message=f"Merci {hidden}de votre visite")
        assert refused.value.field == "message"
    assert OutboxMessage.select().count() == 0
    enqueue_invoice_email(invoice, message="Merci,\nà bientôt")  # line breaks are fine

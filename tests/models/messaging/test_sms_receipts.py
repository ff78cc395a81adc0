"""SMS receipts on the database: which texts wait for one, recording it once, telling staff of a lost PIN."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from models.core.enums import Channel, PinMode, TransmissionStatus
from models.database.base import fk_id, utcnow
from models.messaging.notifications import DELIVERY_FAILED
from models.messaging.sms_receipts import (
    CHECK_WINDOW,
    NO_REASON,
    PIN_NOT_DELIVERED_NOTICE,
    receipts_to_check,
    record_receipt,
    without_pins,
)
from models.messaging.tables import Notification, OutboxMessage, Transmission
from models.people.clinic import Staff
from models.workflow.sending import enqueue_invoice_email
from testbed.invoices import billed_invoice
from tests.conftest import Setup

PHONE = "+15145551234"


def pin_message(setup: Setup, *, staff: Staff | None = None) -> OutboxMessage:
    invoice = billed_invoice(setup.company)
    return enqueue_invoice_email(invoice, pin_mode=PinMode.SMS, phone=PHONE, staff=staff)


def text_sent(
    message: OutboxMessage, sms_id: str | None, at: datetime, status: str = TransmissionStatus.SENT
) -> Transmission:
    """The transmission the agent writes when the gateway accepts the PIN's text."""
    return Transmission.create(
        invoice=message.__data__["invoice"],
        message=message.id,
        channel=Channel.SMS,
        status=status,
        reply_code="201",
        provider_id=sms_id,
        created_at=at,
    )


def test_texts_to_check_are_recent_sent_ones_without_a_receipt_oldest_first(setup: Setup) -> None:
    now = utcnow()
    message = pin_message(setup)
    newer = text_sent(message, "sms-2", now - timedelta(minutes=5))
    older = text_sent(message, "sms-1", now - timedelta(hours=71))
    text_sent(message, "sms-0", now - CHECK_WINDOW - timedelta(minutes=1))  # too old to ask about
    text_sent(message, None, now - timedelta(minutes=1))  # no gateway id to ask about
    text_sent(message, "sms-x", now - timedelta(minutes=1), TransmissionStatus.DEFERRED)
    Transmission.create(  # an email has no receipt
        invoice=message.__data__["invoice"],
        message=message.id,
        channel=Channel.EMAIL,
        status=TransmissionStatus.SENT,
        provider_id="<1@x>",
        created_at=now,
    )
    answered = text_sent(message, "sms-3", now - timedelta(hours=1))
    text_sent(message, "sms-3", now - timedelta(minutes=50), TransmissionStatus.DELIVERED)
    assert [t.id for t in receipts_to_check(now, 10)] == [older.id, newer.id]
    assert [t.id for t in receipts_to_check(now, 1)] == [older.id]
    assert answered.id not in [t.id for t in receipts_to_check(now, 10)]


def test_delivered_is_recorded_once_and_leaves_the_queue(setup: Setup) -> None:
    now = utcnow()
    message = pin_message(setup, staff=setup.provider)
    sent = text_sent(message, "sms-1", now - timedelta(minutes=3))
    assert record_receipt(sent, TransmissionStatus.DELIVERED, None, now) is True
    assert record_receipt(sent.id, TransmissionStatus.DELIVERED, None, now + timedelta(minutes=5)) is False
    receipt = Transmission.get(Transmission.status == TransmissionStatus.DELIVERED)
    assert (fk_id(receipt, "invoice"), fk_id(receipt, "message"), receipt.channel, receipt.provider_id) == (
        fk_id(sent, "invoice"),
        message.id,
        "sms",
        "sms-1",
    )
    assert (receipt.detail, receipt.reply_code, receipt.created_at) == (None, None, now)
    assert receipts_to_check(now, 10) == []
    assert Notification.select().count() == 0


def test_a_failed_pin_text_keeps_the_reason_not_the_pin_and_tells_who_sent_it(setup: Setup) -> None:
    now = utcnow()
    message = pin_message(setup, staff=setup.provider)
    sent = text_sent(message, "SM1", now - timedelta(minutes=3))
    echoed = "Unreachable handset for: Clinique du Parc: your PIN to open the invoice is 482913"
    assert record_receipt(sent, TransmissionStatus.FAILED, echoed, now, code="30003") is True
    assert record_receipt(sent, TransmissionStatus.FAILED, echoed, now, code="30003") is False
    receipt = Transmission.get(Transmission.status == TransmissionStatus.FAILED)
    assert receipt.reply_code == "30003" and receipt.detail is not None
    assert receipt.detail.startswith("Unreachable handset") and "482913" not in receipt.detail
    (notice,) = Notification.select()
    params = json.loads(notice.params)
    assert (notice.staff.id, notice.kind, notice.message) == (
        setup.provider.id,
        DELIVERY_FAILED,
        PIN_NOT_DELIVERED_NOTICE,
    )
    assert params["recipient"] == PHONE and params["outbox_id"] == message.id
    assert params["reason"].startswith("30003 Unreachable handset") and "482913" not in params["reason"]
    assert fk_id(notice, "invoice") == fk_id(sent, "invoice")
    assert receipts_to_check(now, 10) == []


def test_a_pin_text_the_system_queued_tells_the_admins(setup: Setup) -> None:
    admin = Staff.create(login="admin", display_name="Admin", roles="admin")
    message = pin_message(setup)  # queued by no one (a scheduled reminder)
    sent = text_sent(message, "sms-1", utcnow())
    record_receipt(sent, TransmissionStatus.FAILED, "", utcnow())
    (notice,) = Notification.select()
    assert notice.staff.id == admin.id
    assert Transmission.get(Transmission.status == TransmissionStatus.FAILED).detail == NO_REASON


def test_a_failed_text_without_a_pin_tells_no_one(setup: Setup) -> None:
    message = enqueue_invoice_email(billed_invoice(setup.company), staff=setup.provider)
    sent = text_sent(message, "sms-1", utcnow())  # a text that was not the PIN's
    assert record_receipt(sent, TransmissionStatus.FAILED, "unknown subscriber", utcnow())
    assert Notification.select().count() == 0


def test_unknown_is_final_too(setup: Setup) -> None:
    now = utcnow()
    sent = text_sent(pin_message(setup), "sms-1", now)
    assert record_receipt(sent, TransmissionStatus.UNKNOWN, "gone", now, code="404")
    assert receipts_to_check(now, 10) == []
    assert Notification.select().count() == 0


def test_only_receipts_of_texts_are_recorded(setup: Setup) -> None:
    now = utcnow()
    message = pin_message(setup)
    sent = text_sent(message, "sms-1", now)
    with pytest.raises(ValueError, match="not a receipt"):
        record_receipt(sent, TransmissionStatus.SENT, None, now)
    email = Transmission.create(
        invoice=message.__data__["invoice"],
        message=message.id,
        channel=Channel.EMAIL,
        status=TransmissionStatus.SENT,
        provider_id="<1@x>",
    )
    with pytest.raises(ValueError, match="not a text"):
        record_receipt(email, TransmissionStatus.DELIVERED, None, now)
    assert Transmission.select().count() == 2


def test_pin_shaped_numbers_are_taken_out() -> None:
    assert without_pins("PIN 482913, call +15145551234; error 30003") == "PIN …, call +…; error 30003"

"""Messages that wait for the clinic's sending window: queued while it is closed they are due at its
next opening; a backlog due while it is closed (the agent was offline) moves there when claimed, with
no attempt spent; a message staff send without it is claimed at once."""

from __future__ import annotations

from datetime import UTC, datetime

from models.core.enums import OutboxStatus
from models.messaging.outbox import claim
from models.messaging.sending_window import window_start
from models.messaging.tables import OutboxMessage
from models.workflow.sending import enqueue_invoice_email
from testbed.invoices import billed_invoice
from tests.conftest import Setup

FRIDAY_17 = datetime(2026, 6, 19, 21, 0, tzinfo=UTC)  # 17:00 in Toronto
SATURDAY_2 = datetime(2026, 6, 20, 6, 0, tzinfo=UTC)  # 02:00
MONDAY_8 = datetime(2026, 6, 22, 12, 0, tzinfo=UTC)  # 08:00 (EDT)
TUESDAY_19 = datetime(2026, 6, 23, 23, 0, tzinfo=UTC)  # 19:00, the eve of the Fête nationale
THURSDAY_8 = datetime(2026, 6, 25, 12, 0, tzinfo=UTC)


def business_hours(setup: Setup) -> None:
    clinic = setup.clinic
    clinic.send_opens, clinic.send_closes, clinic.send_days = "08:00", "18:00", "1-5"
    clinic.holiday_calendar = "CA-QC"
    clinic.save()


def test_a_backlog_due_at_night_waits_for_monday_and_staff_s_send_goes(setup: Setup) -> None:
    business_hours(setup)
    automatic = enqueue_invoice_email(billed_invoice(setup.company), in_window=True, now=FRIDAY_17)
    assert automatic.next_attempt_at == FRIDAY_17  # the window is open: due at once
    manual = enqueue_invoice_email(billed_invoice(setup.company), staff=setup.provider, now=FRIDAY_17)

    (claimed,) = claim("host:1", 10, 60, SATURDAY_2)  # the agent comes back online at 02:00
    assert claimed.id == manual.id
    waiting = OutboxMessage.get_by_id(automatic.id)
    assert (waiting.status, waiting.attempts, waiting.next_attempt_at) == (OutboxStatus.PENDING, 0, MONDAY_8)
    assert claim("host:1", 10, 60, MONDAY_8)[0].id == automatic.id


def test_queued_on_a_holiday_eve_it_waits_past_the_holiday(setup: Setup) -> None:
    business_hours(setup)
    message = enqueue_invoice_email(billed_invoice(setup.company), in_window=True, now=TUESDAY_19)
    assert message.in_window and message.next_attempt_at == THURSDAY_8  # 24 June is a holiday
    assert window_start(TUESDAY_19) == THURSDAY_8
    setup.clinic.holiday_calendar = ""
    setup.clinic.save()
    assert window_start(TUESDAY_19) == datetime(2026, 6, 24, 12, 0, tzinfo=UTC)


def test_an_always_open_clinic_sends_at_any_hour(setup: Setup) -> None:
    message = enqueue_invoice_email(billed_invoice(setup.company), in_window=True, now=SATURDAY_2)
    assert message.next_attempt_at == SATURDAY_2
    assert [m.id for m in claim("host:1", 10, 60, SATURDAY_2)] == [message.id]


def test_waiting_for_the_window_spends_none_of_the_time_given_to_retries(setup: Setup) -> None:
    from datetime import timedelta

    from models.messaging.outbox import Reply, RetryPolicy, mark_deferred

    clinic = setup.clinic
    clinic.send_opens, clinic.send_closes, clinic.send_days = "08:00", "18:00", "2"  # Tuesdays only
    clinic.save()
    message = enqueue_invoice_email(billed_invoice(setup.company), in_window=True, now=TUESDAY_19)
    opening = message.next_attempt_at  # a week later
    (claimed,) = claim("host:1", 1, 60, opening)
    status = mark_deferred(
        claimed, "host:1", Reply("451", "greylisted"), RetryPolicy(), opening + timedelta(seconds=5)
    )
    assert status is OutboxStatus.PENDING  # retried: its five days start at the window's opening

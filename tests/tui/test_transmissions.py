"""The Transmissions screen: newest first, filters, paging, send again, cancel, open invoice; snapshots."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Select

from models.billing.invoice import Invoice
from models.billing.invoicing import LineInput, create_draft
from models.core.enums import Channel, OutboxStatus, TransmissionStatus
from models.messaging.tables import OutboxMessage, Transmission
from models.people.patient import Patient
from models.workflow.lifecycle import bill
from tui.dialogs.confirm import ConfirmDialog
from tui.screens.invoice_detail import InvoiceDetailScreen
from tui.screens.transmissions import TransmissionsScreen
from tui.widgets.transmission_log import TransmissionLog

from .conftest import FROZEN_NOW, Clinic_, snapshot_cases
from .invoices.conftest import messages, settle


@dataclass
class Log:
    invoices: list[Invoice]
    messages: list[OutboxMessage]
    transmissions: list[Transmission]


def billed_invoice(clinic: Clinic_, patient: Patient, days_ago: int) -> Invoice:
    draft = create_draft(
        patient=patient,
        billing_company=clinic.company,
        provider=clinic.provider,
        lines=[LineInput("Consultation", Decimal(1), 8500, Decimal(0), "C01")],
    )
    return bill(draft, now=FROZEN_NOW - timedelta(days=days_ago))


@pytest.fixture
def log(clinic: Clinic_) -> Log:
    """Two invoices; attempts: sent, a 451 deferral then sent, a 550 failure; one message still pending."""
    elise = Patient.create(last_name="Bélanger", first_name="Élise", email="elise@example.org", language="fr")
    marc = Patient.create(last_name="Tremblay", first_name="Marc", email="marc@example.org", language="en")
    first, second = billed_invoice(clinic, elise, 5), billed_invoice(clinic, marc, 3)
    sent = OutboxMessage.create(
        kind="invoice",
        invoice=first,
        recipient_email="elise@example.org",
        language="fr",
        status=OutboxStatus.SENT,
        attempts=2,
        message_id="<a1@clinique.example>",
        created_at=FROZEN_NOW - timedelta(days=4),
        created_by=clinic.admin,
    )
    failed = OutboxMessage.create(
        kind="invoice",
        invoice=second,
        recipient_email="marc@exemple.invalid",
        language="en",
        status=OutboxStatus.FAILED,
        attempts=1,
        message_id="<b2@clinique.example>",
        last_error="550 5.1.1 mailbox unavailable",
        created_at=FROZEN_NOW - timedelta(days=2),
    )
    pending = OutboxMessage.create(
        kind="invoice",
        invoice=second,
        recipient_email="marc@example.org",
        language="en",
        created_at=FROZEN_NOW - timedelta(hours=1),
        next_attempt_at=FROZEN_NOW,
    )

    def attempt(message: OutboxMessage, status: str, code: str, detail: str | None, ago: timedelta):  # type: ignore[no-untyped-def]
        return Transmission.create(
            invoice=message.invoice,
            message=message,
            channel=Channel.EMAIL,
            status=status,
            reply_code=code,
            provider_id=message.message_id,
            detail=detail,
            created_at=FROZEN_NOW - ago,
        )

    transmissions = [
        attempt(sent, TransmissionStatus.DEFERRED, "451", "4.3.0 try again later", timedelta(days=4)),
        attempt(sent, TransmissionStatus.SENT, "250", "2.0.0 queued", timedelta(days=4, hours=-1)),
        attempt(failed, TransmissionStatus.FAILED, "550", "5.1.1 mailbox unavailable", timedelta(days=2)),
    ]
    return Log([first, second], [sent, failed, pending], transmissions)


async def open_log(pilot: Pilot[object], **options: object) -> TransmissionsScreen:
    await settle(pilot)
    screen = TransmissionsScreen(pilot.app.session, **options)  # type: ignore[attr-defined]
    pilot.app.push_screen(screen)
    await settle(pilot)
    return screen


def shown_ids(screen: TransmissionsScreen) -> list[int]:
    return [row.id for row in screen.query_one(TransmissionLog).rows_shown]


def cells(screen: TransmissionsScreen, index: int) -> list[str]:
    return [str(cell) for cell in screen.query_one(TransmissionLog).get_row_at(index)]


async def test_every_attempt_shows_newest_first_with_its_reply(
    make_app: Callable[..., object], log: Log
) -> None:
    app = make_app("clerk")
    async with app.run_test(size=(120, 40)) as pilot:  # type: ignore[attr-defined]
        screen = await open_log(pilot)
        failed, sent, deferred = (t.id for t in reversed(log.transmissions))
        assert shown_ids(screen) == [failed, sent, deferred]
        row = cells(screen, 0)
        assert row[1:6] == [log.invoices[1].number, "email", "marc@exemple.invalid", "failed", "550"]
        assert row[-1] == "5.1.1 mailbox unavailable"
        assert row[0] == "2026-03-12, 11:30\u202fa.m."  # 15:30 UTC in Montréal (en_CA)
        assert cells(screen, 1)[-1] == ""  # a sent attempt has no reason to show


async def test_filters_by_status_and_by_invoice(make_app: Callable[..., object], log: Log) -> None:
    app = make_app("clerk")
    async with app.run_test(size=(120, 40)) as pilot:  # type: ignore[attr-defined]
        screen = await open_log(pilot)
        screen.query_one("#tx-status", Select).value = "failed"
        await settle(pilot)
        assert shown_ids(screen) == [log.transmissions[2].id]
        screen.query_one("#tx-status", Select).clear()
        screen.query_one("#tx-invoice", Input).value = (log.invoices[0].number or "").lower()
        await settle(pilot)
        assert shown_ids(screen) == [log.transmissions[1].id, log.transmissions[0].id]
        screen.query_one("#tx-invoice", Input).value = "CDP-2026-09999"
        await settle(pilot)
        assert shown_ids(screen) == []
        assert screen.query_one("#tx-invoice").has_class("-invalid")
        assert "CDP-2026-09999" in str(screen.query_one("#tx-error").render())


async def test_a_bad_date_is_marked_and_the_rows_stay(make_app: Callable[..., object], log: Log) -> None:
    app = make_app("admin")  # French
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        screen = await open_log(pilot)
        since = screen.query_one("#tx-since", Input)
        since.value = "2026-02-30"
        await settle(pilot)
        assert since.has_class("-invalid")
        error = str(screen.query_one("#tx-error").render())
        assert "2026-02-30 n’est pas une date" in error
        assert len(shown_ids(screen)) == 3
        since.value = "2026-03-12"
        await settle(pilot)
        assert not since.has_class("-invalid")
        assert not screen.query_one("#tx-error").display
        assert shown_ids(screen) == [log.transmissions[2].id]
        screen.query_one("#tx-until", Input).value = "2026-03-01"
        await settle(pilot)
        assert screen.query_one("#tx-until").has_class("-invalid")
        assert "avant" in str(screen.query_one("#tx-error").render())


async def test_paging_loads_more_as_the_cursor_nears_the_end(
    make_app: Callable[..., object], log: Log
) -> None:
    message = log.messages[0]
    for index in range(60):
        Transmission.create(
            invoice=message.invoice,
            message=message,
            channel=Channel.EMAIL,
            status=TransmissionStatus.DEFERRED,
            reply_code="421",
            created_at=FROZEN_NOW - timedelta(minutes=60 - index),
        )
    app = make_app("clerk")
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        screen = await open_log(pilot, page_size=25)
        ids = shown_ids(screen)
        assert len(ids) == 25 and ids == sorted(ids, reverse=True)
        await pilot.press("ctrl+end")
        await settle(pilot)
        assert len(shown_ids(screen)) == 50
        await pilot.press("ctrl+end")
        await settle(pilot)
        await pilot.press("ctrl+end")
        await settle(pilot)
        everything = shown_ids(screen)
        assert len(everything) == 63 and len(set(everything)) == 63
        assert everything == sorted(everything, reverse=True)
        assert not screen.has_more
        screen.refresh_rows()  # the periodic refresh, finding exactly the rows shown
        await settle(pilot)
        assert not screen.has_more and len(shown_ids(screen)) == 63


async def test_a_refresh_keeps_the_cursor_on_its_row(make_app: Callable[..., object], log: Log) -> None:
    app = make_app("clerk")
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        screen = await open_log(pilot)
        await pilot.press("down")
        table = screen.query_one(TransmissionLog)
        assert table.selected is not None and table.selected.id == log.transmissions[1].id
        Transmission.create(
            invoice=log.invoices[1], message=log.messages[2], channel=Channel.EMAIL, status="deferred"
        )
        screen.refresh_rows()
        await settle(pilot)
        assert len(shown_ids(screen)) == 4
        assert table.selected is not None and table.selected.id == log.transmissions[1].id


async def test_send_again_queues_a_new_pending_message_after_confirming(
    make_app: Callable[..., object], log: Log, clinic: Clinic_
) -> None:
    app = make_app("clerk")
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        await open_log(pilot)
        before = OutboxMessage.select().count()
        await pilot.press("s")  # on the 550 failure
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)  # type: ignore[attr-defined]
        assert "marc@exemple.invalid" in app.screen.question  # type: ignore[attr-defined]
        await pilot.press("escape")  # no: nothing queued
        await settle(pilot)
        assert OutboxMessage.select().count() == before
        await pilot.press("s")
        await settle(pilot)
        await pilot.click("#confirm-yes")
        await settle(pilot)
        queued = OutboxMessage.select().order_by(OutboxMessage.id.desc()).first()
        assert OutboxMessage.select().count() == before + 1
        assert (queued.status, queued.recipient_email, queued.created_by_id) == (
            "pending",
            "marc@exemple.invalid",
            clinic.clerk.id,
        )
        assert any("queued again for marc@exemple.invalid" in text for text in messages(app))  # type: ignore[arg-type]


async def test_send_again_is_refused_without_the_billing_role(
    make_app: Callable[..., object], log: Log
) -> None:
    app = make_app("dr.roy")
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        screen = await open_log(pilot)
        before = OutboxMessage.select().count()
        await pilot.press("s")
        await settle(pilot)
        assert app.screen is screen  # type: ignore[attr-defined]
        assert OutboxMessage.select().count() == before
        assert any("rôle facturation" in text for text in messages(app))  # type: ignore[arg-type]


async def test_the_outbox_shows_messages_and_cancels_a_pending_one(
    make_app: Callable[..., object], log: Log
) -> None:
    app = make_app("clerk")
    async with app.run_test(size=(120, 40)) as pilot:  # type: ignore[attr-defined]
        screen = await open_log(pilot)
        await pilot.press("m")
        await settle(pilot)
        assert shown_ids(screen) == [m.id for m in reversed(log.messages)]
        assert cells(screen, 1)[-1] == "550 5.1.1 mailbox unavailable"
        assert cells(screen, 0)[3] == "pending"
        await pilot.press("c")
        await settle(pilot)
        await pilot.click("#confirm-yes")
        await settle(pilot)
        assert OutboxMessage.get_by_id(log.messages[2].id).status == "cancelled"
        assert cells(screen, 0)[3] == "cancelled"
        assert not screen.check_action("cancel_message", ())  # only a pending message cancels
        await pilot.press("m")
        await settle(pilot)
        assert len(shown_ids(screen)) == 3 and shown_ids(screen)[0] == log.transmissions[2].id


async def test_open_invoice_shows_its_detail(make_app: Callable[..., object], log: Log) -> None:
    app = make_app("clerk")
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        await open_log(pilot)
        await pilot.press("down", "down", "o")
        await settle(pilot)
        detail = app.screen  # type: ignore[attr-defined]
        assert isinstance(detail, InvoiceDetailScreen) and detail.invoice_id == log.invoices[0].id
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("up", "up", "enter")  # Enter on a row opens it too
        await settle(pilot)
        assert app.screen.invoice_id == log.invoices[1].id  # type: ignore[attr-defined]


@snapshot_cases
def test_snapshot(
    snap_compare: Callable[..., bool],
    make_app: Callable[..., object],
    log: Log,
    language: str,
    size: tuple[int, int],
) -> None:
    app = make_app({"fr": "admin", "en": "clerk"}[language])

    async def show(pilot: Pilot[object]) -> None:
        await open_log(pilot, refresh_seconds=3600)

    assert snap_compare(app, terminal_size=size, run_before=show)


async def test_f5_opens_the_transmissions_from_the_main_screen(make_app: Callable[..., object]) -> None:
    app = make_app("clerk")
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        await pilot.pause()
        await pilot.press("f5")
        await pilot.pause()
        assert isinstance(app.screen, TransmissionsScreen)  # type: ignore[attr-defined]
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, TransmissionsScreen)  # type: ignore[attr-defined]

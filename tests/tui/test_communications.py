"""The Communications screen through Pilot: waiting messages soonest first, the done ones with their
delivery status, filters, paging from SQL, cancel one or all of an invoice; snapshots."""

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
from models.core.enums import OutboxStatus, ScheduleStatus
from models.messaging.tables import OutboxMessage, ScheduledMessage, Template
from models.people.patient import Patient
from models.workflow.lifecycle import bill, record_payment
from tui.dialogs.confirm import ConfirmDialog
from tui.screens.communications import CommunicationsScreen
from tui.screens.invoice_detail import InvoiceDetailScreen
from tui.widgets.scheduled_table import ScheduledTable

from .conftest import FROZEN_NOW, Clinic_
from .invoices.conftest import messages, settle, until


@dataclass
class Schedule:
    elise: Invoice
    marc: Invoice
    paid: Invoice


@pytest.fixture
def schedule(clinic: Clinic_) -> Schedule:
    """Three invoices billed with every shipped template on: Élise's and Marc's reminders wait,
    the paid one's were cancelled; each invoice email went (Élise's was sent)."""
    clinic.clinic.default_pin_mode = "none"
    clinic.clinic.save()
    Template.update(active=True).execute()

    def billed(last: str, first: str, days_ago: int, language: str) -> Invoice:
        patient = Patient.create(  # consents to attachments: the clinic's PIN mode here is "none"
            last_name=last,
            first_name=first,
            email=f"{first.lower()}@example.org",
            language=language,
            consent_email_attachments=True,
        )
        draft = create_draft(
            patient=patient,
            billing_company=clinic.company,
            lines=[LineInput("Consultation", Decimal(1), 8500)],
        )
        return bill(draft, now=FROZEN_NOW - timedelta(days=days_ago))

    elise = billed("Bélanger", "Élise", 10, "fr")
    marc = billed("Tremblay", "Marc", 3, "en")
    paid = billed("Smith", "Olivia", 1, "en")
    record_payment(paid, paid.total_cents, "card")
    OutboxMessage.update(status=OutboxStatus.SENT.value, sent_at=FROZEN_NOW).where(
        OutboxMessage.invoice == elise.id
    ).execute()
    return Schedule(elise, marc, paid)


async def open_screen(pilot: Pilot[object], **options: object) -> CommunicationsScreen:
    await settle(pilot)
    screen = CommunicationsScreen(pilot.app.session, **options)  # type: ignore[attr-defined]
    pilot.app.push_screen(screen)
    await settle(pilot)
    return screen


def shown(screen: CommunicationsScreen) -> list[tuple[str, str, str]]:
    return [(row.number, row.template, row.status) for row in screen.query_one(ScheduledTable).rows_shown]


async def test_f6_opens_the_waiting_messages_soonest_first(
    make_app: Callable[..., object], schedule: Schedule
) -> None:
    app = make_app("clerk")
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        await settle(pilot)
        await pilot.press("f6")
        await settle(pilot)
        screen = app.screen  # type: ignore[attr-defined]
        assert isinstance(screen, CommunicationsScreen)
        e, m = schedule.elise.number, schedule.marc.number
        assert shown(screen) == [
            (e, "First payment reminder", "scheduled"),
            (m, "First payment reminder", "scheduled"),
            (e, "Second payment reminder", "scheduled"),
            (m, "Second payment reminder", "scheduled"),
        ]
        first = [str(cell) for cell in screen.query_one(ScheduledTable).get_row_at(0)]
        # billed at 10:30 EST; 15 days later, across the change to EDT, it is still 10:30
        assert first[0] == "2026-03-19, 10:30\u202fa.m."
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, CommunicationsScreen)  # type: ignore[attr-defined]


async def test_the_done_view_shows_delivery_status_and_reasons(
    make_app: Callable[..., object], schedule: Schedule
) -> None:
    app = make_app("clerk")
    async with app.run_test(size=(120, 40)) as pilot:  # type: ignore[attr-defined]
        screen = await open_screen(pilot)
        await pilot.press("m")
        await settle(pilot)
        p, m, e = schedule.paid.number, schedule.marc.number, schedule.elise.number
        assert shown(screen) == [
            (p, "Second payment reminder", "cancelled"),
            (p, "First payment reminder", "cancelled"),
            (p, "Invoice email", "pending"),
            (m, "Invoice email", "pending"),
            (e, "Invoice email", "sent"),
        ]
        assert screen.query_one(ScheduledTable).rows_shown[0].reason == "the invoice is paid"
        assert "the invoice is paid" in str(screen.query_one("#comm-selected").render())
        screen.query_one("#comm-status", Select).value = "sent"
        await settle(pilot)
        assert shown(screen) == [(e, "Invoice email", "sent")]
        screen.query_one("#comm-status", Select).value = "cancelled"
        await settle(pilot)
        screen.query_one("#comm-invoice", Input).value = p or ""
        await settle(pilot)
        assert [row[0] for row in shown(screen)] == [p, p]
        screen.query_one("#comm-invoice", Input).value = "CDP-2026-09999"
        await settle(pilot)
        assert shown(screen) == [] and screen.query_one("#comm-invoice").has_class("-invalid")
        assert "CDP-2026-09999" in str(screen.query_one("#comm-error").render())


async def test_cancel_one_then_every_waiting_one_of_an_invoice(
    make_app: Callable[..., object], schedule: Schedule
) -> None:
    app = make_app("clerk")
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        screen = await open_screen(pilot)
        await pilot.press("c")  # Élise's first reminder
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)  # type: ignore[attr-defined]
        await pilot.press("escape")
        await settle(pilot)
        assert len(shown(screen)) == 4
        await pilot.press("c")
        await settle(pilot)
        await pilot.click("#confirm-yes")
        await until(pilot, lambda: len(shown(screen)) == 3)
        row = ScheduledMessage.get(
            (ScheduledMessage.invoice == schedule.elise.id)
            & (ScheduledMessage.status == ScheduleStatus.CANCELLED)
        )
        assert "Carl Clerk" in (row.reason or "")
        await pilot.press("C")  # the cursor is on Marc's first reminder now: all of Marc's
        await settle(pilot)
        assert schedule.marc.number in app.screen.question  # type: ignore[attr-defined]
        await pilot.click("#confirm-yes")
        await until(pilot, lambda: len(shown(screen)) == 1)
        assert [r[0] for r in shown(screen)] == [schedule.elise.number]
        assert "1 message of invoice" in " ".join(messages(app))  # type: ignore[arg-type]
        assert "2 messages of invoice" in " ".join(messages(app))  # type: ignore[arg-type]


async def test_cancelling_needs_the_billing_role(make_app: Callable[..., object], schedule: Schedule) -> None:
    app = make_app("dr.roy")  # a provider
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        screen = await open_screen(pilot)
        await pilot.press("c")
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmDialog)  # type: ignore[attr-defined]
        assert any("facturation" in text for text in messages(app))  # type: ignore[arg-type]
        assert len(shown(screen)) == 4


async def test_done_rows_cannot_be_cancelled_and_enter_opens_the_invoice(
    make_app: Callable[..., object], schedule: Schedule
) -> None:
    app = make_app("clerk")
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        screen = await open_screen(pilot)
        await pilot.press("m")
        await settle(pilot)
        assert not screen.check_action("cancel_one", ())
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, InvoiceDetailScreen)  # type: ignore[attr-defined]


async def test_paging_reads_a_page_at_a_time_in_order(
    make_app: Callable[..., object], schedule: Schedule, clinic: Clinic_
) -> None:
    template = Template.get(Template.system_key == "reminder_first")
    for index in range(60):
        ScheduledMessage.create(
            invoice=schedule.marc,
            template=template,
            due_at=FROZEN_NOW + timedelta(days=40, minutes=index % 7),  # ties on due_at: ordered by id
        )
    app = make_app("clerk")
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        screen = await open_screen(pilot, page_size=25)
        table = screen.query_one(ScheduledTable)
        assert len(table.rows_shown) == 25
        for expected in (50, 64):
            await pilot.press("ctrl+end")  # near the end: the next page loads
            await until(pilot, lambda expected=expected: len(table.rows_shown) == expected)  # type: ignore[misc]
        rows = table.rows_shown
        assert len(rows) == 64 and len({row.id for row in rows}) == 64
        keys = [(row.due_at, row.id) for row in rows]
        assert keys == sorted(keys)
        assert not screen.has_more


SIZES = [(80, 24), (120, 40)]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("view", ["waiting", "done"])
def test_snapshot(
    snap_compare: Callable[..., bool],
    make_app: Callable[..., object],
    schedule: Schedule,
    view: str,
    language: str,
    size: tuple[int, int],
) -> None:
    app = make_app({"fr": "admin", "en": "clerk"}[language])

    async def show(pilot: Pilot[object]) -> None:
        screen = await open_screen(pilot, refresh_seconds=3600)
        if view == "done":
            await pilot.press("m")
        count = 4 if view == "waiting" else 5
        await until(pilot, lambda: screen.reading is None and len(screen.rows) == count)
        await settle(pilot)  # the table sizes its columns to the rows on its next refresh

    assert snap_compare(app, terminal_size=size, run_before=show)


async def test_billing_in_the_tui_goes_through_the_same_hook(
    make_app: Callable[..., object], clinic: Clinic_
) -> None:
    """``b`` on a draft's detail bills it: the automatic invoice email is queued with its template."""
    from tests.tui.invoices.test_detail import open_detail

    clinic.clinic.default_pin_mode = "none"
    clinic.clinic.save()
    Template.update(active=True).where(Template.system_key == "invoice_email").execute()
    patient = Patient.create(
        last_name="Gagnon", first_name="Léa", email="lea@example.org", consent_email_attachments=True
    )
    draft = create_draft(
        patient=patient, billing_company=clinic.company, lines=[LineInput("Consultation", Decimal(1), 8500)]
    )
    app = make_app("clerk")
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        await open_detail(pilot, draft.id)
        await pilot.press("b")
        await until(pilot, lambda: OutboxMessage.select().exists())
        message = OutboxMessage.get()
        assert (message.invoice_id, message.template.system_key, message.recipient_email) == (
            draft.id,
            "invoice_email",
            "lea@example.org",
        )
        row = ScheduledMessage.get()
        assert (row.status, row.outbox_message_id) == (ScheduleStatus.ENQUEUED, message.id)
        assert row.due_at == FROZEN_NOW  # billed on the app's clock

"""The Communications screen through Pilot: waiting messages soonest first, the done ones with their
delivery status, filters, paging from SQL, cancel one or all of an invoice; snapshots."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Select, Static

from models.billing.invoice import Invoice
from models.billing.invoicing import LineInput, create_draft
from models.core.enums import OutboxStatus, ScheduleStatus
from models.messaging.tables import OutboxMessage, ScheduledMessage, Template
from models.people.patient import Patient
from models.workflow.lifecycle import bill, record_payment
from models.workflow.reminder_pauses import ReminderPause
from tui.dialogs.confirm import ConfirmDialog
from tui.dialogs.pause_reminders import PauseRemindersDialog
from tui.screens.communications import CommunicationsScreen
from tui.screens.invoice_detail import InvoiceDetailScreen
from tui.widgets.scheduled_table import ScheduledTable

from .conftest import FROZEN_NOW, Clinic_, snapshot_cases
from .invoices.conftest import messages, settle, until

EMAIL_TEMPLATES = ("invoice_email", "reminder_first", "reminder_second")


@dataclass
class Schedule:
    elise: Invoice
    marc: Invoice
    paid: Invoice


@pytest.fixture
def schedule(clinic: Clinic_) -> Schedule:
    """Three invoices billed with the shipped invoice email and email reminders on: Élise's and
    Marc's reminders wait, the paid one's were cancelled; each invoice email went (Élise's was sent).
    The clinic sends on weekdays, 08:00 to 18:00, but not on Québec's public holidays: Élise's second
    reminder falls on Good Friday."""
    clinic.clinic.default_pin_mode = "none"
    clinic.clinic.send_opens, clinic.clinic.send_closes, clinic.clinic.send_days = "08:00", "18:00", "1-5"
    clinic.clinic.holiday_calendar = "CA-QC"
    clinic.clinic.save()
    Template.update(active=True).where(Template.system_key.in_(EMAIL_TEMPLATES)).execute()

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
        await pilot.press("p")  # pausing reminders too
        await settle(pilot)
        assert app.screen is screen  # type: ignore[attr-defined]
        assert len([text for text in messages(app) if "facturation" in text]) == 2  # type: ignore[union-attr]
        assert not ReminderPause.select().exists()


async def test_the_waiting_view_says_when_each_goes_and_why_for_30_days_or_all(
    make_app: Callable[..., object], schedule: Schedule
) -> None:
    template = Template.get(Template.system_key == "reminder_first")
    later = ScheduledMessage.create(
        invoice=schedule.marc, template=template, due_at=FROZEN_NOW + timedelta(days=45)
    )
    app = make_app("clerk")
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        screen = await open_screen(pilot)
        table = screen.query_one(ScheduledTable)
        assert (
            str(screen.query_one("#comm-holidays", Static).render()) == "Public holidays: Apr 3 Good Friday"
        )
        friday = table.rows_shown[2]  # Élise's second reminder falls on Good Friday: Monday, at 08:00
        assert (friday.number, friday.labels) == (schedule.elise.number, ("holiday",))
        assert str(table.get_row_at(2)[0]) == "2026-04-06, 8:00\u202fa.m."
        await pilot.press("down", "down")
        assert "a public holiday: Good Friday; it will go on 2026-04-06" in str(
            screen.query_one("#comm-selected").render()
        )
        assert later.id not in {row.id for row in table.rows_shown}  # 45 days ahead
        screen.query_one("#comm-scope", Select).value = "all"
        await until(pilot, lambda: later.id in {row.id for row in table.rows_shown})
        await pilot.press("m")  # the done view: no scope, no holidays
        await settle(pilot)
        assert not screen.query_one("#comm-scope").display and not screen.query_one("#comm-holidays").display


async def test_pause_an_invoices_reminders_from_the_keyboard_then_resume(
    make_app: Callable[..., object], schedule: Schedule, clinic: Clinic_
) -> None:
    app = make_app("clerk")
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        screen = await open_screen(pilot)
        table = screen.query_one(ScheduledTable)
        assert not screen.check_action("resume", ())  # nothing paused yet
        await pilot.press("p")  # Élise's first reminder: her invoice
        await settle(pilot)
        dialog = app.screen  # type: ignore[attr-defined]
        assert isinstance(dialog, PauseRemindersDialog)
        assert dialog.query_one("#pause-until", Input).placeholder == "YYYY-MM-DD; today is 2026-03-14"
        await pilot.press(*"voyage", "enter", *"2026-13-01", "enter")
        await settle(pilot)
        field = dialog.query_one("#field-resume_on")
        assert field.has_class("-has-error")
        assert "2026-13-01 is not a date: write it as YYYY-MM-DD" in str(
            field.query_one(".field-error").render()
        )
        assert dialog.query_one("#pause-reason", Input).value == "voyage"  # what was typed is kept
        dialog.query_one("#pause-until", Input).value = ""
        await pilot.press(*"2026-04-01", "enter")
        await until(pilot, lambda: app.screen is screen)  # type: ignore[attr-defined]
        await settle(pilot)
        number = schedule.elise.number
        assert f"Reminders of invoice {number} paused until Apr 1, 2026." in messages(app)  # type: ignore[arg-type]
        pause = ReminderPause.get()
        assert (pause.invoice_id, pause.patient_id, pause.reason, str(pause.resume_on)) == (
            schedule.elise.id,
            None,
            "voyage",
            "2026-04-01",
        )
        first = table.rows_shown[0]
        assert first.labels == ("paused",) and first.pause is not None
        assert first.warnings == ("paused until Apr 1, 2026: voyage",)
        assert str(table.get_row_at(0)[0]) == "2026-04-01, 10:30\u202fa.m."  # at its time of day
        assert table.rows_shown[2].labels == ("holiday",)  # its second reminder is after the pause

        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)  # type: ignore[attr-defined]
        assert "paused until Apr 1, 2026" in app.screen.question  # type: ignore[attr-defined]
        await pilot.click("#confirm-yes")
        await until(pilot, lambda: table.rows_shown[0].pause is None)
        assert f"Reminders of invoice {number} resumed." in messages(app)  # type: ignore[arg-type]
        ended = ReminderPause.get()
        assert ended.ended_at == FROZEN_NOW and ended.ended_by_id == clinic.clerk.id


async def test_pause_a_patients_reminders(make_app: Callable[..., object], schedule: Schedule) -> None:
    app = make_app("clerk")
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        screen = await open_screen(pilot)
        await pilot.press("down")  # Marc's first reminder
        await pilot.press("p")
        await settle(pilot)
        dialog = app.screen  # type: ignore[attr-defined]
        dialog.query_one("#pause-target", Select).value = "patient"
        await pilot.press("enter")  # no reason, no date: both refused at once
        await pilot.click("#pause-ok")
        await settle(pilot)
        assert dialog.query_one("#field-reason").has_class("-has-error")
        assert dialog.query_one("#field-resume_on").has_class("-has-error")
        dialog.query_one("#pause-reason", Input).value = "assurance"
        dialog.query_one("#pause-until", Input).value = "2026-04-15"
        dialog.query_one("#pause-until", Input).focus()
        await pilot.press(
            "enter"
        )  # Enter in the date submits (the button ignores a click this soon after one)
        await until(pilot, lambda: app.screen is screen)  # type: ignore[attr-defined]
        await settle(pilot)
        assert "Reminders of Marc Tremblay's invoices paused until Apr 15, 2026." in messages(app)  # type: ignore[arg-type]
        assert ReminderPause.get().patient_id == schedule.marc.patient_id
        paused = [row for row in screen.query_one(ScheduledTable).rows_shown if row.labels == ("paused",)]
        assert {row.number for row in paused} == {schedule.marc.number}  # both of Marc's, due before the 15th


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
            due_at=FROZEN_NOW + timedelta(days=20, minutes=index % 7),  # ties on due_at: ordered by id
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


@snapshot_cases
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

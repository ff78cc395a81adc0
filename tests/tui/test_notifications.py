"""The notification center (F9), the unread count in the status bar, and toasts for new ones."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable

from models.billing.invoice import Invoice
from models.billing.invoicing import LineInput, create_draft
from models.messaging.notifications import FAILED_NOTICE, PAYMENT_NOTICE
from models.messaging.tables import Notification
from models.people.patient import Patient
from models.views.notification_center import NoticeView
from models.workflow.lifecycle import bill
from testbed.textual_private import notifications
from tui.notice_watcher import NoticeWatcher
from tui.screens.invoice_detail import InvoiceDetailScreen
from tui.screens.notifications import NotificationsScreen
from tui.widgets.status_bar import StatusBar

from .conftest import FROZEN_NOW, Clinic_
from .invoices.conftest import settle, until


def invoice_of(clinic: Clinic_) -> Invoice:
    patient = Patient.create(last_name="Bélanger", first_name="Élise", email="elise@example.org")
    draft = create_draft(
        patient=patient, billing_company=clinic.company, lines=[LineInput("Consultation", Decimal(1), 8500)]
    )
    return bill(draft, now=FROZEN_NOW - timedelta(days=3))


def notice(staff_id: int, invoice: Invoice, msgid: str, minutes_ago: int, **params: object) -> Notification:
    return Notification.create(
        staff=staff_id,
        kind="payment_received" if msgid == PAYMENT_NOTICE else "delivery_failed",
        invoice=invoice,
        message=msgid,
        params=json.dumps({"invoice": invoice.number, **params}),
        created_at=FROZEN_NOW - timedelta(minutes=minutes_ago),
    )


@pytest.fixture
def notices(clinic: Clinic_) -> tuple[Invoice, list[Notification]]:
    """The admin has a payment (newest) and a failure; the clerk has one of their own."""
    invoice = invoice_of(clinic)
    rows = [
        notice(clinic.admin.id, invoice, PAYMENT_NOTICE, 5, amount_cents=8500, currency="CAD"),
        notice(
            clinic.admin.id,
            invoice,
            FAILED_NOTICE,
            90,
            recipient="elise@example.org",
            reason="550 5.1.1 mailbox unavailable",
        ),
        notice(clinic.clerk.id, invoice, PAYMENT_NOTICE, 1, amount_cents=100, currency="CAD"),
    ]
    return invoice, rows


def texts(table: DataTable[str]) -> list[list[str]]:
    return [[str(cell) for cell in table.get_row_at(index)] for index in range(table.row_count)]


async def open_center(pilot: Pilot[object]) -> NotificationsScreen:
    await settle(pilot)
    await pilot.press("f9")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, NotificationsScreen)
    await until(pilot, lambda: screen.loaded)
    return screen


async def test_the_center_lists_one_s_own_notifications_newest_first_and_marks_them_read(
    make_app: Callable[..., object], clinic: Clinic_, notices: tuple[Invoice, list[Notification]]
) -> None:
    invoice, (payment, failure, _) = notices
    app = make_app("admin")
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        bar = app.screen.query_one(StatusBar)  # type: ignore[attr-defined]
        await until(pilot, lambda: bar.loaded)
        assert str(bar.render()).startswith("2 avis (F9) · Agent : arrêté")
        center = await open_center(pilot)
        table = center.query_one(DataTable)
        rows = texts(table)
        assert [row[0] for row in rows] == ["●", "●"]
        assert rows[0][2] == f"La facture {invoice.number} a été payée en ligne : 85,00\xa0$"
        assert rows[1][2].startswith(f"La facture {invoice.number} n’a pas pu être livrée")
        assert "85,00\xa0$" in str(center.query_one("#notices-selected").render())

        await pilot.press("r")
        await until(pilot, lambda: texts(table)[0][0] == "")
        assert Notification.get_by_id(payment.id).read_at is not None
        assert Notification.get_by_id(failure.id).read_at is None

        await pilot.press("a")
        await until(pilot, lambda: [row[0] for row in texts(table)] == ["", ""])
        assert (
            not Notification.select()
            .where((Notification.staff == clinic.admin.id) & Notification.read_at.is_null())
            .exists()
        )
        assert Notification.select().where(Notification.read_at.is_null()).count() == 1  # the clerk's

        await pilot.press("escape")
        await until(pilot, lambda: str(bar.render()).startswith("Agent :"))


async def test_opening_a_notification_shows_its_invoice_and_counts_as_read(
    make_app: Callable[..., object], clinic: Clinic_, notices: tuple[Invoice, list[Notification]]
) -> None:
    invoice, (_, failure, _) = notices
    app = make_app("admin")
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        center = await open_center(pilot)
        await pilot.press("down", "enter")
        await until(pilot, lambda: isinstance(app.screen, InvoiceDetailScreen))  # type: ignore[attr-defined]
        assert app.screen.invoice_id == invoice.id  # type: ignore[attr-defined]
        await until(pilot, lambda: Notification.get_by_id(failure.id).read_at is not None)
        assert center.is_attached


async def test_nothing_to_show_says_so(make_app: Callable[..., object], clinic: Clinic_) -> None:
    app = make_app("clerk")
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        center = await open_center(pilot)
        assert center.query_one("#notices-empty").display
        assert str(center.query_one("#notices-empty").render()) == "No notification"


async def test_a_new_notification_pops_up_for_whoever_is_logged_in(
    make_app: Callable[..., object],
    clinic: Clinic_,
    notices: tuple[Invoice, list[Notification]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("tui.notice_watcher.POLL_SECONDS", 0.1)
    polls: list[int] = []  # the notifications each finished poll brought
    toast = NoticeWatcher._toast

    def counted(watcher: NoticeWatcher, fresh: list[NoticeView]) -> None:
        polls.append(len(fresh))
        toast(watcher, fresh)

    monkeypatch.setattr(NoticeWatcher, "_toast", counted)
    invoice, _ = notices
    app = make_app("clerk")
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        await settle(pilot)
        await until(pilot, lambda: len(polls) >= 3, settling=False)  # the read at login, two polls
        toasts = lambda: notifications(app)  # noqa: E731
        assert toasts() == []  # what existed at login is counted in the status bar, not popped up
        notice(clinic.clerk.id, invoice, PAYMENT_NOTICE, 0, amount_cents=4250, currency="CAD")
        notice(clinic.admin.id, invoice, PAYMENT_NOTICE, 0, amount_cents=1, currency="CAD")  # not theirs
        await until(pilot, lambda: bool(toasts()))
        assert toasts() == [f"Invoice {invoice.number} was paid online: $42.50"]
        polled = len(polls)
        await until(pilot, lambda: len(polls) >= polled + 2, settling=False)  # two polls more
        assert sum(polls) == 1  # shown once (counted by poll: a toast goes after its 10 s anyway)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_snapshot(
    snap_compare: Callable[..., bool],
    make_app: Callable[..., object],
    clinic: Clinic_,
    notices: tuple[Invoice, list[Notification]],
    language: str,
) -> None:
    _, (payment, _, _) = notices
    Notification.update(read_at=FROZEN_NOW).where(Notification.id == payment.id).execute()
    invoice = notices[0]
    notice(clinic.clerk.id, invoice, FAILED_NOTICE, 200, recipient="olivia@example.org", reason="timeout")
    app = make_app("admin" if language == "fr" else "clerk")

    async def show(pilot: Pilot[object]) -> None:
        await open_center(pilot)
        pilot.app.clear_notifications()
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=show)

"""Statements of account from the patient's screen (through Pilot, at 80x24): made from the keyboard,
sent through the outbox, printed, paid at the desk oldest invoice first; nothing made when nothing is
owed; a provider refused."""

from __future__ import annotations

import stat
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Checkbox, DataTable, Input, RadioButton, TextArea

from models.billing.invoice import Invoice
from models.billing.invoicing import LineInput, create_draft
from models.billing.statements import Statement
from models.core.config import PrintSettings
from models.messaging.tables import OutboxMessage
from models.people.clinic import BillingCompany
from models.people.patient import Patient
from models.workflow.lifecycle import bill
from testbed.textual_private import notifications
from tui.dialogs.account_picker import AccountPicker
from tui.dialogs.payment import PaymentDialog
from tui.dialogs.pin_handover import PinHandoverDialog
from tui.screens.patient_form import PatientFormScreen
from tui.screens.send_statement import SendStatementScreen
from tui.screens.statement import StatementScreen

from .conftest import FROZEN_NOW, Clinic_
from .settling import settle, until


@pytest.fixture
def patient(clinic: Clinic_) -> Patient:
    return Patient.create(
        last_name="Bélanger",
        first_name="Élise",
        email="elise@example.org",
        cell_phone="+15145551000",
        language="fr",
        health_insurance_number="BELE85512315",
    )


def billed(
    clinic: Clinic_, patient: Patient, cents: int, days_ago: int, company: BillingCompany | None = None
) -> Invoice:
    draft = create_draft(
        patient=patient,
        billing_company=company or clinic.company,
        provider=clinic.provider,
        lines=[LineInput("Consultation", Decimal(1), cents, Decimal(0), "C01")],
    )
    return bill(draft, now=FROZEN_NOW - timedelta(days=days_ago))


@pytest.fixture
def invoices(clinic: Clinic_, patient: Patient) -> list[Invoice]:
    """Three open invoices, oldest first: 95,00 $ (60 days ago), 80,00 $ (30), 50,00 $ (today)."""
    return [
        billed(clinic, patient, 9500, 60),
        billed(clinic, patient, 8000, 30),
        billed(clinic, patient, 5000, 0),
    ]


async def open_patient(pilot: Pilot[object], name: str) -> PatientFormScreen:
    """From the Patients tab, as staff do it: search, Enter to the list, Enter to open."""
    await settle(pilot)
    field = pilot.app.screen.query_one("#patients-search", Input)
    field.focus()
    await pilot.press(*name, "enter", "enter")
    await until(pilot, lambda: isinstance(pilot.app.screen, PatientFormScreen) and pilot.app.screen.ready)
    form = pilot.app.screen
    assert isinstance(form, PatientFormScreen)
    return form


async def make_statement(pilot: Pilot[object], name: str = "belanger") -> StatementScreen:
    await open_patient(pilot, name)
    await pilot.press("ctrl+t")
    await until(
        pilot, lambda: isinstance(pilot.app.screen, StatementScreen) and pilot.app.screen.view is not None
    )
    screen = pilot.app.screen
    assert isinstance(screen, StatementScreen)
    return screen


def table_rows(screen: StatementScreen) -> list[list[str]]:
    table = screen.query_one("#statement-invoices", DataTable)
    return [[str(cell) for cell in table.get_row_at(index)] for index in range(table.row_count)]


def visible(screen: StatementScreen, selector: str) -> bool:
    """The widget is drawn inside the 80x24 screen, whole."""
    region = screen.query_one(selector).region
    return region.height > 0 and region.bottom <= 24 and region.right <= 80


async def test_make_send_and_pay_a_statement_from_the_keyboard(
    make_app: Callable[..., Any], clinic: Clinic_, patient: Patient, invoices: list[Invoice]
) -> None:
    app = make_app("clerk")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await make_statement(pilot)
        statement = Statement.get()
        view = screen.view
        assert view is not None and view.reference == statement.reference == "CDP-ST-00001"
        assert view.balance_cents == view.due_now_cents == 22500
        rows = table_rows(screen)
        assert [row[0] for row in rows] == [invoice.number for invoice in invoices]  # oldest first
        assert rows[0][3:7] == ["$95.00", "", "", "$95.00"]  # total, credited, paid, balance
        assert rows[0][7] and not rows[2][7]  # the oldest is overdue, today's is not
        assert "CDP-ST-00001" in str(screen.query_one("#statement-title").render())
        assert "$225.00" in str(screen.query_one("#statement-totals").render())
        # Everything fits 80x24: the table's widest column and the totals, and the footer's keys.
        table = screen.query_one("#statement-invoices", DataTable)
        assert table.virtual_size.width <= table.size.width
        assert visible(screen, "#statement-totals")
        footer = {binding.action for (_k, binding, enabled, _t) in app.active_bindings.values() if enabled}
        assert {"send", "print", "payment", "leave"} <= footer

        # Send: the patient's email, the usual sentence, the PIN handed over by the clinic.
        await pilot.press("s")
        await until(
            pilot, lambda: isinstance(app.screen, SendStatementScreen) and app.screen.draft is not None
        )
        dialog = app.screen
        email = dialog.query_one("#send-email", Input)
        assert email.value == "elise@example.org"
        message = dialog.query_one("#send-message", TextArea)
        assert message.text == "Votre relevé de compte du 14 mars 2026 est prêt à être téléchargé."  # hers
        dialog.query_one("#pin-institution", RadioButton).value = True
        await pilot.pause()
        assert dialog.query_one("#send-pin", Input).value == "512315"
        link = dialog.query_one("#send-link", Checkbox)  # no Stripe key here: no Pay button, and why
        assert link.disabled and "no Stripe key" in str(dialog.query_one("#send-link-note").render())
        email.value = "elise@@example"  # refused, and what was typed stays
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is dialog
        assert "elise@@example" in str(dialog.query_one("#field-email .field-error").render())
        assert email.value == "elise@@example" and OutboxMessage.select().count() == 0
        email.value = "elise.belanger@example.org"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, PinHandoverDialog))
        handover = app.screen
        assert "Statement CDP-ST-00001" in " ".join(str(s.render()) for s in handover.query(".handover-note"))
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen)
        assert any(
            "Statement CDP-ST-00001 is queued for elise.belanger@example.org" in t for t in notifications(app)
        )
        (queued,) = OutboxMessage.select()
        assert (queued.kind, queued.recipient_email, queued.pin_mode) == (
            "statement",
            "elise.belanger@example.org",
            "institution",
        )
        assert queued.__data__["statement"] == statement.id and queued.__data__["invoice"] == invoices[-1].id
        assert Patient.get_by_id(patient.id).email == "elise@example.org"  # this message only

        # Pay part of it: the oldest invoice in full, then 5,00 $ of the next.
        await pilot.press("p")
        await until(pilot, lambda: isinstance(app.screen, PaymentDialog))
        payment = app.screen
        assert "statement CDP-ST-00001" in str(payment.query_one("#payment-title").render())
        amount = payment.query_one("#payment-amount", Input)
        assert amount.value == "225.00"
        amount.value = "100.00"
        await pilot.press("enter")
        await until(pilot, lambda: screen.view is not None and screen.view.due_now_cents == 12500)
        said = next(t for t in notifications(app) if "recorded for statement" in t)
        assert f"on 2 invoices: {invoices[0].number} ($95.00), {invoices[1].number} ($5.00)" in said
        assert "Still owed: $125.00" in said
    first, second, third = (Invoice.get_by_id(invoice.id) for invoice in invoices)
    assert (first.status, first.balance_cents) == ("paid", 0)
    assert (second.status, second.balance_cents) == ("billed", 7500)
    assert third.balance_cents == 5000


async def test_printing_without_a_printer_keeps_the_pdf_and_says_where(
    make_app: Callable[..., Any],
    clinic: Clinic_,
    patient: Patient,
    invoices: list[Invoice],
    tmp_path: Path,
) -> None:
    folder = tmp_path / "slips"
    app = make_app("admin", print=PrintSettings(command="no-such-lp-command", folder=str(folder)))
    async with app.run_test(size=(80, 24)) as pilot:
        await make_statement(pilot)
        await pilot.press("i")
        await until(pilot, lambda: any(str(folder) in t for t in notifications(app)), timeout=60)
        said = next(t for t in notifications(app) if str(folder) in t)
    (pdf,) = folder.glob("*.pdf")
    assert pdf.name == "statement-CDP-ST-00001.pdf" and str(pdf) in said and "no-such-lp-command" in said
    assert pdf.read_bytes().startswith(b"%PDF") and stat.S_IMODE(pdf.stat().st_mode) == 0o600


async def test_with_several_accounts_staff_choose_which(
    make_app: Callable[..., Any], clinic: Clinic_, patient: Patient, invoices: list[Invoice]
) -> None:
    other = BillingCompany.create(
        clinic=clinic.clinic, name="Physio Parc SENC", currency="CAD", number_prefix="PHY"
    )
    billed(clinic, patient, 7000, 10, company=other)
    app = make_app("clerk")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_patient(pilot, "belanger")
        await pilot.press("ctrl+t")
        await until(pilot, lambda: isinstance(app.screen, AccountPicker))
        assert Statement.select().count() == 0  # nothing made before staff choose
        await pilot.press("down", "enter")
        await until(pilot, lambda: isinstance(app.screen, StatementScreen) and app.screen.view is not None)
        view = app.screen.view
    assert view.reference == "PHY-ST-00001" and view.company_name == "Physio Parc SENC"
    assert view.balance_cents == 7000 and Statement.select().count() == 1


async def test_nothing_owed_is_said_and_nothing_made(
    make_app: Callable[..., Any], clinic: Clinic_, patient: Patient
) -> None:
    app = make_app("admin")  # in French
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_patient(pilot, "belanger")
        await pilot.press("ctrl+t")
        await until(
            pilot,
            lambda: any("aucun relevé" in t or "no statement was made" in t for t in notifications(app)),
        )
        assert app.screen is form
    assert Statement.select().count() == 0


async def test_a_provider_is_refused(
    make_app: Callable[..., Any], clinic: Clinic_, patient: Patient, invoices: list[Invoice]
) -> None:
    app = make_app("dr.roy")
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_patient(pilot, "belanger")
        await pilot.press("ctrl+t")
        await until(pilot, lambda: bool(notifications(app)))
        assert app.screen is form
        assert any("Dre Julie Roy" in t and "facturation" in t for t in notifications(app))  # in French
    assert Statement.select().count() == 0

"""The app shell: who may start it, the tabs, roles and the status bar."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal

import pytest
from textual.widgets import TabbedContent

from models.core.config import Config, DatabaseSettings
from models.core.errors import DatabaseError
from testbed.textual_private import SelectOverlay, bindings_for, notifications
from tui.app import build_app
from tui.startup import NotStaff
from tui.widgets.status_bar import StatusBar

from .conftest import Clinic_, frozen_clock


async def wait_status(app) -> StatusBar:  # type: ignore[no-untyped-def]
    bar = app.screen.query_one(StatusBar)
    await app.workers.wait_for_complete()
    return bar


async def test_the_app_opens_on_patients_in_the_staff_language(make_app: Callable[..., object]) -> None:
    app = make_app("clerk")
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        await pilot.pause()
        tabs = app.screen.query_one(TabbedContent)
        assert tabs.active == "patients"
        assert str(tabs.get_tab("history").label) == "F3 History"
        bar = await wait_status(app)
        assert "Agent: stopped" in str(bar.render())
        await pilot.press("f3")
        assert tabs.active == "history"


async def test_french_staff_read_french(make_app: Callable[..., object]) -> None:
    app = make_app("admin")
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        await pilot.pause()
        tabs = app.screen.query_one(TabbedContent)
        assert str(tabs.get_tab("history").label) == "F3 Historique"


async def test_settings_are_refused_to_non_admins_with_the_reason(make_app: Callable[..., object]) -> None:
    app = make_app("clerk")
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        await pilot.press("f4")
        tabs = app.screen.query_one(TabbedContent)
        assert tabs.active == "patients"
        messages = notifications(app)
        assert any("admin" in m and "Carl Clerk" in m for m in messages), messages


def test_an_unknown_user_is_told_the_command_that_adds_them(tui_config: Config, clinic: Clinic_) -> None:
    with pytest.raises(NotStaff) as info:
        build_app(tui_config, "nobody", clock=frozen_clock)
    assert "facteur staff add nobody" in str(info.value)


def test_a_missing_database_names_db_init(tui_config: Config, tmp_path) -> None:  # type: ignore[no-untyped-def]
    config = replace(tui_config, database=DatabaseSettings(url=f"sqlite:///{tmp_path / 'none.db'}"))
    with pytest.raises(DatabaseError) as info:
        build_app(config, "admin")
    assert "facteur db init" in str(info.value)


async def test_the_status_bar_shows_the_agent_the_outbox_and_the_last_sync(
    make_app: Callable[..., object], clinic: Clinic_
) -> None:
    from datetime import timedelta

    from models.billing.invoicing import LineInput, create_draft
    from models.messaging.agent_state import beat
    from models.messaging.tables import OutboxMessage
    from models.people.patient import Patient
    from models.workflow.lifecycle import bill

    from .conftest import FROZEN_NOW

    patient = Patient.create(last_name="Roy", first_name="Luc", email="luc@example.org")
    invoice = bill(
        create_draft(
            patient=patient,
            billing_company=clinic.company,
            provider=clinic.provider,
            lines=[LineInput("Consultation", Decimal(1), 8500, Decimal(0), "C01")],
        ),
        now=FROZEN_NOW,
    )
    for status in ("pending", "pending", "failed", "sent"):
        OutboxMessage.create(
            kind="invoice", invoice=invoice, recipient_email="luc@example.org", language="fr", status=status
        )
    beat("host:1", "host", 1, online=True, synced=True, now=FROZEN_NOW - timedelta(seconds=30))
    app = make_app("clerk")
    async with app.run_test(size=(80, 24)):  # type: ignore[attr-defined]
        text = str((await wait_status(app)).render())
        # 11:29 in Montréal (EDT) on the frozen day: today's sync is a bare time, so the line fits 80 columns
        assert text == "Agent: online · to send: 2 · failed: 1 · last sync: 11:29", text
    beat("host:1", "host", 1, online=False, now=FROZEN_NOW)
    app = make_app("clerk")
    async with app.run_test(size=(80, 24)):  # type: ignore[attr-defined]
        assert "Agent: offline" in str((await wait_status(app)).render())
    # a server refuses its settings: blocked, even while it tries again (online)
    beat(
        "host:1",
        "host",
        1,
        online=True,
        blocked="530 5.7.0 Must issue a STARTTLS command first",
        now=FROZEN_NOW,
    )
    app = make_app("clerk")
    async with app.run_test(size=(80, 24)):  # type: ignore[attr-defined]
        assert "Agent: a setting to fix · to send: 2" in str((await wait_status(app)).render())
    # kept to the provider's pace: how long the queue takes; paused by its daily limit: until when
    beat("host:1", "host", 1, online=True, blocked="", pace=30, now=FROZEN_NOW)
    app = make_app("clerk")
    async with app.run_test(size=(120, 24)):  # type: ignore[attr-defined]
        text = str((await wait_status(app)).render())
        assert text == "Agent: online · to send: 2 (30/min, ~1 min) · failed: 1 · last sync: 11:29", text
    beat(
        "host:1",
        "host",
        1,
        online=False,
        pace=30,
        paused_until=FROZEN_NOW + timedelta(hours=2),
        now=FROZEN_NOW,
    )
    app = make_app("clerk")
    async with app.run_test(size=(80, 24)):  # type: ignore[attr-defined]
        text = str((await wait_status(app)).render())
        assert text == "Agent: paused until 13:30 · to send: 2 (30/min, ~2 hrs) · failed: 1", text


@pytest.mark.parametrize(("login_language", "label"), [("fr", "Fermer la liste"), ("en", "Close the list")])
async def test_textual_widgets_own_footer_bindings_speak_the_readers_language(
    make_app: Callable[..., object], login_language: str, label: str
) -> None:
    from textual.widgets import Select

    from models.people.clinic import Staff

    Staff.update(language=login_language).where(Staff.login == "admin").execute()
    app = make_app("admin")
    async with app.run_test(size=(120, 40)) as pilot:  # type: ignore[attr-defined]
        await pilot.press("f5")
        await pilot.pause()
        select = app.screen.query(Select).first()  # type: ignore[attr-defined]
        select.focus()
        await pilot.press("enter")  # the list opens, and takes the focus
        await pilot.pause()
        overlay = app.focused  # type: ignore[attr-defined]
        assert isinstance(overlay, SelectOverlay)
        (escape,) = bindings_for(overlay, "escape")
        assert escape.description == label

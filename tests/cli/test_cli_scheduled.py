"""``facteur invoice bill`` goes through the billing hook (automatic email, reminders); ``facteur
scheduled [--json] [--status] [--invoice]`` and ``facteur scheduled cancel``, run as users run them."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from tests.conftest import CliResult

from .test_cli_outbox import failed, ok

Cli = Callable[..., CliResult]
KEYS = {
    "id",
    "invoice_id",
    "invoice_number",
    "template_id",
    "template",
    "template_key",
    "kind",
    "due_at",
    "status",
    "reason",
    "outbox_id",
    "delivery_status",
    "recipient",
    "sent_at",
    "created_at",
    "updated_at",
}


def local_url(database_url: str) -> str:
    """The URL the CLI's config names: on SQLite the test folder's ``facteur.db``."""
    return "sqlite:///facteur.db" if database_url.startswith("sqlite:") else database_url


def templates_on(database_url: str, pin_mode: str = "none") -> None:
    """What an admin does in the Templates screen: every shipped template on."""
    from models.database.db import close_database, open_database
    from models.messaging.tables import Template
    from models.people.clinic import Clinic
    from models.people.patient import Patient

    open_database(local_url(database_url))
    Template.update(active=True).where(
        Template.channel == "email"
    ).execute()  # the emails; texts have their tests
    Patient.update(consent_email_attachments=True).execute()  # the mode "none" attaches the PDF
    Clinic.update(default_pin_mode=pin_mode).execute()
    close_database()


@pytest.fixture
def billed(cli: Cli, database_url: str) -> list[str]:
    """Two drafts of the demo billed from the command line, with the shipped templates on."""
    ok(cli("db", "init", "--demo"))
    templates_on(database_url)
    drafts = [
        i
        for i in json.loads(ok(cli("invoice", "list", "--status", "draft", "--json")))
        if i["billed_to_email"]
    ]
    numbers = []
    for draft in drafts[:2]:
        out = ok(cli("invoice", "bill", str(draft["id"])))
        numbers.append(out.split()[-1].rstrip("."))
    return numbers


def test_billing_from_the_cli_queues_the_invoice_email_and_schedules_the_reminders(
    cli: Cli, billed: list[str]
) -> None:
    rows: list[dict[str, Any]] = json.loads(ok(cli("scheduled", "--json")))
    assert len(rows) == 6 and all(row.keys() == KEYS for row in rows)
    first = [row for row in rows if row["invoice_number"] == billed[0]]
    by_key = {row["template_key"]: row for row in first}
    email = by_key["invoice_email"]
    assert (email["status"], email["kind"], email["delivery_status"]) == ("enqueued", "invoice", "pending")
    assert email["template"] == "Invoice email" and email["outbox_id"] is not None
    assert by_key["reminder_first"]["status"] == "scheduled" and by_key["reminder_first"]["outbox_id"] is None
    outbox = json.loads(ok(cli("outbox", "--json")))
    assert {message["outbox_id"] for message in outbox} == {
        row["outbox_id"] for row in rows if row["outbox_id"] is not None
    }


def test_listing_filters_and_orders(cli: Cli, billed: list[str]) -> None:
    waiting = json.loads(ok(cli("scheduled", "--status", "scheduled", "--json")))
    assert [row["template_key"] for row in waiting] == [
        "reminder_first",
        "reminder_first",
        "reminder_second",
        "reminder_second",
    ]  # soonest first
    assert [row["due_at"] for row in waiting] == sorted(row["due_at"] for row in waiting)
    mine = json.loads(ok(cli("scheduled", "--invoice", billed[1], "--json")))
    assert {row["invoice_number"] for row in mine} == {billed[1]} and len(mine) == 3
    table = ok(cli("scheduled", "--limit", "2"))
    lines = table.splitlines()
    assert lines[0].split() == ["Id", "When", "Invoice", "Template", "Status", "Reason"]
    assert len(lines) == 4 and "Second payment reminder" in lines[2]
    assert "invalid choice" in failed(cli("scheduled", "--status", "sent"), code=2)
    assert "no invoice NOPE-1" in failed(cli("scheduled", "--invoice", "NOPE-1"))


def test_cancel_one_then_an_invoices_waiting_ones(
    cli: Cli, billed: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    waiting = json.loads(ok(cli("scheduled", "--status", "scheduled", "--json")))
    target = waiting[0]
    assert (
        ok(cli("scheduled", "cancel", str(target["id"]))) == f"Scheduled message {target['id']} cancelled.\n"
    )
    (row,) = [r for r in json.loads(ok(cli("scheduled", "--json"))) if r["id"] == target["id"]]
    assert row["status"] == "cancelled" and row["reason"].startswith("cancelled by ")
    again = failed(cli("scheduled", "cancel", str(target["id"])))
    assert "is cancelled: only a message still waiting can be cancelled" in again
    assert "there is no scheduled message 999" in failed(cli("scheduled", "cancel", "999"))
    emails = [r for r in json.loads(ok(cli("scheduled", "--json"))) if r["status"] == "enqueued"]
    assert "only a message still waiting" in failed(cli("scheduled", "cancel", str(emails[0]["id"])))
    other = billed[1] if target["invoice_number"] == billed[0] else billed[0]
    monkeypatch.setenv("FACTEUR_LANG", "fr")
    out = ok(cli("scheduled", "cancel", "--invoice", other))
    assert out == f"2 messages en attente de la facture {other} annulés.\n"
    assert json.loads(ok(cli("scheduled", "--status", "scheduled", "--invoice", other, "--json"))) == []
    monkeypatch.setenv("FACTEUR_LANG", "en")
    assert "one of the arguments ID --invoice is required" in failed(cli("scheduled", "cancel"), code=2)


def test_an_sms_pin_mode_without_a_phone_is_skipped_not_lost(cli: Cli, database_url: str) -> None:
    ok(cli("db", "init", "--demo"))
    templates_on(database_url, "sms")
    ok(cli("patient", "add", "--last-name", "Sans", "--first-name", "Cell", "--email", "cell@example.org"))
    from models.billing.invoicing import LineInput, create_draft
    from models.database.db import close_database, open_database
    from models.people.clinic import get_clinic
    from models.people.patient import Patient

    open_database(local_url(database_url))
    draft = create_draft(
        patient=Patient.get(Patient.email == "cell@example.org"),
        billing_company=get_clinic().billing_companies[0],
        lines=[LineInput("Consultation", Decimal(1), 8500)],
    )
    close_database()
    ok(cli("invoice", "bill", str(draft.id)))
    (email,) = [r for r in json.loads(ok(cli("scheduled", "--json"))) if r["template_key"] == "invoice_email"]
    assert email["status"] == "skipped" and email["outbox_id"] is None
    assert email["reason"] == "the PIN goes by text message and the invoice has no cell phone number"
    assert "the PIN goes by text message" in ok(cli("scheduled", "--status", "skipped"))

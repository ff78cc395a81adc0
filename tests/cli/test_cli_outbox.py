"""``facteur invoice send``, ``facteur outbox`` and ``facteur transmissions``, run as users run them."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import CliResult

Cli = Callable[..., CliResult]


def ok(result: CliResult) -> str:
    assert (result.code, result.err) == (0, ""), result.err
    return result.out


def failed(result: CliResult, code: int = 1) -> str:
    assert result.code == code, (result.code, result.out, result.err)
    assert result.err.startswith("facteur: ") and result.err.count("\n") == 1
    assert "Traceback" not in result.err
    return result.err


@pytest.fixture
def invoices(cli: Cli) -> list[dict[str, Any]]:
    ok(cli("db", "init", "--demo"))
    return json.loads(ok(cli("invoice", "list", "--json")))


def pick(invoices: list[dict[str, Any]], status: str) -> dict[str, Any]:
    """An invoice with an email and a cell phone: sent by the default secure link, PIN by SMS."""
    return next(
        i for i in invoices if i["status"] == status and i["billed_to_email"] and i["billed_to_phone"]
    )


def test_send_queues_and_outbox_lists(cli: Cli, invoices: list[dict[str, Any]]) -> None:
    invoice = pick(invoices, "billed")
    out = ok(cli("invoice", "send", invoice["number"], "--email", "Paul@Example.org", "--lang", "en"))
    number = invoice["number"]
    assert out == (
        f"Invoice {number} is queued for Paul@example.org (message 1); the agent sends it when online.\n"
        f"The PIN goes by SMS to {invoice['billed_to_phone']}.\n"
    )
    (row,) = json.loads(ok(cli("outbox", "--json")))
    assert row["outbox_id"] == 1 and row["status"] == "pending" and row["channel"] == "email"
    assert (row["recipient"], row["language"], row["invoice_number"]) == (
        "Paul@example.org",
        "en",
        invoice["number"],
    )
    assert {"outbox_id", "channel", "status", "provider_id", "at"} <= row.keys()
    assert "personal_message" not in row
    table = ok(cli("outbox", "--status", "pending"))
    assert invoice["number"] in table and "pending" in table
    assert json.loads(ok(cli("outbox", "--status", "sent", "--json"))) == []
    assert json.loads(ok(cli("outbox", "--invoice", invoice["number"], "--json")))[0]["outbox_id"] == 1


def test_send_defaults_and_french_confirmation(
    cli: Cli, invoices: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    invoice = pick(invoices, "paid")
    monkeypatch.setenv("FACTEUR_LANG", "fr")
    out = ok(cli("invoice", "send", invoice["number"], "--message", "Merci !"))
    assert out.startswith(
        f"La facture {invoice['number']} est en file d’envoi pour {invoice['billed_to_email']}"
    )


def test_send_refusals(cli: Cli, invoices: list[dict[str, Any]]) -> None:
    billed = pick(invoices, "billed")
    assert "no invoice NOPE-1" in failed(cli("invoice", "send", "NOPE-1"))
    draft = next(i for i in invoices if i["status"] == "draft")
    assert "is a draft: bill it before sending it" in failed(cli("invoice", "send", f"#{draft['id']}"))
    void = next(i for i in invoices if i["status"] == "void")
    assert "is void: it cannot be sent" in failed(cli("invoice", "send", void["number"]))
    assert "not a valid email address" in failed(cli("invoice", "send", billed["number"], "--email", "paul@"))
    assert "invalid choice" in failed(cli("invoice", "send", billed["number"], "--lang", "de"), code=2)
    assert json.loads(ok(cli("outbox", "--json"))) == []


def test_transmissions_json(cli: Cli, invoices: list[dict[str, Any]], database_url: str) -> None:
    from models.database.db import close_database, open_database
    from models.messaging.outbox import Reply, RetryPolicy, claim, mark_deferred

    invoice = pick(invoices, "billed")
    ok(cli("invoice", "send", invoice["number"]))
    open_database(database_url)
    (message,) = claim("host:1", 1, 60, new_message_id=lambda m: "<1@clinique.example>")
    mark_deferred(message, "host:1", Reply("451", "451 4.3.0 try later"), RetryPolicy())
    close_database()
    (row,) = json.loads(ok(cli("transmissions", "--json")))
    assert row | {"at": None, "id": None, "invoice_id": None} == {
        "id": None,
        "outbox_id": 1,
        "invoice_id": None,
        "invoice_number": invoice["number"],
        "channel": "email",
        "recipient": invoice["billed_to_email"],
        "status": "deferred",
        "code": "451",
        "detail": "451 4.3.0 try later",
        "provider_id": "<1@clinique.example>",
        "at": None,
    }
    table = ok(cli("transmissions", "--invoice", invoice["number"]))
    assert "deferred" in table and "451 4.3.0 try later" in table
    assert json.loads(ok(cli("transmissions", "--status", "sent", "--json"))) == []
    assert "is not a date" in failed(cli("transmissions", "--since", "yesterday"), code=2)


def test_facteurs_own_notes_read_in_the_readers_language_and_replies_as_written(
    cli: Cli, invoices: list[dict[str, Any]], database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from models.billing.invoice import Invoice
    from models.database.db import close_database, open_database
    from models.links.download_links import EXPIRED_VISIT
    from models.messaging.tables import Transmission

    invoice = pick(invoices, "billed")
    open_database(database_url)
    for detail in (EXPIRED_VISIT, "421 4.7.0 Try again later"):
        Transmission.create(
            invoice=Invoice.get(Invoice.number == invoice["number"]),
            channel="portal",
            status="expired",
            detail=detail,
            created_at="2026-04-01 12:00:00",
        )
    close_database()
    english = ok(cli("transmissions"))
    assert "visited after the link expired" in english and "421 4.7.0 Try again later" in english
    monkeypatch.setenv("FACTEUR_LANG", "fr")
    french = ok(cli("transmissions"))
    assert "visité après la fin du lien" in french and "421 4.7.0 Try again later" in french
    assert json.loads(ok(cli("transmissions", "--json")))[0]["detail"] in (
        EXPIRED_VISIT,
        "421 4.7.0 Try again later",
    )

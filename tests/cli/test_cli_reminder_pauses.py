"""``facteur scheduled pause|resume|pauses`` and the waiting listing's ``goes_at`` and ``warnings``,
run as users run them."""

from __future__ import annotations

import json
import os
import pwd
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import CliResult

from .test_cli_outbox import failed, ok
from .test_cli_scheduled import KEYS, templates_on

Cli = Callable[..., CliResult]


@pytest.fixture
def billed(cli: Cli, database_url: str) -> list[dict[str, Any]]:
    """Two drafts of the demo billed from the command line, the shipped email templates on: their
    invoices as ``invoice list --json`` gives them."""
    ok(cli("db", "init", "--demo"))
    templates_on(database_url)
    drafts = [
        i
        for i in json.loads(ok(cli("invoice", "list", "--status", "draft", "--json")))
        if i["billed_to_email"]
    ]
    numbers = {ok(cli("invoice", "bill", str(draft["id"]))).split()[-1].rstrip(".") for draft in drafts[:2]}
    invoices = json.loads(ok(cli("invoice", "list", "--json")))
    return [invoice for invoice in invoices if invoice["number"] in numbers]


def clinic_today() -> date:
    return datetime.now(ZoneInfo("America/Toronto")).date()  # the demo clinic's


def reminders(cli: Cli, number: str) -> list[dict[str, Any]]:
    rows = json.loads(ok(cli("scheduled", "--status", "scheduled", "--invoice", number, "--json")))
    return [row for row in rows if row["template_key"] in ("reminder_first", "reminder_second")]


def test_pause_list_replace_and_resume(cli: Cli, billed: list[dict[str, Any]]) -> None:
    first, second = billed
    until = clinic_today() + timedelta(days=20)  # after the first reminder (15 days), before the second
    out = ok(
        cli(
            "scheduled", "pause", "--invoice", first["number"], "--reason", "en voyage", "--until", str(until)
        )
    )
    lines = out.splitlines()
    assert lines[0].startswith(f"Reminders of invoice {first['number']} paused until ")
    assert lines[1] == "To resume them early: facteur scheduled resume 1"

    held, later = reminders(cli, first["number"])
    assert held.keys() == KEYS | {"goes_at", "warnings"}
    assert held["warnings"][0] == {
        "code": "paused",
        "text": f"paused until {lines[0].split(' until ')[1][:-1]}: en voyage",
    }
    goes = datetime.fromisoformat(held["goes_at"]).astimezone(ZoneInfo("America/Toronto"))
    assert goes.date() >= until  # the resume date, or the next sending day after it
    assert all(warning["code"] != "paused" for warning in later["warnings"])  # due after the pause
    assert all(
        row["warnings"] == [] or row["warnings"][0]["code"] != "paused"
        for row in reminders(cli, second["number"])
    )
    everything = json.loads(ok(cli("scheduled", "--json")))
    assert all(row.keys() == KEYS for row in everything)  # only the waiting listing plans
    table = ok(cli("scheduled", "--status", "scheduled")).splitlines()
    assert table[0].split()[:4] == ["Id", "When", "Goes", "out"] and table[0].split()[-1] == "Warnings"
    assert any("paused until" in line and "en voyage" in line for line in table)

    ok(
        cli(
            "scheduled",
            "pause",
            "--patient",
            str(second["patient_id"]),
            "--reason",
            "deuil",
            "--until",
            str(until),
        )
    )
    again = ok(
        cli(
            "scheduled",
            "pause",
            "--invoice",
            first["number"],
            "--reason",
            "prolongé",
            "--until",
            str(until + timedelta(days=5)),
        )
    )
    assert "It replaces the pause until" in again
    login = pwd.getpwuid(os.geteuid()).pw_name
    listed = json.loads(ok(cli("scheduled", "pauses", "--json")))
    assert [(p["id"], p["target"], p["reason"], p["resume_on"], p["created_by"]) for p in listed] == [
        (3, "invoice", "prolongé", str(until + timedelta(days=5)), login),
        (2, "patient", "deuil", str(until), login),
    ]
    assert listed[0]["invoice_number"] == first["number"] and listed[1]["invoice_number"] is None
    assert listed[1]["patient_id"] == second["patient_id"] and listed[1]["patient_name"] == second["patient"]
    text = ok(cli("scheduled", "pauses")).splitlines()
    assert text[0].split() == ["Id", "Reminders", "of", "Resume", "on", "Reason", "By"]
    assert f"every invoice of {second['patient']}" in text[3]

    assert "reminder pause 1 already ended on" in failed(cli("scheduled", "resume", "1"))
    assert ok(cli("scheduled", "resume", "3")) == f"Reminders of invoice {first['number']} resumed.\n"
    assert [p["id"] for p in json.loads(ok(cli("scheduled", "pauses", "--json")))] == [2]


def test_what_pausing_refuses(
    cli: Cli, billed: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    number = billed[0]["number"]
    soon = str(clinic_today() + timedelta(days=3))
    assert "must resume after today" in failed(
        cli("scheduled", "pause", "--invoice", number, "--reason", "x", "--until", "2000-01-01")
    )
    assert "at most a year" in failed(
        cli(
            "scheduled",
            "pause",
            "--invoice",
            number,
            "--reason",
            "x",
            "--until",
            str(clinic_today() + timedelta(days=400)),
        )
    )
    assert "is not a date: write it as YYYY-MM-DD" in failed(
        cli("scheduled", "pause", "--invoice", number, "--reason", "x", "--until", "demain")
    )
    assert "remove the control characters" in failed(
        cli("scheduled", "pause", "--invoice", number, "--reason", "a\tb", "--until", soon)
    )
    assert "this field is required" in failed(
        cli("scheduled", "pause", "--invoice", number, "--reason", " ", "--until", soon)
    )
    assert "no patient #999" in failed(
        cli("scheduled", "pause", "--patient", "999", "--reason", "x", "--until", soon)
    )
    assert "no invoice NOPE-1" in failed(
        cli("scheduled", "pause", "--invoice", "NOPE-1", "--reason", "x", "--until", soon)
    )
    assert "not allowed with argument" in failed(
        cli("scheduled", "pause", "--invoice", number, "--patient", "1", "--reason", "x", "--until", soon),
        code=2,
    )
    assert "there is no reminder pause 999" in failed(cli("scheduled", "resume", "999"))
    monkeypatch.setenv("FACTEUR_LANG", "fr")
    assert json.loads(ok(cli("scheduled", "pauses", "--json"))) == []

"""Tests for the ``facteur`` CLI, run in-process as users run it (see the ``cli`` fixture)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from locales import translator
from models.people.staff_members import current_login
from models.setup.schema import LATEST_VERSION
from tests.conftest import CliResult

Cli = Callable[..., CliResult]
Invoices = list[dict[str, Any]]


def ok(result: CliResult) -> str:
    assert (result.code, result.err) == (0, ""), result.err
    return result.out


def as_json(result: CliResult) -> Any:
    return json.loads(ok(result))


def failed(result: CliResult, code: int = 1, prefix: str = "facteur: ") -> str:
    """One line on stderr starting ``facteur: ``, the exit code, and never a traceback."""
    assert result.code == code, (result.code, result.out, result.err)
    assert result.err.startswith(prefix) and result.err.endswith("\n") and result.err.count("\n") == 1
    assert "Traceback" not in result.err
    return result.err


@pytest.fixture
def demo(cli: Cli) -> Invoices:
    ok(cli("db", "init", "--demo"))
    return as_json(cli("invoice", "list", "--json"))


def pick(invoices: Invoices, status: str, paid: bool = False) -> dict[str, Any]:
    return next(i for i in invoices if i["status"] == status and (i["paid_cents"] > 0) == paid)


def show(cli: Cli, number: str) -> dict[str, Any]:
    return as_json(cli("invoice", "show", number, "--json"))


def money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def test_every_command_has_help(cli: Cli, capsys: pytest.CaptureFixture[str]) -> None:
    from cli import build_parser, main

    paths: list[tuple[str, ...]] = []

    def walk(parser: Any, path: tuple[str, ...]) -> None:
        paths.append(path)
        for action in parser._subparsers._group_actions if parser._subparsers else ():
            for name, child in action.choices.items():
                walk(child, (*path, name))

    walk(build_parser(translator("en")), ())
    assert {("db", "init"), ("invoice", "bill"), ("payment", "add"), ("backup",)} <= set(paths)
    for path in paths:
        # argparse prints help to sys.stdout (not main's ``out``) and exits with SystemExit(0).
        with pytest.raises(SystemExit) as info:
            main([*path, "--help"])
        assert info.value.code == 0, path
        assert capsys.readouterr().out.startswith(f"usage: facteur {' '.join(path)}".rstrip()), path


@pytest.mark.parametrize(
    ("args", "names"),
    [
        ("", "COMMAND"), ("frobnicate", "frobnicate"), ("invoice show", "NUMBER"),
        ("invoice list --since 2024-13-01", "2024-13-01"), ("invoice list --until yesterday", "yesterday"),
        ("invoice list --status unpaid", "unpaid"), ("invoice list --bogus", "--bogus"),
        ("payment add CDP-2026-00001", "AMOUNT"), ("db demo --patients many", "many"),
        ("patient add --first-name Léa", "--last-name"),
    ],
)  # fmt: skip
def test_bad_usage_exits_2_with_one_line(cli: Cli, args: str, names: str) -> None:
    result = cli(*args.split())
    assert names in failed(result, code=2)
    assert result.out == ""


def test_demo_data_and_init_is_idempotent(cli: Cli, demo: Invoices) -> None:
    assert len(demo) == 60
    assert {i["status"] for i in demo} == {"draft", "billed", "paid", "void"}
    assert any(i["status"] == "billed" and 0 < i["paid_cents"] < i["total_cents"] for i in demo)
    assert len({i["billing_company"] for i in demo}) == 2
    patients = as_json(cli("patient", "list", "--json"))
    assert len(patients) == 30
    assert {p["language"] for p in patients} >= {"fr", "en"}
    for key in ("email", "cell_phone", "health_insurance_number"):
        assert any(p[key] is None for p in patients), key
    staff = as_json(cli("staff", "list", "--json"))
    by_login = {s["login"]: s for s in staff}
    assert "admin" in by_login[current_login()]["roles"]
    assert any("provider" in s["roles"] for s in staff)

    again = ok(cli("db", "init", "--demo"))
    assert "up to date" in again
    assert "Added" not in again
    assert as_json(cli("invoice", "list", "--json")) == demo
    assert as_json(cli("patient", "list", "--json")) == patients
    assert as_json(cli("staff", "list", "--json")) == staff
    assert "up to date" in ok(cli("db", "migrate"))


def test_empty_database(cli: Cli) -> None:
    assert "facteur db init" in failed(cli("invoice", "list"))


@pytest.mark.sqlite_only
def test_a_missing_database_is_refused_and_nothing_is_made(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "facteur.toml").write_text('[database]\nurl = "sqlite:///var/facteur.db"\n', encoding="utf-8")
    for command in (("patient", "list"), ("db", "migrate"), ("agent", "--once")):
        assert "there is no database at" in failed(cli(*command))
    assert not (tmp_path / "var").exists()  # neither the file nor its folder
    assert "Created" in ok(cli("db", "init"))
    assert (tmp_path / "var" / "facteur.db").exists()


@pytest.mark.sqlite_only
def test_old_database(cli: Cli, tmp_path: Path) -> None:
    fixture = Path(__file__).parents[1] / "models" / "setup" / "fixtures" / "schema_v1.sql"
    with sqlite3.connect(tmp_path / "facteur.db") as connection:
        connection.executescript(fixture.read_text(encoding="utf-8"))
    assert "facteur db migrate" in failed(cli("invoice", "list", "--json"))
    assert "from schema version 1 to" in ok(cli("db", "migrate"))
    (invoice,) = as_json(cli("invoice", "list", "--json"))
    assert (invoice["number"], invoice["patient"]) == ("CDP-2026-00001", "Élise Bélanger")


def check_numbers(url: str) -> None:
    """Every number is PREFIX-YEAR-SEQ, its year the issue date's, and gapless per company and year."""
    from models.database.db import close_database, open_database

    connection = open_database(url)
    try:
        rows = connection.execute_sql(
            "SELECT i.number, i.issue_date, i.status, b.id, b.number_prefix FROM invoice i"
            " JOIN billing_company b ON b.id = i.billing_company_id"
        ).fetchall()
        query = "SELECT billing_company_id, year, last_value FROM invoice_sequence"
        stored = {(company, year): last for company, year, last in connection.execute_sql(query)}
    finally:
        close_database()
    sequences: dict[tuple[int, int], list[int]] = defaultdict(list)
    for number, issue_date, status, company, prefix in rows:
        assert (number is None) == (status == "draft"), number
        if number is not None:
            number_prefix, year, sequence = number.rsplit("-", 2)
            assert (number_prefix, year) == (prefix, str(issue_date)[:4]), number
            sequences[company, int(year)].append(int(sequence))
    for key, values in sequences.items():
        assert sorted(values) == list(range(1, len(values) + 1)), key
    assert stored == {key: len(values) for key, values in sequences.items()}


def test_bulk_demo_keeps_numbers_gapless(cli: Cli, demo: Invoices, database_url: str) -> None:
    assert "50 patients and 500 invoices" in ok(cli("db", "demo", "--patients", "50", "--invoices", "500"))
    assert len(as_json(cli("invoice", "list", "--json"))) == 560
    assert len(as_json(cli("patient", "list", "--json"))) == 80
    check_numbers(database_url)
    ok(cli("invoice", "bill", str(pick(demo, "draft")["id"])))  # continues the sequences bulk_demo left
    check_numbers(database_url)


def test_bulk_demo_without_patients_is_a_clean_error(cli: Cli) -> None:
    ok(cli("db", "init"))
    result = cli("db", "demo", "--patients", "0", "--invoices", "10")
    assert result.code == 0 or failed(result)


def test_invoice_list_json(cli: Cli, demo: Invoices) -> None:
    keys = list(demo[0])
    for invoice in demo:
        assert list(invoice) == keys  # the same keys, in the same order, for every invoice
        assert all(isinstance(invoice[k], str) for k in ("status", "patient", "currency")), invoice
        assert all(isinstance(invoice[k], str | None) for k in ("number", "billed_to_email", "issue_date"))
        assert type(invoice["total_cents"]) is type(invoice["balance_cents"]) is int
        assert invoice["currency"] == "CAD"
        owed = 0 if invoice["status"] == "void" else invoice["total_cents"] - invoice["paid_cents"]
        assert invoice["balance_cents"] == owed
        is_draft = invoice["status"] == "draft"
        assert (invoice["number"] is None) == is_draft == (invoice["issue_date"] is None)
        if invoice["issue_date"]:
            date.fromisoformat(invoice["issue_date"])
    issued = [i["issue_date"] for i in demo if i["issue_date"]]
    assert issued == sorted(issued, reverse=True)  # newest first
    total = 0
    for status in ("draft", "billed", "paid", "void"):
        found = as_json(cli("invoice", "list", "--status", status, "--json"))
        assert found and {i["status"] for i in found} == {status}
        total += len(found)
    assert total == 60
    assert len(as_json(cli("invoice", "list", "--limit", "5", "--json"))) == 5
    middle = sorted(i["issue_date"] for i in demo if i["issue_date"])[20]
    since = as_json(cli("invoice", "list", "--since", middle, "--json"))
    assert since and all(i["issue_date"] >= middle for i in since)
    until = as_json(cli("invoice", "list", "--until", middle, "--json"))
    assert until and all(i["issue_date"] <= middle for i in until)
    name = demo[0]["patient"]
    found = as_json(cli("invoice", "list", "--search", name.split()[-1], "--json"))
    assert name in {i["patient"] for i in found} and len(found) < 60


def test_invoice_show_adds_up(cli: Cli, demo: Invoices) -> None:
    partial = pick(demo, "billed", paid=True)
    detail = show(cli, partial["number"])
    assert {k: detail[k] for k in partial} == partial
    lines, payments = detail["lines"], detail["payments"]
    assert [line["position"] for line in lines] == list(range(1, len(lines) + 1))
    assert sum(line["subtotal_cents"] for line in lines) == detail["subtotal_cents"]
    assert sum(line["total_cents"] for line in lines) == detail["total_cents"]
    assert all(line["subtotal_cents"] + line["tax_cents"] == line["total_cents"] for line in lines)
    assert sum(p["amount_cents"] for p in payments) == detail["paid_cents"] > 0
    assert detail["total_cents"] - detail["paid_cents"] == detail["balance_cents"] > 0
    draft = show(cli, f"#{pick(demo, 'draft')['id']}")
    assert (draft["status"], draft["number"], draft["payments"]) == ("draft", None, [])
    assert "no invoice NOPE-1" in failed(cli("invoice", "show", "NOPE-1"))
    table = ok(cli("invoice", "list")).splitlines()  # the human forms
    assert len(table) == 62 and table[0].split()[:2] == ["Number", "Status"]
    assert ok(cli("invoice", "show", partial["number"])).startswith(f"Invoice {partial['number']} (billed)")


def test_bill_then_void(cli: Cli, demo: Invoices) -> None:
    draft, other_draft = [i for i in demo if i["status"] == "draft"][:2]
    year = datetime.now(ZoneInfo("America/Toronto")).year
    company = [i["number"] for i in demo if i["number"] and i["billing_company"] == draft["billing_company"]]
    prefix = company[0].rsplit("-", 2)[0]
    used = [int(n.rsplit("-", 1)[1]) for n in company if n.startswith(f"{prefix}-{year}-")]
    expected = f"{prefix}-{year}-{max(used, default=0) + 1:05d}"
    assert ok(cli("invoice", "bill", str(draft["id"]))) == f"Billed invoice {expected}.\n"
    billed = show(cli, expected)
    assert (billed["id"], billed["status"], billed["issue_date"][:4]) == (draft["id"], "billed", str(year))
    refused = failed(cli("invoice", "bill", str(draft["id"])))
    assert expected in refused and "billed" in refused
    assert show(cli, expected)["number"] == expected
    assert "no invoice #99999" in failed(cli("invoice", "bill", "99999"))

    number = pick(demo, "billed")["number"]
    assert ok(cli("invoice", "void", number, "--reason", "Doublon")) == f"Voided invoice {number}.\n"
    voided = show(cli, number)
    assert (voided["status"], voided["void_reason"], voided["number"]) == ("void", "Doublon", number)
    assert voided["voided_at"]
    assert "void" in failed(cli("invoice", "void", number))
    partial = pick(demo, "billed", paid=True)
    assert "payments" in failed(cli("invoice", "void", partial["number"]))
    assert show(cli, partial["number"])["status"] == "billed"
    assert "draft" in failed(cli("invoice", "void", f"#{other_draft['id']}"))


def test_partial_then_full_payment(cli: Cli, demo: Invoices) -> None:
    invoice = next(
        i for i in demo if i["status"] == "billed" and not i["paid_cents"] and i["total_cents"] > 1250
    )
    number, total = invoice["number"], invoice["total_cents"]
    assert number in ok(cli("payment", "add", number, "12,50"))
    after = show(cli, number)
    assert (after["status"], after["paid_cents"], after["balance_cents"]) == ("billed", 1250, total - 1250)
    assert [(p["amount_cents"], p["method"]) for p in after["payments"]] == [(1250, "cash")]

    rest = total - 1250
    assert "more than the balance" in failed(cli("payment", "add", number, money(rest + 1)))
    for bad in ("abc", "0", "-5", "12.345", "1,2,3"):
        failed(cli("payment", "add", number, bad))
    assert show(cli, number)["paid_cents"] == 1250  # nothing was recorded by the refusals

    ok(cli("payment", "add", number, money(rest), "--method", "card", "--reference", "TPV-42"))
    paid = show(cli, number)
    assert (paid["status"], paid["paid_cents"], paid["balance_cents"]) == ("paid", total, 0)
    last = paid["payments"][-1]
    assert (last["amount_cents"], last["method"], last["reference"]) == (rest, "card", "TPV-42")
    assert "paid" in failed(cli("payment", "add", number, "1"))
    assert "draft" in failed(cli("payment", "add", f"#{pick(demo, 'draft')['id']}", "1"))


@pytest.mark.parametrize("amount", ["1e2", "1_00"])
def test_payment_amount_is_plain_digits(cli: Cli, demo: Invoices, amount: str) -> None:
    invoice = next(i for i in demo if i["status"] == "billed" and i["balance_cents"] > 10000)
    failed(cli("payment", "add", invoice["number"], amount))


def test_patient_add_normalizes(cli: Cli) -> None:
    ok(cli("db", "init"))
    added = as_json(
        cli(
            "patient", "add", "--last-name", " Tremblay ", "--first-name", "Élise", "--json",
            "--email", " Elise@EXAMPLE.org ", "--phone", "(514) 555-0123", "--language", "Français",
            "--insurance", "tree 8552 1234",
        )
    )  # fmt: skip
    assert added == {
        "id": added["id"], "last_name": "Tremblay", "first_name": "Élise", "email": "Elise@example.org",
        "cell_phone": "+15145550123", "language": "fr", "health_insurance_number": "TREE85521234",
        "receive_reminders": True, "receive_statements": False, "consent_email_attachments": False,
        "consent_sms": False, "email_withdrawn": False,
    }  # fmt: skip
    assert as_json(cli("patient", "list", "--json")) == [added]


@pytest.mark.parametrize(
    ("option", "value", "names"),
    [
        ("--email", "elise@", "not a valid email address"), ("--email", "a b@x.org", "a b@x.org"),
        ("--phone", "555-01", "555-01"), ("--phone", "+33 1 42 68 53 00", "cannot receive text messages"),
        ("--language", "de", "de is not a supported language"),
        ("--insurance", "TREE1234", "RAMQ"), ("--insurance", "TREE85991234", "birth date"),
    ],
)  # fmt: skip
def test_patient_add_refuses_bad_values(cli: Cli, option: str, value: str, names: str) -> None:
    ok(cli("db", "init"))
    assert names in failed(cli("patient", "add", "--last-name", "Roy", "--first-name", "Léa", option, value))
    assert as_json(cli("patient", "list", "--json")) == []


def test_patient_edit(cli: Cli) -> None:
    ok(cli("db", "init"))
    base = "--last-name Roy --first-name Léa --email lea@example.org --phone 5145550123 --language en --json"
    added = as_json(cli("patient", "add", *base.split()))
    pid = str(added["id"])
    cleared = as_json(cli("patient", "edit", pid, "--email", "", "--language", "", "--json"))
    assert cleared == {**added, "email": None, "language": None}
    assert "not a valid email" in failed(cli("patient", "edit", pid, "--email", "nope", "--last-name", "Zed"))
    assert as_json(cli("patient", "list", "--json")) == [cleared]  # the refused edit changed nothing
    renamed = as_json(
        cli("patient", "edit", pid, "--first-name", "Léanne", "--no-reminders", "--statements", "--json")
    )
    assert renamed == {
        **cleared,
        "first_name": "Léanne",
        "receive_reminders": False,
        "receive_statements": True,
    }
    assert "no patient #999" in failed(cli("patient", "edit", "999", "--email", ""))


def test_staff_add_and_list(cli: Cli) -> None:
    ok(cli("db", "init"))
    assert "alice" in ok(
        cli("staff", "add", "alice", "--name", "Alice Martin", "--roles", "billing,provider")
    )
    members = {s["login"]: s for s in as_json(cli("staff", "list", "--json"))}
    assert set(members) == {"alice", current_login()}
    alice = members["alice"]
    assert isinstance(alice.pop("id"), int)
    expected = {"login": "alice", "display_name": "Alice Martin", "roles": ["billing", "provider"]}
    assert alice == {**expected, "language": "fr", "active": True, "ssh_keys": 0}
    assert "already" in failed(cli("staff", "add", "alice", "--name", "A", "--roles", "billing"))
    assert "janitor" in failed(cli("staff", "add", "bob", "--name", "B", "--roles", "janitor"))
    assert "de" in failed(cli("staff", "add", "bob", "--name", "B", "--roles", "billing", "--language", "de"))
    assert len(as_json(cli("staff", "list", "--json"))) == 2


def act_as(monkeypatch: pytest.MonkeyPatch, login: str) -> None:
    """Run the next commands as the non-root Unix user ``login``."""
    monkeypatch.setattr("cli.doors.kernel_login", lambda: login)
    monkeypatch.setattr("cli.doors.os.geteuid", lambda: 1000)


def test_roles_are_checked(cli: Cli, demo: Invoices, monkeypatch: pytest.MonkeyPatch) -> None:
    admin = current_login()  # who set the clinic up: its first admin
    ok(cli("staff", "add", "dr.lee", "--name", "Dr Lee", "--roles", "provider"))
    billed = pick(demo, "billed")["number"]
    eve = ("staff", "add", "eve", "--name", "Eve", "--roles", "admin")
    act_as(monkeypatch, "mallory")
    assert "mallory is not a Facteur staff member" in failed(cli(*eve))
    act_as(monkeypatch, "dr.lee")
    assert "billing role" in failed(cli("payment", "add", billed, "1"))
    assert "billing role" in failed(cli("invoice", "void", billed))
    act_as(monkeypatch, "dr.roy")  # the demo's provider also bills
    assert "admin role" in failed(cli(*eve))
    ok(cli("payment", "add", billed, "1"))
    assert show(cli, billed)["paid_cents"] == 100
    assert "admin role" in failed(cli("staff", "list", "--json"))  # Settings → Staff: admins only
    act_as(monkeypatch, admin)
    assert "eve" not in {s["login"] for s in as_json(cli("staff", "list", "--json"))}


@pytest.mark.sqlite_only  # who may read is the CLI's rule, whatever the database
def test_every_read_needs_a_staff_record(
    cli: Cli, demo: Invoices, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """What the TUI refuses to open for a Unix user with no staff record, the CLI refuses too: the
    patients, the invoices and their PDFs, the outbox, the transmissions, the schedule; the staff
    list and a backup (a copy of every patient's data) need an admin."""
    ok(cli("staff", "add", "dr.lee", "--name", "Dr Lee", "--roles", "provider"))
    billed = pick(demo, "billed")["number"]
    reads = [
        ("patient", "list", "--json"),
        ("invoice", "list", "--json"),
        ("invoice", "show", billed, "--json"),
        ("invoice", "pdf", billed, "--output", str(tmp_path / "out.pdf")),
        ("outbox", "--json"),
        ("transmissions", "--json"),
        ("scheduled", "--json"),
        ("staff", "list", "--json"),
        ("backup", str(tmp_path / "copy.db")),
    ]
    act_as(monkeypatch, "mallory")
    for read in reads:
        assert "mallory is not a Facteur staff member" in failed(cli(*read)), read
    assert not (tmp_path / "out.pdf").exists() and not (tmp_path / "copy.db").exists()
    act_as(monkeypatch, "dr.lee")  # a provider: reads what the TUI shows them
    for read in reads[:7]:
        ok(cli(*read))
    for read in reads[7:]:
        assert "admin role" in failed(cli(*read)), read


def backup_counts(path: Path) -> tuple[int, int, str]:
    with sqlite3.connect(path) as copy:
        (invoices,) = copy.execute("SELECT count(*) FROM invoice").fetchone()
        (renamed,) = copy.execute("SELECT count(*) FROM patient WHERE first_name = 'Uncommitted'").fetchone()
        (integrity,) = copy.execute("PRAGMA integrity_check").fetchone()
    return invoices, renamed, integrity


@pytest.mark.sqlite_only
def test_backup_while_another_connection_writes(cli: Cli, demo: Invoices, tmp_path: Path) -> None:
    writer = sqlite3.connect(tmp_path / "facteur.db", isolation_level=None, timeout=10)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE patient SET first_name = 'Uncommitted'")
    target = tmp_path / "backups" / "copy.db"
    try:
        assert str(target) in ok(cli("backup", str(target)))
    finally:
        writer.execute("COMMIT")
        writer.close()
    assert backup_counts(target) == (60, 0, "ok")
    assert not Path(f"{target}-wal").exists()  # one self-contained file
    assert "folder" in failed(cli("backup", str(tmp_path)))
    assert "itself" in failed(cli("backup", str(tmp_path / "facteur.db")))


@pytest.mark.sqlite_only
def test_backup_while_a_thread_keeps_writing(cli: Cli, demo: Invoices, tmp_path: Path) -> None:
    stop, writes = threading.Event(), []

    def keep_writing() -> None:
        with sqlite3.connect(tmp_path / "facteur.db", timeout=10) as connection:
            while not stop.is_set():
                with connection:
                    connection.execute("UPDATE patient SET updated_at = updated_at WHERE id = 1")
                writes.append(1)

    thread = threading.Thread(target=keep_writing)
    thread.start()
    try:
        for attempt in range(3):
            ok(cli("backup", str(tmp_path / f"copy{attempt}.db")))
    finally:
        stop.set()
        thread.join(timeout=10)
    assert writes
    for attempt in range(3):
        assert backup_counts(tmp_path / f"copy{attempt}.db") == (60, 0, "ok")


def test_closed_stdout_is_not_a_traceback(cli: Cli, demo: Invoices) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # like `facteur invoice list | head -1` once head is done
    command = [Path(sys.executable).parent / "facteur", "invoice", "list"]
    try:
        result = subprocess.run(command, stdout=write_end, stderr=subprocess.PIPE, text=True, check=False)
    finally:
        os.close(write_end)
    assert "Traceback" not in result.stderr


def test_french_output(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    fr = translator("fr")
    monkeypatch.setenv("FACTEUR_LANG", "fr")
    created = fr.format("Created the database (schema version {version}).", version=LATEST_VERSION)
    assert created != f"Created the database (schema version {LATEST_VERSION})."
    assert ok(cli("db", "init")).splitlines()[0] == created
    missing = fr.format("facteur: {message}", message=fr.format("no invoice {invoice}", invoice="NOPE-1"))
    assert "no invoice" not in missing
    assert cli("invoice", "show", "NOPE-1").err == missing + "\n"
    usage = failed(cli("invoice", "show"), code=2, prefix=fr.format("facteur: {message}", message=""))
    assert "NUMBER" in usage and "the following arguments are required" not in usage
    monkeypatch.delenv("FACTEUR_LANG")
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "fr_CA.UTF-8")
    assert cli("invoice", "show", "NOPE-1").err == missing + "\n"


def test_patient_consent_records_and_exports_them(cli: Cli) -> None:
    ok(cli("db", "init"))
    pid = str(as_json(cli("patient", "add", "--last-name", "Roy", "--first-name", "Léa", "--json"))["id"])
    assert "No consent recorded for Léa Roy." in ok(cli("patient", "consent", pid))
    ok(cli("patient", "consent", pid, "sms", "given", "--how", "form", "--note", "formulaire d’accueil"))
    ok(cli("patient", "consent", pid, "email", "withdrawn", "--how", "phone"))
    exported = as_json(cli("patient", "consent", pid, "--json"))
    assert exported["current"] == {"attachments": False, "sms": True, "email": False}
    assert [(r["channel"], r["given"], r["method"]) for r in exported["records"]] == [
        ("email", False, "phone"),
        ("sms", True, "form"),
    ]
    shown = ok(cli("patient", "consent", pid))
    assert "text messages" in shown and "signed form" in shown and "formulaire d’accueil" in shown
    assert "say how" in failed(cli("patient", "consent", pid, "sms", "given"))
    assert "is not a consent channel" in failed(
        cli("patient", "consent", pid, "fax", "given", "--how", "form")
    )
    assert "999" in failed(cli("patient", "consent", "999"))

"""``facteur invoice credit`` and ``facteur payment refund``: a paid invoice corrected by a credit note,
the balance, ``--json``, ``invoice show``, the credit note's PDF, the refund by hand, and refusals."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.agent.pdf_helpers import pdf_text
from tests.conftest import CliResult

Cli = Callable[..., CliResult]


def ok(result: CliResult) -> str:
    assert (result.code, result.err) == (0, ""), result.err
    return result.out


def refused(result: CliResult) -> str:
    assert result.code == 1 and result.err.startswith("facteur: ") and "Traceback" not in result.err
    return result.err


@pytest.fixture
def invoices(cli: Cli) -> list[dict[str, Any]]:
    ok(cli("db", "init", "--demo"))
    return json.loads(ok(cli("invoice", "list", "--json")))


def show(cli: Cli, number: str) -> dict[str, Any]:
    return json.loads(ok(cli("invoice", "show", number, "--json")))


def test_a_paid_invoice_corrected_by_a_credit_note(
    cli: Cli, invoices: list[dict[str, Any]], tmp_path: Path
) -> None:
    paid = next(i for i in invoices if i["status"] == "paid")
    number, total = paid["number"], paid["total_cents"]
    note = json.loads(ok(cli("invoice", "credit", number, "--reason", "Séance annulée", "--json")))
    assert (note["invoice"], note["total_cents"], note["reason"]) == (number, total, "Séance annulée")
    assert note["number"].startswith(number.rsplit("-", 2)[0] + "-NC-")
    after = show(cli, number)
    assert (after["status"], after["credited_cents"], after["balance_cents"]) == ("paid", total, -total)
    assert [n["number"] for n in after["credit_notes"]] == [note["number"]]
    assert [line["invoice_line"] for line in note["lines"]] == [line["position"] for line in after["lines"]]
    text = ok(cli("invoice", "show", number))
    assert note["number"] in text and "Credit to refund" in text

    ok(cli("invoice", "pdf", note["number"], "-o", "note.pdf", "--lang", "fr"))
    printed = pdf_text((tmp_path / "note.pdf").read_bytes())
    for expected in ("Note de crédit", note["number"], number, "Séance annulée", "Crédit à rembourser"):
        assert expected in printed, expected

    method = after["payments"][0]["method"]
    amount = f"{total // 100}.{total % 100:02d}"
    if method == "stripe":
        assert "queued" in ok(cli("payment", "refund", number, amount, "--reason", "annulée"))
    else:
        assert "given back" in ok(cli("payment", "refund", number, amount, "--reason", "annulée"))
        settled = show(cli, number)
        assert (settled["status"], settled["balance_cents"]) == ("credited", 0)
        assert settled["money_back"][0]["amount_cents"] == total


def test_chosen_lines_and_refusals(cli: Cli, invoices: list[dict[str, Any]]) -> None:
    billed = next(i for i in invoices if i["status"] == "billed" and not i["paid_cents"])
    number = billed["number"]
    first = show(cli, number)["lines"][0]
    assert "needs a reason" in refused(cli("invoice", "credit", number, "--reason", " "))
    assert "no line 99" in refused(cli("invoice", "credit", number, "--reason", "x", "--line", "99"))
    assert "not a line number" in refused(cli("invoice", "credit", number, "--reason", "x", "--line", "a=1"))
    assert "not an amount" in refused(cli("invoice", "credit", number, "--reason", "x", "--line", "1=abc"))
    too_much = first["subtotal_cents"] + 1
    assert "at most" in refused(
        cli(
            "invoice",
            "credit",
            number,
            "--reason",
            "x",
            "--line",
            f"1={too_much // 100}.{too_much % 100:02d}",
        )
    )
    assert show(cli, number)["credit_notes"] == []  # nothing was written by the refusals
    out = ok(cli("invoice", "credit", number, "--reason", "Rabais", "--line", "1=1.00"))
    assert out.startswith("Credit note ") and f"on invoice {number}" in out
    (note,) = show(cli, number)["credit_notes"]
    assert (note["subtotal_cents"], note["lines"][0]["invoice_line"]) == (100, 1)
    assert show(cli, number)["balance_cents"] == billed["total_cents"] - note["total_cents"]
    draft = next(i for i in invoices if i["status"] == "draft")
    assert "draft" in refused(cli("invoice", "credit", f"#{draft['id']}", "--reason", "x"))


def test_a_credit_note_needs_the_billing_role(
    cli: Cli, invoices: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    ok(cli("staff", "add", "prov", "--name", "Pro Vider", "--roles", "provider"))
    monkeypatch.setattr("cli.doors.kernel_login", lambda: "prov")
    monkeypatch.setattr("cli.doors.os.geteuid", lambda: 1000)
    number = next(i for i in invoices if i["status"] == "billed")["number"]
    assert "billing" in refused(cli("invoice", "credit", number, "--reason", "x"))

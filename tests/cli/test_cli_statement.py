"""``facteur statement make|show|pdf|pay``: a patient's statement of account from the command line."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from models.billing.statements import find_statement
from models.links.statement_doors import StatementDoor
from tests.agent.pdf_helpers import pdf_text
from tests.agent.test_paper_pay import decoded
from tests.agent.test_pdf_archival import assert_archival
from tests.conftest import CliResult

Cli = Callable[..., CliResult]


def ok(result: CliResult) -> str:
    assert (result.code, result.err) == (0, ""), result.err
    return result.out


def refused(result: CliResult) -> str:
    assert result.code == 1 and result.err.startswith("facteur: ") and "Traceback" not in result.err
    return result.err


@pytest.fixture
def owing(cli: Cli) -> dict[str, Any]:
    """A demo patient owing two invoices or more to one company."""
    ok(cli("db", "init", "--demo"))
    invoices = json.loads(ok(cli("invoice", "list", "--json")))
    open_ = [i for i in invoices if i["status"] == "billed" and not i["third_party"]]
    (key, _), *_ = Counter((i["patient_id"], i["billing_company"]) for i in open_).most_common(1)
    mine = [i for i in open_ if (i["patient_id"], i["billing_company"]) == key]
    assert len(mine) >= 2
    return {"patient": key[0], "invoices": sorted(mine, key=lambda i: (i["issue_date"], i["id"]))}


def test_make_print_and_pay_a_statement(cli: Cli, owing: dict[str, Any], tmp_path: Path) -> None:
    made = json.loads(ok(cli("statement", "make", str(owing["patient"]), "--json")))
    statement = next(s for s in made if s["billing_company"] == owing["invoices"][0]["billing_company"])
    numbers = [i["number"] for i in owing["invoices"]]
    assert [i["number"] for i in statement["invoices"]] == numbers
    due = sum(i["balance_cents"] for i in owing["invoices"])
    assert statement["balance_cents"] == statement["due_now_cents"] == due
    reference = statement["reference"]

    ok(cli("statement", "pdf", reference, "-o", "st.pdf", "--lang", "fr"))
    data = (tmp_path / "st.pdf").read_bytes()
    assert_archival(data, f"Relevé de compte {reference}", "fr")
    text = pdf_text(data)
    assert all(number in text for number in numbers) and "Relevé de compte" in text
    token = StatementDoor.get(StatementDoor.statement == find_statement(reference).id).token
    assert decoded(data, 1, tmp_path) == f"http://127.0.0.1:8088/pay/{token}"  # its Pay page, on paper

    first = owing["invoices"][0]["balance_cents"]
    amount = first + 1  # the oldest in full, a cent of the next
    said = ok(cli("statement", "pay", reference, f"{amount // 100}.{amount % 100:02d}", "--method", "card"))
    assert "on 2 invoices" in said
    after = {i["number"]: i for i in json.loads(ok(cli("invoice", "list", "--json")))}
    assert after[numbers[0]]["status"] == "paid"
    assert after[numbers[1]]["balance_cents"] == owing["invoices"][1]["balance_cents"] - 1
    assert json.loads(ok(cli("statement", "show", reference, "--json")))["due_now_cents"] == due - amount
    assert reference in ok(cli("statement", "show", reference))


def test_refusals(cli: Cli, owing: dict[str, Any]) -> None:
    assert "no patient #99999" in refused(cli("statement", "make", "99999"))
    assert "no billing company" in refused(
        cli("statement", "make", str(owing["patient"]), "--company", "ZZZ")
    )
    assert "no statement" in refused(cli("statement", "show", "CDP-ST-09999"))
    reference = json.loads(ok(cli("statement", "make", str(owing["patient"]), "--json")))[0]["reference"]
    assert "more than" in refused(cli("statement", "pay", reference, "1000000"))
    assert "not an amount" in refused(cli("statement", "pay", reference, "abc"))

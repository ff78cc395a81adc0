"""``facteur invoice send --payment-link``: queued where a link can be made, refused with the reason
otherwise; a link task shows in ``facteur outbox`` on the Stripe channel."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CliResult

Cli = Callable[..., CliResult]


@pytest.fixture
def billed(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.delenv("STRIPE_API_KEY", raising=False)
    assert cli("db", "init", "--demo").code == 0
    invoices = json.loads(cli("invoice", "list", "--status", "billed", "--json").out)
    return next(i for i in invoices if i["billed_to_email"] and i["number"].startswith("CDP"))


def set_account(cli: Cli, account: str | None) -> None:
    """What an admin does in Settings → Billing companies, on the database the CLI uses."""
    from models.database.db import close_database, open_database
    from models.people.clinic import BillingCompany

    open_database(cli.url)  # type: ignore[attr-defined]
    BillingCompany.update(stripe_account_id=account).where(BillingCompany.number_prefix == "CDP").execute()
    close_database()


def test_refused_without_a_key_then_without_an_account_then_queued(
    cli: Cli, billed: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_account(cli, "acct_1ClinicParc01")
    no_key = cli("invoice", "send", billed["number"], "--payment-link")
    assert no_key.code == 1
    assert no_key.err == (
        "facteur: payment links are off: no Stripe key is configured "
        "(the STRIPE_API_KEY variable of the agent)\n"
    )
    monkeypatch.setenv("STRIPE_API_KEY", "sk_test_cli")
    set_account(cli, None)
    no_account = cli("invoice", "send", billed["number"], "--payment-link")
    assert no_account.code == 1 and "has no Stripe account" in no_account.err
    assert json.loads(cli("outbox", "--json").out) == []  # nothing queued by a refusal

    set_account(cli, "acct_1ClinicParc01")
    queued = cli("invoice", "send", billed["number"], "--payment-link")
    assert queued.code == 0, queued.err
    (row,) = json.loads(cli("outbox", "--json").out)
    assert (row["channel"], row["payment_link"], row["link_action"]) == ("email", True, None)


def test_a_paid_invoice_gets_no_link(cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRIPE_API_KEY", "sk_test_cli")
    assert cli("db", "init", "--demo").code == 0
    set_account(cli, "acct_1ClinicParc01")
    invoices = json.loads(cli("invoice", "list", "--status", "paid", "--json").out)
    paid = next(i for i in invoices if i["billed_to_email"] and i["number"].startswith("CDP"))
    result = cli("invoice", "send", paid["number"], "--payment-link")
    assert result.code == 1 and "there is nothing to pay online" in result.err
    assert cli("invoice", "send", paid["number"]).code == 0  # without the link it goes

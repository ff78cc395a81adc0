"""``facteur invoice text NUMBER``: the payment link by text, refused with the reason where no text may
go, queued (medium sms) for a consenting patient."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal

import pytest

from tests.conftest import CliResult

Cli = Callable[..., CliResult]


def an_invoice(cli: Cli, patient_id: int) -> str:
    from models.billing.invoicing import LineInput, create_draft
    from models.database.db import close_database, open_database
    from models.messaging.tables import Template
    from models.people.clinic import BillingCompany, get_clinic
    from models.people.patient import Patient
    from models.workflow.lifecycle import bill

    open_database(cli.url)  # type: ignore[attr-defined]
    Template.update(active=True).where(Template.system_key == "payment_sms").execute()
    company = BillingCompany.create(
        clinic=get_clinic(),
        name="Clinique du Parc inc.",
        number_prefix="CDP",
        stripe_account_id="acct_1ClinicParc01",
    )
    lines = [LineInput("Consultation", Decimal(1), 9500)]
    invoice = bill(create_draft(patient=Patient.get_by_id(patient_id), billing_company=company, lines=lines))
    close_database()
    return str(invoice.number)


def test_a_payment_text_is_refused_without_consent_then_queued(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STRIPE_API_KEY", "sk_test_cli")
    assert cli("db", "init").code == 0
    added = cli(
        "patient", "add", "--last-name", "Roy", "--first-name", "Léa", "--phone", "514 555-1234", "--json"
    )
    pid = json.loads(added.out)["id"]
    number = an_invoice(cli, pid)
    refused = cli("invoice", "text", number)
    assert refused.code == 1 and "Léa Roy has not consented to text messages" in refused.err
    assert cli("patient", "consent", str(pid), "sms", "given", "--how", "form").code == 0
    queued = cli("invoice", "text", number)
    assert queued.code == 0 and "queued for a text to +15145551234" in queued.out, queued.err
    (row,) = [r for r in json.loads(cli("outbox", "--json").out) if r["status"] == "pending"]
    assert (row["channel"], row["recipient"], row["in_window"]) == ("sms", None, False)

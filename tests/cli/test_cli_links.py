"""``facteur patient links``: a patient's live links, ``--json``, and ``--revoke`` queuing the
revocation through the outbox (billing role), refusing a link that is not the patient's."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal

from tests.conftest import CliResult

Cli = Callable[..., CliResult]


def a_sent_link(cli: Cli, patient_id: int) -> int:
    """An invoice of the patient emailed yesterday with a secure link (as the agent records it)."""
    from models.billing.invoicing import LineInput, create_draft
    from models.database.db import close_database, open_database
    from models.people.clinic import BillingCompany, get_clinic
    from models.people.patient import Patient
    from models.workflow.lifecycle import bill
    from testbed.invoices import emailed_link

    open_database(cli.url)  # type: ignore[attr-defined]
    lines = [LineInput("Consultation", Decimal(1), 9500)]
    company = BillingCompany.create(clinic=get_clinic(), name="Clinique du Parc inc.", number_prefix="CDP")
    invoice = bill(create_draft(patient=Patient.get_by_id(patient_id), billing_company=company, lines=lines))
    link = emailed_link(invoice, "lea@example.org")
    close_database()
    return int(link.id)


def test_links_are_listed_exported_and_revoked_through_the_outbox(cli: Cli) -> None:
    assert cli("db", "init").code == 0
    added = cli("patient", "add", "--last-name", "Roy", "--first-name", "Léa", "--json")
    pid = json.loads(added.out)["id"]
    assert cli("patient", "links", str(pid)).out == "Léa Roy has no live links.\n"
    link = a_sent_link(cli, pid)

    shown = cli("patient", "links", str(pid))
    assert shown.code == 0 and f"download:{link}" in shown.out and "lea@example.org" in shown.out
    (exported,) = json.loads(cli("patient", "links", str(pid), "--json").out)
    assert (exported["link"], exported["opened"], exported["revoking"]) == (f"download:{link}", 0, False)

    wrong = cli("patient", "links", str(pid), "--revoke", "download:999")
    assert wrong.code == 1 and "is not one of Léa Roy’s live links" in wrong.err
    revoked = cli("patient", "links", str(pid), "--revoke", f"download:{link}")
    assert revoked.code == 0 and "Revocation queued" in revoked.out
    (task,) = [row for row in json.loads(cli("outbox", "--json").out) if row["status"] == "pending"]
    assert (task["channel"], task["link_action"], task["status"]) == ("portal", "revoke", "pending")
    assert json.loads(cli("patient", "links", str(pid), "--json").out)[0]["revoking"] is True

"""``facteur invoice send`` with PIN modes, run as users run it: SMS, institution, attachment."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal

import pytest

from tests.conftest import CliResult

Cli = Callable[..., CliResult]


@pytest.fixture
def numbers(cli: Cli) -> dict[str, str]:
    """Three billed invoices: a patient with phone and card, one with neither, one who consents."""
    from models.billing.invoicing import LineInput, create_draft
    from models.database.db import close_database, open_database
    from models.people.clinic import BillingCompany
    from models.people.patient import Patient
    from models.workflow.lifecycle import bill

    assert cli("db", "init").code == 0
    open_database(cli.url)
    company = BillingCompany.create(
        clinic=1, name="Clinique du Parc inc.", currency="CAD", number_prefix="CDP"
    )
    people = {
        "full": {"cell_phone": "+15145551234", "health_insurance_number": "TREM80121512"},
        "bare": {},
        "consents": {"consent_email_attachments": True},
    }
    found = {}
    for key, extra in people.items():
        patient = Patient.create(last_name=key.title(), first_name="Pat", email=f"{key}@example.org", **extra)
        line = LineInput("Consultation", Decimal(1), 8500, Decimal(0), "C01")
        invoice = bill(create_draft(patient=patient, billing_company=company, lines=[line]))
        found[key] = invoice.number
    close_database()
    return found


def sent(cli: Cli) -> dict[str, object]:
    from models.database.db import close_database, open_database
    from models.messaging.tables import OutboxMessage

    open_database(cli.url)
    try:
        message = OutboxMessage.select().order_by(OutboxMessage.id.desc()).get()
        return dict(message.__data__)
    finally:
        close_database()


def test_sms_is_the_default_and_goes_to_the_patients_phone(cli: Cli, numbers: dict[str, str]) -> None:
    result = cli("invoice", "send", numbers["full"])
    assert result.code == 0, result.err
    assert result.out.splitlines()[1] == "The PIN goes by SMS to +15145551234."
    row = sent(cli)
    assert (row["pin_mode"], row["recipient_phone"], row["attach_pdf"]) == ("sms", "+15145551234", False)
    again = cli("invoice", "send", numbers["full"], "--phone", "514-555-9876")
    assert again.code == 0 and sent(cli)["recipient_phone"] == "+15145559876"


def test_institution_mode_prints_the_pin_to_hand_over(cli: Cli, numbers: dict[str, str]) -> None:
    result = cli("invoice", "send", numbers["full"], "--pin-mode", "institution")
    assert result.code == 0, result.err
    assert result.out.splitlines()[1] == "PIN to hand over: 121512"
    assert "121512" not in json.dumps(sent(cli), default=str)  # only its keyed hash is kept


def test_institution_mode_without_insurance_number_is_refused_without_a_pin(
    cli: Cli, numbers: dict[str, str]
) -> None:
    refused = cli("invoice", "send", numbers["bare"], "--pin-mode", "institution")
    assert refused.code == 1 and refused.out == ""
    assert refused.err == (
        "facteur: Pat Bare has no health insurance number: type a PIN of at least 6 characters\n"
    )
    short = cli("invoice", "send", numbers["bare"], "--pin-mode", "institution", "--pin", "12345")
    assert "a PIN has 6 to 32 letters or digits" in short.err and short.code == 1
    typed = cli("invoice", "send", numbers["bare"], "--pin-mode", "institution", "--pin", "ab 12 cd")
    assert typed.code == 0 and typed.out.splitlines()[1] == "PIN to hand over: AB12CD"


def test_every_refusal_is_its_own_line(cli: Cli, numbers: dict[str, str]) -> None:
    refused = cli("invoice", "send", numbers["bare"], "--email", "bare@", "--phone", "123")
    assert refused.code == 1
    lines = refused.err.splitlines()
    assert len(lines) == 2 and all(line.startswith("facteur: ") for line in lines)
    assert "not a valid email address" in lines[0] and "not a valid phone number" in lines[1]


def test_the_attachment_needs_consent(cli: Cli, numbers: dict[str, str]) -> None:
    refused = cli("invoice", "send", numbers["bare"], "--pin-mode", "none")
    assert refused.code == 1 and "Pat Bare has not consented to invoices attached to emails" in refused.err
    accepted = cli("invoice", "send", numbers["consents"], "--pin-mode", "none")
    assert accepted.code == 0 and len(accepted.out.splitlines()) == 1
    row = sent(cli)
    assert (row["pin_mode"], row["attach_pdf"], row["link_token"]) == ("none", True, None)


def test_options_that_do_not_fit_the_mode_are_refused(cli: Cli, numbers: dict[str, str]) -> None:
    with_pin = cli("invoice", "send", numbers["full"], "--pin", "123456")
    assert with_pin.code == 1 and "a PIN is typed only when the clinic hands it over" in with_pin.err
    bad_mode = cli("invoice", "send", numbers["full"], "--pin-mode", "fax")
    assert bad_mode.code == 2 and "invalid choice" in bad_mode.err

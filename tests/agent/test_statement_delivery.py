"""A statement of account end to end: ``facteur statement`` queued for a weekly patient -> ``agent
--once`` -> the real portal, aiosmtpd and the SMS gateway -> the patient opens one link with one PIN
and finds the statement and each of its invoices; no health detail in the email; and the link of an
invoice sent before stays open."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from models.billing.invoicing import LineInput, create_draft
from models.billing.statements import Account, Statement, make_statement
from models.core.enums import OutboxStatus, PinMode
from models.core.errors import FieldErrors
from models.links.tables import DownloadLink
from models.messaging.tables import Template
from models.people.patient import Patient
from models.workflow.lifecycle import bill
from models.workflow.reminders import run_due
from models.workflow.sending import enqueue_invoice_email
from models.workflow.statement_sending import enqueue_statement
from testbed.sms_gateway import SmsGateway
from tests.agent.pdf_helpers import pdf_text
from tests.agent.smtp_server import SmtpServer
from tests.agent.test_delivery import reload
from tests.agent.test_secure_delivery import LINK, drain, parts, portal, rows, secure_config  # noqa: F401
from tests.conftest import Setup
from tests.portal.conftest import RunningPortal, start_portal  # noqa: F401

PHONE = "+15145551234"
DESCRIPTION = "Physiothérapie lombaire"  # a health detail: never in an email or SMS
WEEK = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)


@pytest.fixture
def weekly(setup: Setup) -> Patient:
    patient = Patient.create(
        last_name="Gagnon", first_name="Mathieu", email="mathieu@example.org", cell_phone=PHONE, language="fr"
    )
    for week in range(4):
        lines = [LineInput(DESCRIPTION, Decimal(1), 9000, Decimal(0), "PHY")]
        draft = create_draft(patient=patient, billing_company=setup.company, lines=lines)
        bill(draft, now=WEEK + timedelta(weeks=week))
    return patient


async def test_one_link_one_pin_the_statement_and_its_invoices(
    setup: Setup,
    weekly: Patient,
    smtp_server: SmtpServer,
    sms_gateway: SmsGateway,
    portal: RunningPortal,  # noqa: F811
    tmp_path: Path,
) -> None:
    config = secure_config(tmp_path, smtp_server, sms_gateway, portal)
    first = weekly.invoices.order_by("id").first()
    earlier = enqueue_invoice_email(first, staff=setup.provider, pin_mode="sms")  # an invoice sent alone
    assert await drain(config, tmp_path) is True
    statement = make_statement(Account(weekly.id, setup.company.id, "CAD"))
    message = enqueue_statement(statement, pin_mode=PinMode.SMS, staff=setup.provider)
    assert await drain(config, tmp_path) is True

    sent = reload(message)
    assert sent.status == OutboxStatus.SENT and sent.kind == "statement"
    assert rows(message) == [
        ("portal", "published"),
        ("email", "sent"),
        ("sms", "sent"),
        ("sms", "delivered"),
    ]
    *_, received = smtp_server.handler.received
    plain, html = parts(received.email)
    for text in (received.raw.decode("utf-8", "replace"), plain, html):
        assert DESCRIPTION not in text and "PHY" not in text
    assert f"Relevé de compte {statement.reference}" in plain and "Montant dû : 360,00" in plain.replace(
        "\u00a0", " "
    )
    assert "Télécharger votre relevé et vos factures" in plain

    match = LINK.search(plain)
    assert match is not None
    *_, sms = sms_gateway.sent
    assert "relevé de compte" in sms.text and DESCRIPTION not in sms.text
    browser = portal.browser()
    opened = browser.post(f"/l/{match[1]}", data={"pin": sms.pin})
    assert opened.status_code == 200, opened.text
    names = re.findall(r"(releve-[^<\"]+\.pdf|facture-[^<\"]+\.pdf)", opened.text)
    numbers = [invoice.number for invoice in weekly.invoices.order_by("id")]
    assert sorted(set(names)) == sorted(
        {f"releve-{statement.reference}.pdf", *(f"facture-{n}.pdf" for n in numbers)}
    )
    first_document = browser.get(f"/l/{match[1]}/documents/0")
    assert "Relevé de compte" in pdf_text(first_document.content)
    last_document = browser.get(f"/l/{match[1]}/documents/4")
    assert numbers[-1] in pdf_text(last_document.content)

    # the invoice's own link, sent before, stays open: a statement replaces no link of its invoices
    (alone,) = DownloadLink.select().where(DownloadLink.message == earlier.id)
    assert alone.revoked_at is None


def test_a_statement_without_an_address_is_refused_with_the_reason(setup: Setup) -> None:
    patient = Patient.create(last_name="Roy", first_name="Léa", language="fr")
    lines = [LineInput("Séance", Decimal(1), 9000)]
    bill(create_draft(patient=patient, billing_company=setup.company, lines=lines))
    statement = make_statement(Account(patient.id, setup.company.id, "CAD"))
    with pytest.raises(FieldErrors) as refused:
        enqueue_statement(statement, pin_mode=PinMode.SMS)
    assert "email" in [error.field for error in refused.value.errors]


async def test_a_scheduled_statement_goes_in_its_templates_wording(
    setup: Setup,
    weekly: Patient,
    smtp_server: SmtpServer,
    sms_gateway: SmsGateway,
    portal: RunningPortal,  # noqa: F811
    tmp_path: Path,
) -> None:
    """The patient chose statements; the clinic turned the monthly statement on: the scheduler makes
    it and the agent sends it written from the template, with one link and its PIN."""
    Patient.update(receive_statements=True).where(Patient.id == weekly.id).execute()
    Template.update(active=True).where(Template.system_key == "statement_monthly").execute()
    assert run_due(WEEK + timedelta(days=33)).enqueued == 1  # planned a month after the first, due
    assert await drain(secure_config(tmp_path, smtp_server, sms_gateway, portal), tmp_path) is True

    (statement,) = Statement.select()
    (received,) = smtp_server.handler.received
    plain, _html = parts(received.email)
    plain = plain.replace("\u00a0", " ")
    assert received.email["Subject"] == setup.clinic.name
    assert f"Voici votre relevé de compte {statement.reference} du 5 décembre 2026." in plain
    assert "Solde dû : 360,00 $" in plain and DESCRIPTION not in plain
    match = LINK.search(plain)
    assert match is not None
    (sms,) = sms_gateway.sent
    assert "relevé de compte" in sms.text
    opened = portal.browser().post(f"/l/{match[1]}", data={"pin": sms.pin})
    assert opened.status_code == 200 and f"releve-{statement.reference}.pdf" in opened.text

"""A statement's one Pay button: the agent against the fake Stripe and a real portal. The patient
pays what four weekly invoices owe in one Checkout Session; the payment goes to them oldest first;
a refund in Stripe's dashboard takes it back from the newest first; a statement with nothing owed
offers no button."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from models.billing.invoice import Invoice, Payment
from models.billing.invoicing import LineInput, create_draft
from models.billing.statements import Account, Statement, make_statement
from models.core.config import PortalSettings
from models.core.enums import PaymentMethod
from models.core.errors import ValidationError
from models.people.patient import Patient
from models.workflow.lifecycle import bill, record_payment
from models.workflow.statement_sending import enqueue_statement
from tests.agent.smtp_server import SmtpServer
from tests.agent.stripe_fixtures import ACCOUNT, fake_stripe, stripe_config, stripe_setup
from tests.agent.test_pay_door import drain_with, pay_path, pay_portal
from tests.conftest import Setup
from tests.portal.conftest import RunningPortal, start_portal
from tests.stripe_fake import FakeStripe

__all__ = ["fake_stripe", "pay_portal", "start_portal", "stripe_setup"]  # fixtures

WEEK = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)


def weekly_invoices(setup: Setup) -> list[Invoice]:
    patient = Patient.create(
        last_name="Gagnon",
        first_name="Mathieu",
        email="mathieu@example.org",
        language="fr",
        consent_email_attachments=True,
    )
    lines = [LineInput("Physiothérapie", Decimal(1), 9000, Decimal(0), "PHY")]
    return [
        bill(
            create_draft(patient=patient, billing_company=setup.company, lines=lines),
            now=WEEK + timedelta(weeks=n),
        )
        for n in range(4)
    ]


async def test_one_button_pays_four_invoices_oldest_first_and_a_refund_unwinds_newest_first(
    stripe_setup: Setup,
    smtp_server: SmtpServer,
    fake_stripe: FakeStripe,
    pay_portal: RunningPortal,
    tmp_path: Path,
) -> None:
    invoices = weekly_invoices(stripe_setup)
    record_payment(invoices[0], 4000, PaymentMethod.CASH)  # part of the first, at the desk
    statement = make_statement(Account(invoices[0].patient.id, stripe_setup.company.id, "CAD"))
    enqueue_statement(statement, pin_mode="none", payment_link=True, staff=stripe_setup.provider)
    config = replace(
        stripe_config(smtp_server.port, tmp_path, fake_stripe), portal=PortalSettings(url=pay_portal.url)
    )
    assert await drain_with(config, tmp_path)

    email = smtp_server.handler.received[-1].email
    assert [a.get_filename() for a in email.iter_attachments()] == [f"releve-{statement.reference}.pdf"]
    plain = email.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Payer le solde" in plain and "Montant dû : 320,00" in plain.replace("\xa0", " ")
    path = pay_path(email)

    browser = httpx.Client(base_url=pay_portal.url, follow_redirects=False, timeout=5)
    record_payment(Invoice.get_by_id(invoices[1].id), 1000, PaymentMethod.CASH)  # after the email
    assert await drain_with(config, tmp_path)  # the page learns the new amount
    click = browser.get(path)
    assert click.status_code == 303
    session = next(s for s in fake_stripe.sessions.values() if s["url"] == click.headers["location"])
    assert (session["amount_total"], session["_account"]) == (31000, ACCOUNT)
    assert session["metadata"]["facteur_invoice"] == statement.reference
    (item,) = session["_line_items"]
    assert item["price_data"]["product_data"]["name"] == f"Relevé de compte {statement.reference}"

    fake_stripe.complete(session["id"])
    assert await drain_with(config, tmp_path)
    balances = [Invoice.get_by_id(i.id).balance_cents for i in invoices]
    assert balances == [0, 0, 0, 0]
    ours = Payment.select().where(Payment.method == PaymentMethod.STRIPE).order_by(Payment.id)
    assert [(p.invoice.id, p.amount_cents) for p in ours] == [
        (invoices[0].id, 5000),
        (invoices[1].id, 8000),
        (invoices[2].id, 9000),
        (invoices[3].id, 9000),
    ]
    assert await drain_with(config, tmp_path)  # seen again in the next pull: counted once
    assert ours.count() == 4
    paid_page = browser.get(path)
    assert paid_page.status_code == 200
    assert f"Le relevé de compte {statement.reference} est payé" in paid_page.text

    fake_stripe.refund(session["id"], 12000)  # 120 $ given back in Stripe's dashboard
    assert await drain_with(config, tmp_path)
    balances = [Invoice.get_by_id(i.id).balance_cents for i in invoices]
    assert balances == [0, 0, 3000, 9000]  # the newest gave back first


def test_no_button_without_an_account_or_anything_owed(stripe_setup: Setup) -> None:
    invoices = weekly_invoices(stripe_setup)
    statement = make_statement(Account(invoices[0].patient.id, stripe_setup.company.id, "CAD"))
    for invoice in invoices:
        record_payment(Invoice.get_by_id(invoice.id), 9000, PaymentMethod.CASH)
    with pytest.raises(ValidationError, match="nothing is owed"):
        enqueue_statement(statement, pin_mode="none", payment_link=True)
    stripe_setup.company.stripe_account_id = None
    stripe_setup.company.save()
    with pytest.raises(ValidationError, match="no Stripe account"):
        enqueue_statement(Statement.get_by_id(statement.id), pin_mode="none", payment_link=True)

"""Statements of account: which invoices they list, their snapshot, one payment applied oldest first,
and a Stripe refund of such a payment unwound newest first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from models.billing.invoice import Invoice, Payment
from models.billing.invoicing import BilledTo, LineInput, create_draft
from models.billing.reversals import request_refund
from models.billing.statements import (
    Account,
    Statement,
    accounts_of,
    due_now,
    find_statement,
    items_of,
    make_statement,
)
from models.core.enums import PaymentMethod
from models.core.errors import NotFoundError, ValidationError
from models.people.patient import Patient
from models.workflow.lifecycle import bill, credit, record_payment, void
from models.workflow.money_back import REFUNDED, apply_money_back
from models.workflow.statement_payments import pay_statement
from tests.conftest import Setup

DAY = datetime(2026, 10, 1, 15, 0, tzinfo=UTC)


@pytest.fixture
def patient(setup: Setup) -> Patient:
    return Patient.create(last_name="Gagnon", first_name="Mathieu", email="m@example.org", language="fr")


def invoice(setup: Setup, patient: Patient, cents: int, week: int, **kwargs: object) -> Invoice:
    draft = create_draft(
        patient=patient,
        billing_company=kwargs.pop("company", setup.company),  # type: ignore[arg-type]
        lines=(LineInput("Séance", Decimal(1), cents),),
        **kwargs,  # type: ignore[arg-type]
    )
    return bill(draft, now=DAY + timedelta(weeks=week))


def test_a_weekly_patients_statement_lists_what_is_open(setup: Setup, patient: Patient) -> None:
    first, second, third, fourth = (invoice(setup, patient, 9000, week) for week in range(4))
    record_payment(second, 9000, PaymentMethod.CASH)  # paid: not listed
    record_payment(third, 4000, PaymentMethod.CASH)  # partly paid: listed for the rest
    void(fourth, "doublon")  # void: not listed
    refunded = invoice(setup, patient, 5000, 4)
    record_payment(refunded, 5000, PaymentMethod.CARD)
    credit(Invoice.get_by_id(refunded.id), "Séance annulée")  # a credit to refund: listed, below zero
    invoice(setup, patient, 7000, 5, billed_to=BilledTo("Assurance XYZ"))  # billed to a third party
    invoice(setup, patient, 6000, 5, company=setup.other_company)  # another company: its own account

    accounts = accounts_of(patient)
    assert [(a.company_id, a.currency) for a in accounts] == [
        (setup.company.id, "CAD"),
        (setup.other_company.id, "CAD"),
    ]
    statement = make_statement(accounts[0], now=DAY + timedelta(weeks=6))
    items = items_of(statement)
    assert [(i.invoice.id, i.balance_cents) for i in items] == [
        (first.id, 9000),
        (third.id, 5000),
        (refunded.id, -5000),
    ]
    assert statement.balance_cents == 9000
    assert due_now(statement) == 14000  # what is owed; the credit is the clinic's to give back
    assert find_statement(statement.reference).id == statement.id == find_statement(str(statement.id)).id
    with pytest.raises(NotFoundError):
        find_statement("CDP-ST-99999")


def test_one_payment_goes_to_the_oldest_invoices_first(setup: Setup, patient: Patient) -> None:
    invoices = [invoice(setup, patient, 9000, week) for week in range(4)]
    statement = make_statement(Account(patient.id, setup.company.id, "CAD"))
    record_payment(invoices[0], 2000, PaymentMethod.CASH)  # at the desk after the statement was made
    with pytest.raises(ValidationError, match="more than"):
        pay_statement(statement, 34001, PaymentMethod.TRANSFER)
    payments = pay_statement(statement, 20000, PaymentMethod.TRANSFER, reference="VIR-1")
    assert [(p.invoice.id, p.amount_cents) for p in payments] == [
        (invoices[0].id, 7000),
        (invoices[1].id, 9000),
        (invoices[2].id, 4000),
    ]
    statuses = [Invoice.get_by_id(i.id).status for i in invoices]
    assert statuses == ["paid", "paid", "billed", "billed"]
    assert due_now(statement) == 14000
    assert items_of(statement)[0].balance_cents == 9000  # the snapshot never changes


def test_a_stripe_refund_of_a_statement_payment_unwinds_newest_first(setup: Setup, patient: Patient) -> None:
    setup.company.stripe_account_id = "acct_1Parc"
    setup.company.save()
    invoices = [invoice(setup, patient, 9000, week) for week in range(3)]
    statement = make_statement(Account(patient.id, setup.company.id, "CAD"))
    pay_statement(statement, 27000, PaymentMethod.STRIPE, reference="pi_statement")
    charge = {"id": "ch_1", "payment_intent": "pi_statement", "amount_refunded": 12000}
    assert apply_money_back(REFUNDED, "acct_1Parc", charge, DAY)
    assert apply_money_back(REFUNDED, "acct_1Parc", charge, DAY)  # seen again: nothing more
    balances = [Invoice.get_by_id(i.id).balance_cents for i in invoices]
    assert balances == [0, 3000, 9000]  # the newest invoice gave back first
    assert Payment.select().where(Payment.reference == "pi_statement").count() == 3


def stripe_statement(setup: Setup, patient: Patient, amount: int) -> tuple[list[Invoice], Statement]:
    """Three 90 $ invoices and a statement of them paid through Stripe for ``amount``."""
    setup.company.stripe_account_id = "acct_1Parc"
    setup.company.save()
    invoices = [invoice(setup, patient, 9000, week) for week in range(3)]
    statement = make_statement(Account(patient.id, setup.company.id, "CAD"))
    pay_statement(statement, amount, PaymentMethod.STRIPE, reference="pi_statement")
    return invoices, statement


def test_a_refund_staff_asked_for_goes_to_the_payment_it_was_asked_on(setup: Setup, patient: Patient) -> None:
    invoices, _ = stripe_statement(setup, patient, 27000)
    credit(Invoice.get_by_id(invoices[0].id), "Séance annulée")  # the oldest now owes 90 $ back
    payment = Payment.get((Payment.invoice == invoices[0].id) & (Payment.reference == "pi_statement"))
    request_refund(payment.id, 9000, "crédit", staff=None)
    charge = {"id": "ch_1", "payment_intent": "pi_statement", "amount": 27000, "amount_refunded": 9000}
    assert apply_money_back(REFUNDED, "acct_1Parc", charge, DAY)
    balances = [Invoice.get_by_id(i.id).balance_cents for i in invoices]
    assert balances == [0, 0, 0]  # the credit was given back; nothing else moved


def test_what_no_invoice_took_is_refunded_first(setup: Setup, patient: Patient) -> None:
    invoices, _ = stripe_statement(setup, patient, 18000)  # a 270 $ charge: 90 $ of it went nowhere
    charge = {"id": "ch_2", "payment_intent": "pi_statement", "amount": 27000, "amount_refunded": 9000}
    assert apply_money_back(REFUNDED, "acct_1Parc", charge, DAY)
    assert [Invoice.get_by_id(i.id).balance_cents for i in invoices] == [0, 0, 9000]
    more = {**charge, "amount_refunded": 12000}  # 30 $ more: now from the newest invoice paid
    assert apply_money_back(REFUNDED, "acct_1Parc", more, DAY)
    assert [Invoice.get_by_id(i.id).balance_cents for i in invoices] == [0, 3000, 9000]


def test_a_statement_session_paid_beyond_what_is_owed_is_reported_once(
    setup: Setup, patient: Patient
) -> None:
    from models.links.checkout import DOOR_KEY, INVOICE_KEY, REQUEST_KEY, SIGNATURE_KEY, door_signature
    from models.links.statement_doors import StatementDoor, open_statement_door
    from models.messaging.tables import Notification
    from models.people.clinic import Staff
    from models.workflow.reconcile import Outcome, apply_session

    Staff.create(login="admin", display_name="Anne Admin", roles="admin")
    setup.company.stripe_account_id = "acct_1Parc"
    setup.company.save()
    invoices = [invoice(setup, patient, 9000, week) for week in range(2)]
    statement = make_statement(Account(patient.id, setup.company.id, "CAD"))
    door = StatementDoor.get_by_id(open_statement_door(statement.id).id)
    record_payment(Invoice.get_by_id(invoices[1].id), 9000, PaymentMethod.CASH)  # at the desk meanwhile
    key = "facteur-door-x-v1-g1"
    metadata = {
        DOOR_KEY: door.tag,
        INVOICE_KEY: statement.reference,
        REQUEST_KEY: key,
        SIGNATURE_KEY: door_signature(door.sign_key, statement.reference, key),
    }
    session = {
        "id": "cs_1",
        "status": "complete",
        "payment_status": "paid",
        "payment_intent": "pi_1",
        "amount_total": 18000,
        "currency": "cad",
        "metadata": metadata,
    }
    assert apply_session("acct_1Parc", session, now=DAY) == Outcome.UNAPPLIED
    assert apply_session("acct_1Parc", session, now=DAY) == Outcome.DUPLICATE  # the next pull
    assert [Invoice.get_by_id(i.id).balance_cents for i in invoices] == [0, 0]
    assert Notification.select().where(Notification.kind == "payment_unapplied").count() == 1
    forged = {**session, "id": "cs_2", "metadata": {**metadata, SIGNATURE_KEY: "0" * 40}}
    assert apply_session("acct_1Parc", forged, now=DAY) == Outcome.IGNORED

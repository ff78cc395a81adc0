"""What a Stripe event does to the clinic's data, without Stripe: what is Facteur's, what counts once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from models.billing.invoice import Invoice, Payment
from models.database.base import utcnow
from models.links.checkout import INVOICE_KEY, REQUEST_KEY
from models.links.link_sessions import RequestPlan
from models.links.stripe_events import StripeEvent, prune_events
from models.links.sync_cursor import read_cursor
from models.messaging.tables import Notification, OutboxMessage
from models.people.clinic import Staff
from models.workflow.reconcile import Outcome, apply_event
from models.workflow.sending import enqueue_invoice_email
from testbed.invoices import billed_invoice
from tests.conftest import Setup

ACCOUNT = "acct_1ClinicParc01"


@pytest.fixture
def invoice(setup: Setup) -> Invoice:
    setup.company.stripe_account_id = ACCOUNT
    setup.company.save()
    Staff.create(login="admin", display_name="Anne Admin", roles="admin")
    return billed_invoice(setup.company)


def planned(number: str) -> str:
    """The key of a Checkout Session request Facteur planned for invoice ``number`` and whose
    answer it never recorded (a crash in between): the session is Facteur's all the same."""
    invoice = Invoice.get(Invoice.number == number)
    key = f"facteur-plan-{invoice.id}"
    if not OutboxMessage.select().where(OutboxMessage.stripe_request.contains(key)).exists():
        message = enqueue_invoice_email(invoice)
        params = {"metadata": {INVOICE_KEY: number, REQUEST_KEY: key}}
        OutboxMessage.update(stripe_request=RequestPlan(key, 1, params).to_json()).where(
            OutboxMessage.id == message.id
        ).execute()
    return key


def event(
    number: str | None, *, id: str = "evt_1", created: int | None = None, **session: Any
) -> dict[str, Any]:
    body = {
        "id": "cs_test_orphan",
        "status": "complete",
        "payment_status": "paid",
        "amount_total": 8500,
        "currency": "cad",
        "payment_intent": "pi_test_1",
        "metadata": {INVOICE_KEY: number, REQUEST_KEY: planned(number)} if number else {},
        **session,
    }
    return {
        "id": id,
        "type": "checkout.session.completed",
        "created": created or int(utcnow().timestamp()),
        "account": ACCOUNT,
        "data": {"object": body},
    }


def test_a_session_facteur_did_not_make_is_ignored(invoice: Invoice) -> None:
    assert apply_event(event(None)) is Outcome.IGNORED  # the clinic sold something else on Stripe
    assert apply_event(event(invoice.number, id="evt_2"), account="acct_someone_else") is Outcome.IGNORED
    for id, metadata in (  # another system of the clinic naming one of Facteur's invoices
        ("evt_3", {"invoice": invoice.number}),
        ("evt_4", {INVOICE_KEY: invoice.number}),
        ("evt_5", {INVOICE_KEY: invoice.number, REQUEST_KEY: "facteur-1-1-0123456789abcdef"}),
    ):
        assert apply_event(event(None, id=id, metadata=metadata)) is Outcome.IGNORED
    assert not Payment.select().exists() and not Notification.select().exists()
    assert StripeEvent.select().count() == 5  # still seen once each


def test_a_paid_session_without_its_link_row_is_still_recorded(invoice: Invoice) -> None:
    """A session whose recording was lost (idempotency key expired before a retry) is still money."""
    assert apply_event(event(invoice.number)) is Outcome.PAID
    assert Invoice.get_by_id(invoice.id).status == "paid"
    assert Payment.get().reference == "pi_test_1"
    assert apply_event(event(invoice.number, id="evt_again")) is Outcome.DUPLICATE  # same payment intent


def test_a_payment_in_another_currency_is_not_recorded_and_admins_are_told(invoice: Invoice) -> None:
    assert apply_event(event(invoice.number, currency="usd")) is Outcome.UNAPPLIED
    assert not Payment.select().exists() and Invoice.get_by_id(invoice.id).status == "billed"
    (notice,) = Notification.select()
    assert notice.kind == "payment_unapplied" and notice.staff.login == "admin"


def test_an_unpaid_completion_waits_and_other_events_are_ignored(invoice: Invoice) -> None:
    assert apply_event(event(invoice.number, payment_status="unpaid")) is Outcome.WAITING
    other = {**event(invoice.number, id="evt_x"), "type": "payment_intent.succeeded"}
    assert apply_event(other) is Outcome.IGNORED
    assert not Payment.select().exists()


def test_the_cursor_only_moves_forward(invoice: Invoice) -> None:
    now = int(utcnow().timestamp())
    apply_event(event(None, id="evt_new", created=now), cursor="stripe:acct")
    apply_event(event(None, id="evt_old", created=now - 600), cursor="stripe:acct")
    assert read_cursor("stripe:acct") == str(now)


def test_old_events_are_forgotten_after_stripe_can_no_longer_bring_them(invoice: Invoice) -> None:
    old = int((utcnow() - timedelta(days=36)).timestamp())
    apply_event(event(None, id="evt_old", created=old))
    apply_event(event(None, id="evt_new"))
    assert prune_events() == 1
    assert [e.event_id for e in StripeEvent.select()] == ["evt_new"]

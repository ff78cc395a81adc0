"""Every billed invoice has a Pay page: a round of the agent looks only at the pages that can have
changed since the last one, and all of them in a full sweep."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from models.billing.invoice import Invoice
from models.billing.invoicing import LineInput, create_draft
from models.core.enums import PaymentMethod
from models.database.base import utcnow
from models.links.pay_doors import doors_to_push, pushed
from models.people.clinic import Clinic
from models.people.patient import Patient
from models.workflow.lifecycle import bill, record_payment
from tests.conftest import Setup


def test_a_round_looks_at_what_changed_and_a_sweep_at_everything(setup: Setup) -> None:
    patient = Patient.create(last_name="Roy", first_name="Léa", language="fr")
    lines = [LineInput("Séance", Decimal(1), 9000)]
    invoices = [
        bill(create_draft(patient=patient, billing_company=setup.company, lines=lines)) for _ in range(3)
    ]
    first = doors_to_push()
    assert len(first) == 3  # never pushed: all of them
    for state in first:
        pushed(state, state.version)
    mark = utcnow()
    assert doors_to_push(changed_since=mark) == [] and doors_to_push() == []

    record_payment(Invoice.get_by_id(invoices[1].id), 9000, PaymentMethod.CASH)
    (paid,) = doors_to_push(changed_since=mark - timedelta(seconds=1))
    assert (paid.number, paid.status) == (invoices[1].number, "paid")

    Clinic.update(phone="+15145550100").execute()  # no invoice row says so: the sweep finds it
    assert [s.number for s in doors_to_push(changed_since=utcnow())] == []
    assert len(doors_to_push()) == 3


def test_looking_writes_nothing_and_a_version_is_taken_at_the_push(setup: Setup) -> None:
    """A portal out of reach costs no write: a page's next version is taken right before its push."""
    from models.links.pay_doors import reserve
    from models.links.tables import PayDoor

    patient = Patient.create(last_name="Roy", first_name="Léa", language="fr")
    lines = [LineInput("Séance", Decimal(1), 9000)]
    bill(create_draft(patient=patient, billing_company=setup.company, lines=lines))
    (state,) = doors_to_push()
    assert (state.version, PayDoor.get().version) == (0, 0)
    assert doors_to_push()[0].version == 0  # looked at again: still nothing written
    taken = reserve(state)
    assert (taken.version, PayDoor.get().version) == (1, 1)
    pushed(taken, taken.version)
    assert reserve(state).version == 1 and doors_to_push() == []  # what the portal has: no new version

"""Invoice screens' fixtures: the shell's app with patients, drafts and billed invoices in place.

Built on ``tests/tui/conftest.py`` (a clinic with an admin, a clerk and a provider, and
``make_app``); dates come from the shell's frozen clock so snapshots never move.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from textual.app import App
from textual.pilot import Pilot

from models.billing.invoice import Invoice
from models.billing.invoicing import BilledTo, LineInput, create_draft
from models.core.enums import Channel, TransmissionStatus
from models.messaging.tables import OutboxMessage, Transmission
from models.people.clinic import Staff
from models.people.patient import Patient
from models.workflow.lifecycle import bill
from testbed.textual_private import notifications

from ..conftest import FROZEN_NOW, Clinic_
from ..settling import settle as settle  # the invoice tests import them from here
from ..settling import until as until


@dataclass
class Billing:
    patients: list[Patient]
    draft: Invoice
    billed: Invoice
    receptionist: Staff


@pytest.fixture
def billing(clinic: Clinic_) -> Billing:
    """Patients, a draft for the provider, a billed invoice with a transmission, a receptionist (fr)."""
    receptionist = Staff.create(
        login="reception", display_name="Rita Réception", roles="billing", language="fr"
    )
    Staff.update(roles="provider").where(Staff.id == clinic.provider.id).execute()
    names = [("Bélanger", "Élise"), ("Tremblay", "Marc"), ("Smith", "Olivia"), ("Gagnon", "Léa")]
    patients = [
        Patient.create(
            last_name=last,
            first_name=first,
            email=f"{first.lower()}@example.org",
            cell_phone=f"+1514555100{index}",
            language="en" if last == "Smith" else "fr",
        )
        for index, (last, first) in enumerate(names)
    ]
    # Namesakes enough for two pages in the picker.
    for index in range(9):
        Patient.create(last_name="Bouchard", first_name=f"Client{index}", email=None)
    lines = [
        LineInput("Consultation initiale", Decimal(1), 9500, Decimal(0), "C01"),
        LineInput("Orthèse plantaire", Decimal(2), 4000, Decimal("14.975"), "O02"),
    ]
    draft = create_draft(
        patient=patients[1], billing_company=clinic.company, provider=clinic.provider, lines=lines[:1]
    )
    billed = create_draft(
        patient=patients[0],
        billing_company=clinic.company,
        provider=clinic.provider,
        billed_to=BilledTo("Assurances Beaulieu", "reclamations@beaulieu.example", None, "fr"),
        lines=lines,
    )
    billed = bill(billed, now=FROZEN_NOW - timedelta(days=2))
    message = OutboxMessage.create(
        kind="invoice", invoice=billed, recipient_email="reclamations@beaulieu.example", language="fr"
    )
    Transmission.create(
        invoice=billed,
        message=message,
        channel=Channel.EMAIL,
        status=TransmissionStatus.SENT,
        reply_code="250",
        provider_id="<f1@clinique.example>",
        created_at=FROZEN_NOW - timedelta(days=1),
    )
    return Billing(patients, draft, billed, receptionist)


async def open_screen(pilot: Pilot[object], screen: object) -> None:
    await pilot.pause()
    pilot.app.push_screen(screen)  # type: ignore[arg-type]
    await settle(pilot)


Opener = Callable[[Pilot[object]], Awaitable[None]]


def messages(app: App[object]) -> list[str]:
    return notifications(app)

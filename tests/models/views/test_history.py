"""History's text filter: a number's start, its last digits, or a patient's name."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from models.billing.invoicing import LineInput, create_draft
from models.people.patient import Patient
from models.views.history import HistoryFilter, history_query, numbers_ending_with
from models.workflow.lifecycle import bill
from tests.conftest import Setup


def numbers(text: str) -> list[str]:
    return sorted(row.number or "" for row in history_query(HistoryFilter(text=text)))


def test_the_last_digits_find_the_number_in_every_company_and_year(setup: Setup) -> None:
    patient = Patient.create(last_name="Gagnon", first_name="Léa")
    line = [LineInput("Consultation", Decimal(1), 8500, Decimal(0), "C01")]
    for company, when in (
        (setup.company, datetime(2025, 6, 1, 15, tzinfo=UTC)),
        (setup.company, datetime(2026, 6, 1, 15, tzinfo=UTC)),
        (setup.company, datetime(2026, 6, 2, 15, tzinfo=UTC)),
        (setup.other_company, datetime(2026, 6, 1, 15, tzinfo=UTC)),
    ):
        bill(create_draft(patient=patient, billing_company=company, provider=None, lines=line), now=when)
    assert numbers("1") == ["CDP-2025-00001", "CDP-2026-00001", "PPL-2026-00001"]
    assert numbers("00002") == ["CDP-2026-00002"]
    assert numbers("cdp-2026") == ["CDP-2026-00001", "CDP-2026-00002"]
    assert len(numbers("gagnon")) == 4
    assert numbers("3") == []
    assert numbers_ending_with("123456") == [] and numbers_ending_with("12a") == []

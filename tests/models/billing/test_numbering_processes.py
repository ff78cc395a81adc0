"""Two processes billing at the same moment on one database (SQLite or PostgreSQL): no gap, no duplicate."""

from __future__ import annotations

import multiprocessing
import re
from decimal import Decimal

from models.billing.invoice import Invoice
from models.billing.invoicing import LineInput, create_draft
from models.database.db import close_database, open_database
from models.people.clinic import BillingCompany, Clinic
from models.people.patient import Patient
from models.setup.schema import ensure_schema
from models.workflow.lifecycle import bill

DRAFTS_PER_PROCESS = 40


def _bill_all(url: str, ids: list[int], start: multiprocessing.synchronize.Event) -> None:  # type: ignore[name-defined]
    open_database(url)
    start.wait(10)
    for invoice_id in ids:
        bill(Invoice.get_by_id(invoice_id))
    close_database()


def test_concurrent_billing_is_gapless_and_unique(database_url: str) -> None:
    url = database_url
    ensure_schema(open_database(url))
    clinic = Clinic.create(name="C", timezone="America/Toronto")
    company = BillingCompany.create(clinic=clinic, name="BC", number_prefix="CDP")
    patient = Patient.create(last_name="Côté", first_name="Léa")
    line = LineInput("Consultation", Decimal(1), 8500)
    ids = [
        create_draft(patient=patient, billing_company=company, lines=[line]).id
        for _ in range(2 * DRAFTS_PER_PROCESS)
    ]
    close_database()

    context = multiprocessing.get_context("spawn")  # fresh interpreters, as two real programs would be
    start = context.Event()
    workers = [context.Process(target=_bill_all, args=(url, ids[index::2], start)) for index in range(2)]
    for worker in workers:
        worker.start()
    start.set()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0

    open_database(url)
    numbers = [invoice.number for invoice in Invoice.select()]
    sequence = sorted(int(re.fullmatch(r"CDP-\d{4}-(\d{5})", n).group(1)) for n in numbers)  # type: ignore[union-attr]
    assert sequence == list(range(1, 2 * DRAFTS_PER_PROCESS + 1))
    close_database()

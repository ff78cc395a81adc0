"""Demo data: a small believable clinic (``db init --demo``) and bulk data for scale tests."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from locales import N_
from models.billing.invoice import Invoice, InvoiceLine, InvoiceSequence, Payment
from models.billing.invoicing import LineInput, create_draft, line_amounts
from models.billing.numbering import format_number
from models.billing.tax_definitions import load_preset
from models.billing.tax_presets import find_preset
from models.billing.taxes import Tax
from models.core.enums import ConsentChannel, ConsentMethod, InvoiceStatus, PaymentMethod
from models.core.errors import ValidationError
from models.core.text import fold, name_key
from models.database.base import utcnow
from models.database.db import db, reset_sequences
from models.people.clinic import BillingCompany, Clinic, Staff
from models.people.consent import record_consent
from models.people.patient import Patient
from models.workflow.lifecycle import bill, record_payment, void

FRENCH_FIRST = [
    "Élise",
    "Mathieu",
    "Chloé",
    "Gabriel",
    "Léa",
    "Félix",
    "Camille",
    "Raphaël",
    "Zoé",
    "Étienne",
]
FRENCH_LAST = ["Bélanger", "Tremblay", "Côté", "Gagnon", "Lévesque", "Pelletier", "Bouchard", "Gauthier"]
ENGLISH_FIRST = ["Olivia", "Liam", "Emma", "Noah", "Ava", "Lucas", "Mia", "Ethan", "Grace", "Owen"]
ENGLISH_LAST = ["Smith", "Brown", "Wilson", "MacDonald", "Taylor", "Campbell", "Anderson", "O'Brien"]
QUEBEC = ("GST", "QST")
SERVICES: list[tuple[str, str, int, tuple[str, ...]]] = [  # health care is exempt, the rest taxed
    ("PHY-EVAL", "Évaluation initiale en physiothérapie", 9500, ()),
    ("PHY-TX", "Traitement de physiothérapie", 7500, ()),
    ("OST", "Séance d'ostéopathie", 9000, ()),
    ("MAS", "Massothérapie, 60 minutes", 8500, QUEBEC),
    ("ORT", "Orthèse plantaire", 35000, QUEBEC),
    ("RPT", "Copie de dossier", 2500, QUEBEC),
]
# Each company's registration numbers for GST and QST (the Québec preset's taxes).
REGISTRATIONS = {
    "CDP": {"GST": "123456789 RT0001", "QST": "1234567890 TQ0001"},
    "PPL": {"GST": "987654321 RT0001", "QST": "9876543210 TQ0001"},
}
# 60 demo invoices: how many end in each state.
DEMO_MIX = {"draft": 8, "billed": 18, "partial": 8, "paid": 20, "void": 6}


@dataclass(frozen=True)
class DemoReport:
    created: bool
    patients: int
    invoices: int


def seed_demo(rng: random.Random | None = None) -> DemoReport:
    """Two billing companies, a provider, 30 patients and 60 invoices in every state.

    Does nothing when the database already has patients, so it is safe to re-run.
    """
    if Patient.select().exists():
        return DemoReport(False, 0, 0)
    rng = rng or random.Random(2026)  # noqa: S311 (demo data, not secrets)
    clinic = Clinic.select().order_by(Clinic.id).get()
    with db.atomic():
        companies = [
            BillingCompany.create(
                clinic=clinic, name="Clinique du Parc inc.", currency="CAD", number_prefix="CDP"
            ),
            BillingCompany.create(
                clinic=clinic, name="Physio Plateau S.E.N.C.", currency="CAD", number_prefix="PPL"
            ),
        ]
        for company in companies:
            _quebec_taxes(company)
        provider = Staff.get_or_none(Staff.login == "dr.roy") or Staff.create(
            login="dr.roy", display_name="Dre Julie Roy", roles="provider,billing", language="fr"
        )
        patients = [Patient.create(**fields) for fields in _demo_patients(rng, 30)]
        for patient in patients:  # their consent as the front desk recorded it, on the intake form
            if patient.consent_email_attachments:
                record_consent(
                    patient.id, ConsentChannel.ATTACHMENTS, True, ConsentMethod.FORM, staff=provider
                )
    now = utcnow()
    states = [state for state, count in DEMO_MIX.items() for _ in range(count)]
    rng.shuffle(states)
    # Billed oldest first, so numbers rise with dates as they would have in the clinic.
    billed_ago = sorted(
        (timedelta(days=rng.randint(1, 120), hours=rng.randint(0, 8)) for _ in states), reverse=True
    )
    for index, state in enumerate(states):
        patient = patients[index % len(patients)]
        lines = [_line(rng) for _ in range(rng.randint(1, 3))]
        invoice = create_draft(
            patient=patient, billing_company=companies[index % 2], provider=provider, lines=lines
        )
        if state == "draft":
            continue
        invoice = bill(invoice, now=now - billed_ago[index])
        if state == "void":
            void(invoice, "Erreur de saisie")
        elif state == "partial":
            record_payment(invoice, invoice.total_cents // 2, PaymentMethod.CARD)
        elif state == "paid":
            method = rng.choice([PaymentMethod.CASH, PaymentMethod.CARD, PaymentMethod.TRANSFER])
            record_payment(invoice, invoice.total_cents, method)
    return DemoReport(True, len(patients), len(states))


def _demo_patients(rng: random.Random, count: int) -> Iterator[dict[str, object]]:
    for index in range(count):
        english = index % 3 == 2
        first = rng.choice(ENGLISH_FIRST if english else FRENCH_FIRST)
        last = rng.choice(ENGLISH_LAST if english else FRENCH_LAST)
        has_email, has_phone, has_card = index % 7 != 3, index % 5 != 4, index % 6 != 5
        birth = date(1940, 1, 1) + timedelta(days=rng.randint(0, 30000))
        month = birth.month + (50 if index % 2 else 0)
        initials = _letters(last, 3) + _letters(first, 1)
        ramq = f"{initials}{birth:%y}{month:02d}{birth.day:02d}{rng.randint(10, 99)}"
        yield {
            "last_name": last,
            "first_name": first,
            "search_name": name_key(last, first),
            "email": f"{fold(first)}.{''.join(ch for ch in fold(last) if ch.isalnum())}{index}@example.org"
            if has_email
            else None,
            "cell_phone": f"+1514555{1000 + index:04d}" if has_phone else None,
            "language": "en" if english else ("fr" if index % 4 else None),
            "health_insurance_number": ramq if has_card else None,
            "receive_reminders": index % 8 != 1,
            "consent_email_attachments": index % 4 == 0,
        }


def _letters(name: str, count: int) -> str:
    letters = [ch for ch in fold(name).upper() if ch.isalpha()]
    return "".join(letters)[:count].ljust(count, "X")


def _quebec_taxes(company: BillingCompany) -> None:
    """Québec's GST and QST, with the company's registration numbers."""
    numbers = REGISTRATIONS.get(company.number_prefix, {})
    for tax in load_preset(company.id, "qc"):
        Tax.update(registration=numbers.get(tax.code)).where(Tax.id == tax.id).execute()


def _line(rng: random.Random) -> LineInput:
    code, description, price, taxes = rng.choice(SERVICES)
    return LineInput(description, Decimal(rng.choice([1, 1, 1, 2])), price, code=code, tax_codes=taxes)


def _bare_rate(codes: tuple[str, ...]) -> Decimal:
    """Bulk lines are written as lines from before named taxes: one rate, the preset's sum."""
    rates = {tax.code: Decimal(tax.rate) for tax in find_preset("qc").taxes}
    return sum((rates[code] for code in codes), Decimal(0))


MAX_PARAMETERS = 30000


def bulk_demo(
    patients: int, invoices: int, rng: random.Random | None = None, chunk: int = 5000
) -> DemoReport:
    """Insert ``patients`` and ``invoices`` in bulk (100,000 invoices in seconds) for scale tests.

    Invoices are spread over the last three years in every state; numbers continue
    each company's sequence without gaps.
    """
    rng = rng or random.Random(7)  # noqa: S311 (demo data, not secrets)
    companies = list(BillingCompany.select().order_by(BillingCompany.id))
    if not companies:
        clinic = Clinic.select().order_by(Clinic.id).get()
        companies = [
            BillingCompany.create(clinic=clinic, name="Clinique", currency="CAD", number_prefix="CLI")
        ]
    providers: list[Staff | None] = list(Staff.select().where(Staff.roles.contains("provider"))) or [None]
    if patients == 0 and invoices and not Patient.select().exists():
        raise ValidationError("patients", N_("there are no patients to bill: add some with --patients N"))
    with db.atomic():
        rows = list(_demo_patients(rng, patients))
        patient_ids: list[int] = []
        for start in range(0, len(rows), _rows_per_insert(rows, chunk)):
            # the ids the database gave (a PostgreSQL sequence may skip some), not max + 1
            batch = rows[start : start + _rows_per_insert(rows, chunk)]
            patient_ids += [
                int(row[0]) for row in Patient.insert_many(batch).returning(Patient.id).tuples().execute()
            ]
        patient_ids = patient_ids or [p.id for p in Patient.select(Patient.id).limit(1000)]
        _bulk_invoices(rng, invoices, companies, providers, patient_ids, chunk)
        reset_sequences(db.obj, [Invoice._meta.table_name])  # the invoices were written with their ids
    return DemoReport(True, patients, invoices)


def _bulk_invoices(  # noqa: PLR0917 (private helper of bulk_demo)
    rng: random.Random,
    count: int,
    companies: list[BillingCompany],
    providers: list[Staff | None],
    patient_ids: list[int],
    chunk: int,
) -> None:
    today = utcnow().date()
    sequences: dict[tuple[int, int], int] = {
        # __data__ holds the raw company id: no query per row to load the company.
        (int(seq.__data__["billing_company"]), seq.year): seq.last_value
        for seq in InvoiceSequence.select()
    }
    names = {
        p.id: p
        for p in Patient.select(Patient.id, Patient.first_name, Patient.last_name, Patient.email).where(
            Patient.id.in_(patient_ids[:50000])
        )
    }
    first_id = (Invoice.select(Invoice.id).order_by(Invoice.id.desc()).scalar() or 0) + 1
    # Oldest first, so numbers rise with issue dates as they would have.
    issue_dates = sorted(today - timedelta(days=rng.randint(0, 3 * 365)) for _ in range(count))
    invoices: list[dict[str, object]] = []
    lines: list[dict[str, object]] = []
    payments: list[dict[str, object]] = []
    for offset, issue_date in enumerate(issue_dates):
        invoice_id = first_id + offset
        company = companies[offset % len(companies)]
        patient_id = patient_ids[rng.randrange(len(patient_ids))]
        patient = names.get(patient_id)
        state = rng.choices(["draft", "billed", "paid", "void"], weights=[3, 25, 65, 7])[0]
        subtotal = tax = 0
        for position in range(1, rng.randint(1, 3) + 1):
            code, description, price, taxes = rng.choice(SERVICES)
            rate = _bare_rate(taxes)
            line_subtotal, line_tax = line_amounts(Decimal(1), price, rate)
            subtotal, tax = subtotal + line_subtotal, tax + line_tax
            lines.append(
                {
                    "invoice": invoice_id,
                    "position": position,
                    "code": code,
                    "description": description,
                    "quantity": Decimal(1),
                    "unit_price_cents": price,
                    "tax_rate": rate,
                    "subtotal_cents": line_subtotal,
                    "tax_cents": line_tax,
                }
            )
        number = None
        if state != "draft":
            key = (company.id, issue_date.year)
            sequences[key] = sequences.get(key, 0) + 1
            number = format_number(company.number_prefix, issue_date.year, sequences[key])
        billed_at = datetime(issue_date.year, issue_date.month, issue_date.day, 15, tzinfo=UTC)
        paid = subtotal + tax if state == "paid" else 0
        if paid:
            payments.append(
                {
                    "invoice": invoice_id,
                    "amount_cents": paid,
                    "method": rng.choice(["cash", "card", "transfer"]),
                    "received_at": billed_at + timedelta(days=rng.randint(0, 30)),
                }
            )
        invoices.append(
            {
                "id": invoice_id,
                "number": number,
                "billing_company": company.id,
                "patient": patient_id,
                "provider": provider.id if (provider := providers[offset % len(providers)]) else None,
                "billed_to_name": f"{patient.first_name} {patient.last_name}" if patient else "Patient",
                "billed_to_email": patient.email if patient else None,
                "status": InvoiceStatus.BILLED.value if state == "billed" else state,
                "currency": company.currency,
                "issue_date": issue_date if state != "draft" else None,
                "due_date": issue_date + timedelta(days=30) if state != "draft" else None,
                "subtotal_cents": subtotal,
                "tax_cents": tax,
                "total_cents": subtotal + tax,
                "paid_cents": paid,
                "billed_at": billed_at if state != "draft" else None,
                "voided_at": billed_at + timedelta(days=1) if state == "void" else None,
            }
        )
        if len(invoices) >= chunk:
            _flush(invoices, lines, payments)
    _flush(invoices, lines, payments)
    for (company_id, year), last_value in sequences.items():
        InvoiceSequence.insert(billing_company=company_id, year=year, last_value=last_value).on_conflict(
            conflict_target=[InvoiceSequence.billing_company, InvoiceSequence.year],
            update={InvoiceSequence.last_value: last_value},
        ).execute()


def _flush(
    invoices: list[dict[str, object]], lines: list[dict[str, object]], payments: list[dict[str, object]]
) -> None:
    for model, rows in ((Invoice, invoices), (InvoiceLine, lines), (Payment, payments)):
        step = _rows_per_insert(rows, len(rows))
        for start in range(0, len(rows), step):
            model.insert_many(rows[start : start + step]).execute()
        rows.clear()


def _rows_per_insert(rows: list[dict[str, object]], most: int) -> int:
    """Rows per INSERT within the parameters a statement may bind (PostgreSQL 65,535, SQLite 32,766)."""
    return max(1, min(most, MAX_PARAMETERS // max(1, len(rows[0]) if rows else 1)))

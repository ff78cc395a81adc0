"""The dynamic fields a template may show, and their values for one invoice and one reader.

Values are formatted where they are read: money and dates with Babel in the recipient's
language and the clinic's country (``85,00 $`` for ``fr``/``CA``, ``$85.00`` for ``en``/``CA``).
Links are empty strings when the message carries none, so a template can test them
(``{% if payment_link %}…{% endif %}``). The TUI's editor lists ``FIELDS`` and previews on
``sample_values`` (or the latest billed invoice); the save check renders on ``sample_invoices``; the
agent renders ``values_for_invoice``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from locales import L_, LazyText
from locales.formatting import format_date, format_datetime, format_money
from models.billing.invoice import Invoice
from models.billing.statements import Statement, due_now, items_of
from models.core.enums import TemplateKind
from models.people.clinic import Clinic

INVOICE_KINDS = frozenset({TemplateKind.INVOICE, TemplateKind.REMINDER})
STATEMENT_KINDS = frozenset({TemplateKind.STATEMENT})
EVERY_KIND = INVOICE_KINDS | STATEMENT_KINDS


@dataclass(frozen=True)
class Field:
    """One field: its name in templates, what staff read in the list, whether a subject may show it,
    and the template kinds it means something in (a statement covers several invoices)."""

    name: str
    label: LazyText
    in_subject: bool = False
    link: bool = False
    kinds: frozenset[TemplateKind] = EVERY_KIND


FIELDS: tuple[Field, ...] = (
    Field("invoice_number", L_("Invoice number"), in_subject=True, kinds=INVOICE_KINDS),
    Field("statement_reference", L_("Statement reference"), in_subject=True, kinds=STATEMENT_KINDS),
    Field("invoice_count", L_("Invoices on the statement"), kinds=STATEMENT_KINDS),
    Field("amount_due", L_("Amount due (the balance)")),
    Field("total", L_("Invoice total"), kinds=INVOICE_KINDS),
    Field("amount_paid", L_("Amount paid so far"), kinds=INVOICE_KINDS),
    Field("issue_date", L_("Issue date"), in_subject=True),
    Field("due_date", L_("Due date"), in_subject=True, kinds=INVOICE_KINDS),
    Field("days_overdue", L_("Days past the due date (0 before it)"), kinds=INVOICE_KINDS),
    Field("patient_name", L_("Patient's name")),
    Field("billed_to_name", L_("Billed-to name")),
    Field("clinic_name", L_("Clinic name"), in_subject=True),
    Field("clinic_phone", L_("Clinic phone")),
    Field("clinic_email", L_("Clinic email")),
    Field("download_link", L_("Download link (secure delivery; empty without one)"), link=True),
    Field("link_expiry", L_("Download link's expiry (empty without one)")),
    Field("payment_link", L_("Payment link (empty without one)"), link=True),
)
FIELD_NAMES: frozenset[str] = frozenset(field.name for field in FIELDS)
SUBJECT_FIELDS: frozenset[str] = frozenset(field.name for field in FIELDS if field.in_subject)
LINK_FIELDS: frozenset[str] = frozenset(field.name for field in FIELDS if field.link)


def fields_for(kind: str) -> tuple[Field, ...]:
    """The fields a template of ``kind`` may show."""
    return tuple(field for field in FIELDS if kind in field.kinds)


@dataclass(frozen=True)
class FieldValues:
    """An invoice's facts before formatting (money in cents, dates as dates)."""

    invoice_number: str
    currency: str
    total_cents: int
    paid_cents: int
    balance_cents: int
    issue_date: date | None
    due_date: date | None
    patient_name: str
    billed_to_name: str
    clinic_name: str
    clinic_phone: str
    clinic_email: str
    country: str
    timezone: str
    today: date | None = None  # the clinic's date, for days_overdue
    download_url: str = ""
    link_expires_at: datetime | None = None
    payment_url: str = ""
    statement_reference: str = ""  # a statement's: its reference, and how many invoices it lists
    invoice_count: int = 0

    def with_links(
        self, download_url: str | None, payment_url: str | None, link_expires_at: datetime | None = None
    ) -> FieldValues:
        return replace(
            self,
            download_url=download_url or "",
            payment_url=payment_url or "",
            link_expires_at=link_expires_at,
        )


def values_for_invoice(invoice: Invoice, clinic: Clinic, *, today: date | None = None) -> FieldValues:
    """The facts of a billed invoice (links are added by whoever made them, ``with_links``)."""
    return FieldValues(
        invoice_number=invoice.number or f"#{invoice.id}",
        currency=invoice.currency,
        total_cents=invoice.total_cents,
        paid_cents=invoice.paid_cents,
        balance_cents=invoice.balance_cents,
        issue_date=invoice.issue_date,
        due_date=invoice.due_date,
        patient_name=invoice.patient.full_name,
        billed_to_name=invoice.billed_to_name,
        clinic_name=clinic.name,
        clinic_phone=clinic.phone,
        clinic_email=clinic.email,
        country=clinic.country,
        timezone=clinic.timezone,
        today=today,
    )


def values_for_statement(statement: Statement, clinic: Clinic, *, today: date | None = None) -> FieldValues:
    """The facts of a statement of account: what its invoices owe now (payments since count), the
    day it was made; the invoice-only fields are left empty (a statement template cannot show them)."""
    patient = statement.patient
    return FieldValues(
        invoice_number="",
        currency=statement.currency,
        total_cents=0,
        paid_cents=0,
        balance_cents=due_now(statement),
        issue_date=statement.issue_date,
        due_date=None,
        patient_name=patient.full_name,
        billed_to_name=patient.full_name,
        clinic_name=clinic.name,
        clinic_phone=clinic.phone,
        clinic_email=clinic.email,
        country=clinic.country,
        timezone=clinic.timezone,
        today=today,
        statement_reference=statement.reference,
        invoice_count=len(items_of(statement)),
    )


def sample_values(clinic: Clinic, today: date) -> FieldValues:
    """A believable invoice for the editor's preview when none was billed yet."""
    return FieldValues(
        invoice_number="CDP-2026-00042",
        currency="CAD",
        total_cents=9500,
        paid_cents=1000,
        balance_cents=8500,
        issue_date=date(2026, 3, 2),
        due_date=date(2026, 4, 1),
        patient_name="Marie Tremblay",
        billed_to_name="Marie Tremblay",
        clinic_name=clinic.name,
        clinic_phone=clinic.phone,
        clinic_email=clinic.email,
        country=clinic.country,
        timezone=clinic.timezone,
        today=today,
        download_url="https://portail.example/l/3q2…",
        link_expires_at=datetime(2026, 3, 16, 21, 0, tzinfo=UTC),
        payment_url="https://checkout.stripe.com/c/pay/cs_…",
    )


def sample_invoices(clinic: Clinic, today: date) -> tuple[FieldValues, ...]:
    """The believable invoices a template is tried on before it is saved: the patient billed to
    themselves (``sample_values``), a third party (an insurer) owing it all, weeks past the due date,
    and an English-speaking patient who paid part of an invoice not yet due."""
    first = sample_values(clinic, today)
    link_end = datetime.combine(today + timedelta(days=14), time(21, 0), tzinfo=UTC)
    third_party = replace(
        first,
        invoice_number="2025-01207",
        total_cents=124_000,
        paid_cents=0,
        balance_cents=124_000,
        issue_date=today - timedelta(days=65),
        due_date=today - timedelta(days=35),
        patient_name="Jean-François O'Brien",
        billed_to_name="Assurances Beaulieu inc.",
        download_url="https://portail.example/l/Zx9…",
        link_expires_at=link_end,
        payment_url="https://checkout.stripe.com/c/pay/cs_live_…",
    )
    paid_in_part = replace(
        first,
        invoice_number="PHYSIO-2026-00007",
        total_cents=6_000,
        paid_cents=2_500,
        balance_cents=3_500,
        issue_date=today - timedelta(days=3),
        due_date=today + timedelta(days=27),
        patient_name="Emily Wong",
        billed_to_name="Emily Wong",
        download_url="https://portail.example/l/k7T…",
        link_expires_at=link_end,
        payment_url="https://checkout.stripe.com/c/pay/cs_test_…",
    )
    return first, third_party, paid_in_part


def sample_statements(clinic: Clinic, today: date) -> tuple[FieldValues, ...]:
    """The believable statements a statement template is tried on (and previewed on): three invoices
    owing in French, and an English-speaking patient's single one."""
    first = replace(
        sample_values(clinic, today),
        invoice_number="",
        total_cents=0,
        paid_cents=0,
        balance_cents=27_500,
        issue_date=today,
        due_date=None,
        statement_reference="CDP-ST-00042",
        invoice_count=3,
    )
    single = replace(
        first,
        balance_cents=6_000,
        patient_name="Emily Wong",
        billed_to_name="Emily Wong",
        statement_reference="ST-00007",
        invoice_count=1,
        download_url="https://portail.example/l/k7T…",
        payment_url="https://portail.example/pay/Q4m…",
    )
    return first, single


def samples_for(kind: str, clinic: Clinic, today: date) -> tuple[FieldValues, ...]:
    """What a template of ``kind`` is tried on before it is saved."""
    if kind == TemplateKind.STATEMENT:
        return sample_statements(clinic, today)
    return sample_invoices(clinic, today)


def field_context(values: FieldValues, language: str) -> dict[str, Any]:
    """Every field, formatted for a reader of ``language`` (strings, and an int for days)."""
    country = values.country

    def money(cents: int) -> str:
        return format_money(cents, values.currency, language, country)

    def day(value: date | None) -> str:
        return format_date(value, language, country, "long") if value else ""

    overdue = 0
    if values.today and values.due_date and values.balance_cents > 0:
        overdue = max((values.today - values.due_date).days, 0)
    expiry = ""
    if values.link_expires_at is not None:
        expiry = format_datetime(values.link_expires_at, values.timezone, language, country, "long")
    return {
        "invoice_number": values.invoice_number,
        "amount_due": money(values.balance_cents),
        "total": money(values.total_cents),
        "amount_paid": money(values.paid_cents),
        "issue_date": day(values.issue_date),
        "due_date": day(values.due_date),
        "days_overdue": overdue,
        "patient_name": values.patient_name,
        "billed_to_name": values.billed_to_name,
        "clinic_name": values.clinic_name,
        "clinic_phone": values.clinic_phone,
        "clinic_email": values.clinic_email,
        "download_link": values.download_url,
        "link_expiry": expiry,
        "payment_link": values.payment_url,
        "statement_reference": values.statement_reference,
        "invoice_count": values.invoice_count,
    }

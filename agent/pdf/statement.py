"""A statement of account's PDF: every invoice it lists with its total, credits, payments and balance,
and what is owed in all, in the patient's language; archival and tagged like every PDF Facteur makes.
It prints the statement's snapshot (``models.billing.statements``), so it never changes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from agent.pdf.document import Party, PayCode, clinic_party, company_party, page_size
from agent.pdf.pay_code import pay_code_svg, svg_data_uri
from agent.pdf.render import invoice_html_to_pdf, render_page
from locales import Translator, normalize_language, translator
from locales.formatting import format_date, format_money
from models.billing.invoicing import clinic_today
from models.billing.statements import Statement, current_invoices, due_now, items_of
from models.links.pay_doors import pay_expiry
from models.links.statement_doors import statement_paper_token
from models.people.clinic import BillingCompany, Clinic
from models.people.patient import Patient

TEMPLATE = "statement.html"


@dataclass(frozen=True)
class StatementRow:
    number: str
    issue_date: str
    due_date: str
    total: str
    credited: str  # empty when none
    paid: str  # empty when none
    balance: str
    overdue: bool


@dataclass(frozen=True)
class StatementDocument:
    language: str
    page_size: str
    reference: str
    issue_date: str
    clinic: Party
    company: Party
    patient: str
    currency: str
    rows: tuple[StatementRow, ...]
    owed: str  # what the invoices that owe something owe in all
    credit: str  # what the clinic owes back on the others; empty when nothing
    balance: str
    balance_cents: int
    pay: PayCode | None = None  # the QR code to its Pay page, while something is owed


def statement_language(statement: Statement, language: str | None = None) -> str:
    """``language`` if Facteur speaks it, else the patient's, else the clinic's default."""
    patient: Patient = statement.patient
    chosen = normalize_language(language) or normalize_language(patient.language)
    return translator(chosen, statement.billing_company.clinic.default_language).language


def statement_pay_target(statement: Statement, pay_base: str, today: date | None = None) -> str:
    """Where the statement's QR code leads, ``<portal>/pay/<token>``: while its invoices owe some
    and no credit is to be refunded on them (its Pay page offers one payment for the rest), until
    a year after its date; "" otherwise, or without the portal's address."""
    clinic = statement.billing_company.clinic
    if (
        not pay_base
        or due_now(statement) <= 0
        or any(i.balance_cents < 0 for i in current_invoices(statement))
    ):
        return ""
    if (today or clinic_today(clinic)) >= pay_expiry(statement.issue_date, clinic.timezone).date():
        return ""
    token = statement_paper_token(statement.id)
    return f"{pay_base.rstrip('/')}/pay/{token}" if token else ""


def build_statement_document(
    statement: Statement, language: str | None = None, pay_base: str = ""
) -> StatementDocument:
    company: BillingCompany = statement.billing_company
    clinic: Clinic = company.clinic
    lang = statement_language(statement, language)
    country = clinic.country

    def money(cents: int) -> str:
        return format_money(cents, statement.currency, lang, country)

    def day(value: date | None) -> str:  # a billed invoice always has its dates
        return format_date(value, lang, country, "medium") if value else ""

    items = items_of(statement)
    owed = sum(item.balance_cents for item in items if item.balance_cents > 0)
    credit = -sum(item.balance_cents for item in items if item.balance_cents < 0)
    return StatementDocument(
        language=lang,
        page_size=page_size(country),
        reference=statement.reference,
        issue_date=format_date(statement.issue_date, lang, country, "long"),
        clinic=clinic_party(clinic),
        company=company_party(company),
        patient=statement.patient.full_name,
        currency=statement.currency,
        rows=tuple(
            StatementRow(
                number=item.invoice.number or "",
                issue_date=day(item.invoice.issue_date),
                due_date=day(item.invoice.due_date),
                total=money(item.total_cents),
                credited=money(-item.credited_cents) if item.credited_cents else "",
                paid=money(-item.paid_cents) if item.paid_cents else "",
                balance=money(item.balance_cents),
                overdue=item.balance_cents > 0
                and (item.invoice.due_date or statement.issue_date) < statement.issue_date,
            )
            for item in items
        ),
        owed=money(owed),
        credit=money(credit) if credit else "",
        balance=money(statement.balance_cents),
        balance_cents=statement.balance_cents,
        pay=_pay_code(statement_pay_target(statement, pay_base)),
    )


def _pay_code(url: str) -> PayCode | None:
    return PayCode(url, svg_data_uri(pay_code_svg(url))) if url else None


def render_statement_html(document: StatementDocument, tr: Translator, *, inline_stylesheet: bool) -> str:
    return render_page(TEMPLATE, document, tr, inline_stylesheet=inline_stylesheet)


def render_statement_pdf(statement: Statement, language: str | None = None, pay_base: str = "") -> bytes:
    """The statement as PDF bytes, in ``language`` or the patient's; with the portal's address
    (``pay_base``, ``[portal] url``), the QR code to its Pay page."""
    document = build_statement_document(statement, language, pay_base)
    html = render_statement_html(document, translator(document.language), inline_stylesheet=False)
    return invoice_html_to_pdf(html)

"""A credit note's PDF: what it takes off which invoice, why, and what the invoice's balance is now.

It is laid out like the invoice it corrects (``invoice.css``, the same masthead and parties), with its
own title ("Credit note" / "Note de crédit"), the invoice's number and date, the reason, and the
credited lines with their tax per rate; it is archival and tagged like every PDF Facteur makes.
"""

from __future__ import annotations

from dataclasses import dataclass

from peewee import fn

from agent.pdf.document import (
    Party,
    TaxRow,
    clinic_party,
    company_party,
    invoice_translator,
    line_taxes,
    page_size,
    tax_rows,
)
from agent.pdf.render import invoice_html_to_pdf, render_page
from locales import Translator, translator
from locales.formatting import format_date, format_money
from models.billing.credit_notes import CreditNote, note_lines, note_taxes
from models.billing.invoice import Invoice, Payment
from models.billing.reversals import PaymentReversal
from models.people.clinic import BillingCompany, Clinic

TEMPLATE = "credit_note.html"


@dataclass(frozen=True)
class CreditLine:
    code: str
    description: str
    tax: str  # the invoice line's taxes, "TPS+TVQ" (a bare rate before named taxes); empty when none
    amount: str  # before tax


@dataclass(frozen=True)
class CreditNoteDocument:
    """Everything the credit note prints, already formatted."""

    language: str
    page_size: str
    number: str
    invoice_number: str
    invoice_date: str
    issue_date: str
    reason: str
    clinic: Party
    company: Party
    patient: str
    billed_to: Party | None
    currency: str
    lines: tuple[CreditLine, ...]
    subtotal: str
    taxes: tuple[TaxRow, ...]  # what the note takes back of each of the invoice's taxes
    tax_total: str
    total: str
    invoice_total: str
    credited: str  # by the invoice's credit notes up to this one, this one included
    paid: str  # when this note was issued
    balance: str  # what the invoice's payer still owes (zero when nothing or a credit)
    owed: bool
    refund: str  # what the clinic owes the payer back; empty when nothing


def build_credit_document(note: CreditNote, language: str | None) -> CreditNoteDocument:
    invoice: Invoice = note.invoice
    company: BillingCompany = note.billing_company
    clinic: Clinic = company.clinic
    lang = invoice_translator(invoice, language).language
    country = clinic.country

    def money(cents: int) -> str:
        return format_money(cents, note.currency, lang, country)

    lines = note_lines(note)
    taxes = note_taxes(note)  # each line it credits names only taxes it gives back
    names = {tax.code: tax.name(lang) for tax in taxes if tax.code}
    credited, paid = _as_of(note)
    balance = invoice.total_cents - credited - paid
    return CreditNoteDocument(
        language=lang,
        page_size=page_size(country),
        number=note.number,
        invoice_number=invoice.number or "",
        invoice_date=format_date(invoice.issue_date, lang, country, "long") if invoice.issue_date else "",
        issue_date=format_date(note.issue_date, lang, country, "long"),
        reason=note.reason,
        clinic=clinic_party(clinic),
        company=company_party(company),
        patient=invoice.patient.full_name,
        billed_to=Party(invoice.billed_to_name, (), invoice.billed_to_email or "")
        if invoice.third_party
        else None,
        currency=note.currency,
        lines=tuple(
            CreditLine(
                line.code,
                line.description,
                line_taxes(line.invoice_line, names, lang, country) if line.tax_cents else "",
                money(line.subtotal_cents),
            )
            for line in lines
        ),
        subtotal=money(note.subtotal_cents),
        taxes=tax_rows(taxes, money, lang, country),
        tax_total=money(note.tax_cents),
        total=money(note.total_cents),
        invoice_total=money(invoice.total_cents),
        credited=money(credited),
        paid=money(paid),
        balance=money(max(balance, 0)),
        owed=balance > 0,
        refund=money(-balance) if balance < 0 else "",
    )


def _as_of(note: CreditNote) -> tuple[int, int]:
    """What the invoice had been credited (this note included) and paid when ``note`` was issued:
    a credit note never changes, so later payments and refunds do not show on it."""
    invoice_id = note.__data__["invoice"]
    credited = CreditNote.select(fn.COALESCE(fn.SUM(CreditNote.total_cents), 0)).where(
        (CreditNote.invoice == invoice_id) & (CreditNote.id <= note.id)
    )
    paid = Payment.select(fn.COALESCE(fn.SUM(Payment.amount_cents), 0)).where(
        (Payment.invoice == invoice_id) & (Payment.created_at <= note.created_at)
    )
    back = PaymentReversal.select(fn.COALESCE(fn.SUM(PaymentReversal.amount_cents), 0)).where(
        (PaymentReversal.invoice == invoice_id) & (PaymentReversal.created_at <= note.created_at)
    )
    return int(credited.scalar()), int(paid.scalar()) - int(back.scalar())


def render_credit_note_html(document: CreditNoteDocument, tr: Translator, *, inline_stylesheet: bool) -> str:
    return render_page(TEMPLATE, document, tr, inline_stylesheet=inline_stylesheet)


def render_credit_note_pdf(note: CreditNote, language: str | None = None) -> bytes:
    """The credit note as PDF bytes, in ``language`` or the invoice's (the billed-to person's)."""
    document = build_credit_document(note, language)
    html = render_credit_note_html(document, translator(document.language), inline_stylesheet=False)
    return invoice_html_to_pdf(html)

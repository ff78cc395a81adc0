"""Billed invoices to render, and the text and page size of a PDF (pypdf)."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from decimal import Decimal

from pypdf import PdfReader

from models.billing.invoice import Invoice
from models.billing.invoicing import BilledTo, LineInput, create_draft
from models.people.patient import Patient
from models.workflow.lifecycle import bill
from tests.conftest import Setup

BILLED_AT = datetime(2026, 1, 15, 15, 0, tzinfo=UTC)  # issue 2026-01-15, due 2026-02-14 (30 days)
MASSAGE = LineInput("Massothérapie, 60 minutes", Decimal(1), 8500, Decimal(0), code="MAS")


def make_invoice(
    setup: Setup,
    *,
    language: str | None = "fr",
    lines: tuple[LineInput, ...] = (MASSAGE,),
    billed_to: BilledTo | None = None,
    billed: bool = True,
    first_name: str = "Élise",
) -> Invoice:
    patient = Patient.create(last_name="Tremblay", first_name=first_name, language=language)
    draft = create_draft(
        patient=patient,
        billing_company=setup.company,
        provider=setup.provider,
        billed_to=billed_to,
        lines=lines,
    )
    return bill(draft, now=BILLED_AT) if billed else Invoice.get_by_id(draft.id)


class Text(str):
    """A PDF's extracted text; ``in`` ignores spacing and case, since extraction splits kerned
    pairs ("T axes") and CSS upper-cases some headings."""

    def __contains__(self, expected: object) -> bool:
        return isinstance(expected, str) and _flat(expected) in _flat(self)

    def exact(self, expected: str) -> bool:
        """Spelled exactly so, capitals included (the PAID and VOID marks)."""
        return str.__contains__(self, expected)


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text).casefold()


def pdf_pages(pdf: bytes) -> list[Text]:
    """Each page's text."""
    return [Text(page.extract_text()) for page in PdfReader(io.BytesIO(pdf)).pages]


def pdf_text(pdf: bytes) -> Text:
    return Text("\n".join(pdf_pages(pdf)))


def page_points(pdf: bytes) -> tuple[int, int]:
    box = PdfReader(io.BytesIO(pdf)).pages[0].mediabox
    return round(float(box.width)), round(float(box.height))


LETTER = (612, 792)
A4 = (595, 842)

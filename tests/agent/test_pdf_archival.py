"""Every PDF Facture makes is archival and accessible: PDF/A-3b, tagged, its fonts embedded, and
clean to qpdf. No full PDF/A validator installs here, so the bar is structural (pikepdf reads what
a validator would look at first)."""

from __future__ import annotations

import io
from decimal import Decimal

import pikepdf
import pytest

from agent.pdf import render_invoice_pdf
from agent.pdf.slip import PinSlip, render_pin_slip
from models.billing.invoicing import LineInput
from tests.agent.pdf_helpers import make_invoice
from tests.conftest import Setup


def fonts_of(pdf: pikepdf.Pdf) -> list[pikepdf.Dictionary]:
    """Every font the pages draw with, a composite font's descendants included."""
    found = []
    for page in pdf.pages:
        for font in (page.Resources.get("/Font") or {}).values():
            found.extend(font.DescendantFonts if "/DescendantFonts" in font else [font])
    return found


def assert_archival(data: bytes, title: str | None, language: str) -> None:
    """``title``: the document's, as its metadata gives it (None: not checked)."""
    pdf = pikepdf.open(io.BytesIO(data))
    meta = pdf.open_metadata()
    assert (meta.get("pdfaid:part"), meta.get("pdfaid:conformance")) == ("3", "B")
    assert title is None or meta.get("dc:title") == title
    (intent,) = pdf.Root.OutputIntents
    assert (
        intent.S == "/GTS_PDFA1" and intent.DestOutputProfile.read_bytes()[36:40] == b"acsp"
    )  # an ICC profile
    assert "/StructTreeRoot" in pdf.Root and bool(pdf.Root.MarkInfo.Marked)
    assert str(pdf.Root.Lang) == language
    fonts = fonts_of(pdf)
    assert fonts and all(
        any(key in font.FontDescriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")) for font in fonts
    )
    assert pdf.check_pdf_syntax() == []  # qpdf's own check


@pytest.mark.parametrize("language", ["fr", "en"])
def test_an_invoice_of_two_pages_and_a_draft_are_archival_and_tagged(setup: Setup, language: str) -> None:
    long = tuple(LineInput(f"Séance {n}", Decimal(1), 7500, code=f"PHY-{n:02}") for n in range(1, 41))
    invoice = make_invoice(setup, first_name="Zoé", lines=long)
    word = "Facture" if language == "fr" else "Invoice"
    assert_archival(render_invoice_pdf(invoice, language), f"{word} {invoice.number}", language)
    draft = make_invoice(setup, first_name="Léa", billed=False)
    assert_archival(render_invoice_pdf(draft, language), None, language)


def test_the_pin_slip_is_archival_and_tagged() -> None:
    slip = PinSlip(
        "fr", "Clinique du Parc", "514 555-0100", "info@parc.example", "Élise Tremblay", "AB12CD", "3 mars"
    )
    assert_archival(render_pin_slip(slip), "Coupon NIP", "fr")

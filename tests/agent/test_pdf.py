"""The invoice PDF's content: number, patient, totals, payments, marks, in French and English."""

from __future__ import annotations

from decimal import Decimal

import pytest

from agent.pdf import invoice_language, page_size, render_invoice_html, render_invoice_pdf
from agent.pdf.document import related_digest
from agent.pdf.render import css_string, page_counter
from models.billing.invoice import Invoice
from models.billing.invoicing import BilledTo, LineInput
from models.billing.tax_definitions import load_preset
from models.billing.taxes import Tax
from models.people.clinic import Clinic
from models.workflow.lifecycle import record_payment, void
from tests.agent.pdf_helpers import A4, LETTER, MASSAGE, make_invoice, page_points, pdf_pages, pdf_text
from tests.conftest import Setup


def test_french_pdf_holds_number_patient_dates_and_fr_ca_money(setup: Setup) -> None:
    invoice = make_invoice(setup)
    text = pdf_text(render_invoice_pdf(invoice, "fr"))
    for expected in (
        "FACTURE",
        "CDP-2026-00001",
        "Élise Tremblay",
        "Clinique du Parc",
        "Clinique du Parc inc.",
        "Dre Julie Roy",
        "Massothérapie, 60 minutes",
        "15 janvier 2026",
        "14 février 2026",  # due = issue + the clinic's 30 days
        "Solde à payer 85,00 $",
        "Total (CAD) 85,00 $",
        "Veuillez acquitter le solde au plus tard le 14 février 2026.",
        "Page 1 de 1",
    ):
        assert expected in text, expected
    assert "Balance due" not in text
    assert "$85.00" not in text


def test_english_pdf_has_english_labels_and_en_ca_money(setup: Setup) -> None:
    invoice = make_invoice(setup, language="en")
    text = pdf_text(render_invoice_pdf(invoice, "en"))
    for expected in (
        "INVOICE",
        "CDP-2026-00001",
        "Élise Tremblay",
        "January 15, 2026",
        "February 14, 2026",
        "Balance due $85.00",
        "Unit price",
    ):
        assert expected in text, expected
    assert "Solde" not in text
    assert "85,00" not in text


def test_the_language_is_the_billed_to_persons_then_the_clinics(setup: Setup) -> None:
    assert invoice_language(make_invoice(setup, language="en")) == "en"
    assert invoice_language(make_invoice(setup, language=None, first_name="Léa")) == "fr"
    setup.clinic.default_language = "en"
    setup.clinic.save()
    assert invoice_language(make_invoice(setup, language=None, first_name="Zoé")) == "en"
    # a language Facteur does not speak falls back the same way
    assert "Balance due" in render_invoice_html(Invoice.get_by_id(3), "de")


@pytest.mark.parametrize(
    ("country", "size"), [("CA", "letter"), ("US", "letter"), ("FR", "A4"), ("CH", "A4"), ("be", "A4")]
)
def test_paper_size_follows_the_clinics_country(country: str, size: str) -> None:
    assert page_size(country) == size


def test_a_canadian_clinic_prints_letter_a_french_one_a4_with_its_money_format(setup: Setup) -> None:
    invoice = make_invoice(setup)
    assert page_points(render_invoice_pdf(invoice, "fr")) == LETTER
    Clinic.update(country="FR").execute()
    again = Invoice.get_by_id(invoice.id)
    pdf = render_invoice_pdf(again, "fr")
    assert page_points(pdf) == A4
    assert "85,00 $CA" in pdf_text(pdf)


def test_a_payment_shows_with_its_method_and_the_balance_drops(setup: Setup) -> None:
    invoice = make_invoice(setup)
    record_payment(invoice, 5000, "card", reference="AUTH-42")
    text = pdf_text(render_invoice_pdf(Invoice.get_by_id(invoice.id), "fr"))
    assert "Paiements reçus" in text
    assert "carte" in text
    assert "AUTH-42" in text
    assert "Payé 50,00 $" in text
    assert "Solde à payer 35,00 $" in text
    assert not text.exact("PAYÉE")


def test_a_paid_invoice_is_stamped_paid(setup: Setup) -> None:
    invoice = make_invoice(setup, language="en")
    record_payment(invoice, 8500, "cash")
    text = pdf_text(render_invoice_pdf(Invoice.get_by_id(invoice.id), "en"))
    assert text.exact("PAID")
    assert "paid in full" in text
    assert "Balance due $0.00" in text
    assert "cash" in text


def test_a_void_invoice_is_marked_void_with_its_reason(setup: Setup) -> None:
    invoice = void(make_invoice(setup), "Erreur de saisie")
    text = pdf_text(render_invoice_pdf(invoice, "fr"))
    assert text.exact("ANNULÉE")
    assert "Motif : Erreur de saisie" in text
    assert "Solde à payer 0,00 $" in text
    assert "Veuillez acquitter" not in text


def test_a_draft_is_a_marked_preview_without_a_number(setup: Setup) -> None:
    draft = make_invoice(setup, billed=False)
    text = pdf_text(render_invoice_pdf(draft, "fr"))
    assert text.exact("BROUILLON")
    assert f"#{draft.id}" not in text and not text.exact("Numéro")  # a number comes with billing
    assert "CDP-" not in text


def test_the_clinic_s_phone_and_email_are_on_the_invoice(setup: Setup) -> None:
    Clinic.update(phone="+15145550100", email="info@parc.example").execute()
    text = pdf_text(render_invoice_pdf(make_invoice(setup), "fr"))
    assert "Tél. : (514) 555-0100" in text and "info@parc.example" in text


def test_a_third_party_is_shown_as_billed_to(setup: Setup) -> None:
    insurer = BilledTo("Assurances Beaulieu", email="reclamations@beaulieu.example", language="fr")
    text = pdf_text(render_invoice_pdf(make_invoice(setup, billed_to=insurer), "fr"))
    assert "Facturé à" in text
    assert "Assurances Beaulieu" in text
    assert "reclamations@beaulieu.example" in text
    assert "Élise Tremblay" in text
    plain = pdf_text(render_invoice_pdf(make_invoice(setup, first_name="Léa"), "fr"))
    assert "Facturé à" not in plain


def test_taxes_are_summed_per_rate(setup: Setup) -> None:
    taxed = LineInput("Orthèse plantaire", Decimal(2), 35000, Decimal("14.975"), code="ORT")
    text = pdf_text(render_invoice_pdf(make_invoice(setup, lines=(MASSAGE, taxed)), "fr"))
    assert "Taxe (14,975 %) sur 700,00 $ 104,83 $" in text  # the taxed lines only are its base
    assert "Sous-total 785,00 $" in text
    assert "Total (CAD) 889,83 $" in text


def test_typed_text_is_escaped_in_the_html(setup: Setup) -> None:
    line = LineInput('<script>alert("x")</script> & co', Decimal(1), 100)
    html = render_invoice_html(make_invoice(setup, lines=(line,)), "fr")
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def test_css_strings_cannot_leave_the_style_block() -> None:
    quoted = str(css_string('Clinique "du" Parc </style><b>'))
    assert quoted.startswith('"') and quoted.endswith('"')
    assert '"' not in quoted[1:-1]
    assert "<" not in quoted and ">" not in quoted
    assert str(page_counter("Page {page} de {pages}")) == '"Page " counter(page) " de " counter(pages)'


def test_a_long_description_wraps_inside_its_column(setup: Setup) -> None:
    words = " ".join(f"mot{index}" for index in range(80))
    pdf = render_invoice_pdf(make_invoice(setup, lines=(LineInput(words, Decimal(1), 1000),)), "fr")
    text = pdf_text(pdf)
    assert "mot0" in text and "mot79" in text
    wrapped = [line for line in text.splitlines() if "mot" in line]
    assert len(wrapped) >= 3  # several lines, not one line running off the page


def test_forty_lines_paginate_with_the_table_header_and_running_header_repeated(setup: Setup) -> None:
    lines = tuple(
        LineInput(f"Traitement de physiothérapie, séance {n}", Decimal(1), 7500, code=f"PHY-{n:02}")
        for n in range(1, 41)
    )
    pages = pdf_pages(render_invoice_pdf(make_invoice(setup, lines=lines), "fr"))
    assert len(pages) >= 2
    last = len(pages)
    for number, page in enumerate(pages, start=1):
        assert "Prix unitaire" in page, number  # the table's header row repeats
        assert f"Page {number} de {last}" in page
    assert "Facture CDP-2026-00001" in pages[1]  # the running header from page 2 on
    assert "séance 40" in pages[-1]
    assert "Solde à payer 3 000,00 $" in pages[-1]


def test_importing_the_package_does_not_import_weasyprint() -> None:
    import subprocess
    import sys

    code = "import sys, agent.pdf, cli.invoice_pdf_cmd; print('weasyprint' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_the_shipped_fonts_are_embedded_and_other_scripts_still_print(setup: Setup) -> None:
    import io

    from pypdf import PdfReader

    pdf = render_invoice_pdf(make_invoice(setup, first_name="Анна"), "fr")
    fonts = PdfReader(io.BytesIO(pdf)).pages[0]["/Resources"]["/Font"]
    names = {str(font.get_object()["/BaseFont"]) for font in fonts.values()}
    assert any("Facteur-Sans" in name for name in names), names
    assert "Анна Tremblay" in pdf_text(pdf)


def test_sixty_lines_print_each_rate_s_base_and_the_tax_on_it(setup: Setup) -> None:
    lines = tuple(LineInput(f"Séance {n}", Decimal(1), 5750, Decimal(5), code=f"S{n:02}") for n in range(50))
    lines += tuple(LineInput(f"Suivi {n}", Decimal(1), 6000, Decimal(5), code=f"F{n:02}") for n in range(10))
    text = pdf_text(render_invoice_pdf(make_invoice(setup, lines=lines), "fr"))
    assert "Taxe (5 %) sur 3 475,00 $ 173,75 $" in text  # not the 174,00 $ per-line roundings add up to
    assert "Total (CAD) 3 648,75 $" in text


def quebec(setup: Setup) -> None:
    for tax in load_preset(setup.company.id, "qc"):
        number = {"GST": "123456789 RT0001", "QST": "1234567890 TQ0001"}[tax.code]
        Tax.update(registration=number).where(Tax.id == tax.id).execute()


def test_sixty_lines_at_gst_print_its_name_base_and_the_tax_on_it(setup: Setup) -> None:
    quebec(setup)
    gst = ("GST",)
    lines = tuple(LineInput(f"Session {n}", Decimal(1), 5750, tax_codes=gst) for n in range(50))
    lines += tuple(LineInput(f"Follow-up {n}", Decimal(1), 6000, tax_codes=gst) for n in range(10))
    text = pdf_text(render_invoice_pdf(make_invoice(setup, language="en", lines=lines), "en"))
    assert "GST (5%) on $3,475.00 $173.75" in text
    assert "GST no. 123456789 RT0001" in text
    assert "Total (CAD) $3,648.75" in text


def test_a_quebec_invoice_prints_gst_and_qst_apart_and_marks_exempt_lines(setup: Setup) -> None:
    quebec(setup)
    lines = (
        LineInput("Massage therapy", Decimal(1), 8500, tax_codes=("GST", "QST")),
        LineInput("Foot orthotic", Decimal(1), 35000, tax_codes=("GST", "QST")),
        LineInput("Physiotherapy", Decimal(1), 7500),
    )
    invoice = make_invoice(setup, language="en", lines=lines)
    text = pdf_text(render_invoice_pdf(invoice, "en"))
    for expected in (
        "GST+QST",
        "exempt",
        "GST (5%) on $435.00 $21.75",
        "QST (9.975%) on $435.00 $43.39",  # 9.975 % of $435.00 = $43.39125, rounded once
        "GST no. 123456789 RT0001",
        "QST no. 1234567890 TQ0001",
        "Total (CAD) $575.14",
    ):
        assert expected in text, expected
    assert "14.975" not in text


def test_a_changed_registration_number_does_not_reach_a_billed_invoice_s_pdf(setup: Setup) -> None:
    quebec(setup)
    invoice = make_invoice(
        setup, language="en", lines=(LineInput("Massage", Decimal(1), 8500, tax_codes=("GST",)),)
    )
    digest = related_digest(invoice)
    Tax.update(registration="000000000 RT0001").where(Tax.code == "GST").execute()
    assert related_digest(invoice) == digest  # what it was billed with stays: no render again
    assert "GST no. 123456789 RT0001" in pdf_text(render_invoice_pdf(invoice, "en"))

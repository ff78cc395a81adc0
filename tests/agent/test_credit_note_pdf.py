"""A credit note's PDF: its title, the invoice it corrects, the reason, the credited lines and their
tax, the invoice's state when it was issued (never later payments), archival and tagged."""

from __future__ import annotations

from decimal import Decimal

import pytest

from agent.pdf.credit_note import render_credit_note_pdf
from models.billing.credit_notes import LineCredit
from models.billing.invoice import Invoice
from models.billing.invoicing import LineInput
from models.billing.reversals import refund_by_hand
from models.billing.tax_definitions import load_preset
from models.core.enums import PaymentMethod
from models.workflow.lifecycle import credit, record_payment
from tests.agent.pdf_helpers import make_invoice, pdf_text
from tests.agent.test_pdf_archival import assert_archival
from tests.conftest import Setup

SESSION = LineInput("Séance de physiothérapie", Decimal(1), 9000, Decimal(0), "PHY")
BRACE = LineInput("Attelle", Decimal(2), 2500, Decimal("14.975"), "ATT")


@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_partial_credit_note_prints_what_it_takes_off(setup: Setup, language: str) -> None:
    invoice = make_invoice(setup, lines=(SESSION, BRACE))  # 90,00 + 50,00 + 7,49 tax = 147,49
    note = credit(invoice, "Attelle retournée", [LineCredit(2)])
    data = render_credit_note_pdf(note, language)
    title = "Note de crédit" if language == "fr" else "Credit note"
    assert_archival(data, f"{title} {note.number}", language)
    text = pdf_text(data)
    for expected in (note.number, invoice.number, "Attelle retournée", "ATT"):
        assert expected in text, expected
    assert "PHY" not in text  # only the credited line
    if language == "fr":
        assert "Taxe (14,975 %) sur 50,00 $ 7,49 $" in text
        assert "Total crédité (CAD) 57,49 $" in text
        assert "Le solde de la facture" in text and "Solde à payer 90,00 $" in text
    else:
        assert "Total credited (CAD) $57.49" in text and "Balance due $90.00" in text


def test_later_payments_never_change_an_issued_note(setup: Setup) -> None:
    invoice = make_invoice(setup, lines=(SESSION,))
    record_payment(invoice, 9000, PaymentMethod.CARD)
    note = credit(Invoice.get_by_id(invoice.id), "Séance annulée")
    before = pdf_text(render_credit_note_pdf(note, "fr"))
    assert "Crédit à rembourser 90,00 $" in before
    payment = Invoice.get_by_id(invoice.id).payments.get()
    refund_by_hand(payment.id, 9000, "Remis sur la carte", staff=None)
    assert Invoice.get_by_id(invoice.id).balance_cents == 0
    assert pdf_text(render_credit_note_pdf(note, "fr")) == before


def test_a_quebec_credit_note_gives_back_gst_and_qst_each_with_its_number(setup: Setup) -> None:
    for tax in load_preset(setup.company.id, "qc"):
        tax.registration = "123456789 RT0001" if tax.code == "GST" else "1234567890 TQ0001"
        tax.save()
    taxed = ("GST", "QST")
    invoice = make_invoice(
        setup,
        lines=(
            LineInput("Orthèse", Decimal(1), 20000, tax_codes=taxed),
            LineInput("Séance", Decimal(1), 9000),  # exempt
        ),
    )
    note = credit(invoice, "Orthèse retournée en partie", [LineCredit(1, 10000)])
    assert (note.subtotal_cents, note.tax_cents) == (10000, 1498)  # 14,975 % of 100,00 $ = 14,975 → 14,98 $
    text = pdf_text(render_credit_note_pdf(note, "fr"))
    assert "TPS (5 %) sur 100,00 $ 5,00 $" in text
    assert "TVQ (9,975 %) sur 100,00 $ 9,98 $" in text
    assert "123456789 RT0001" in text and "1234567890 TQ0001" in text
    assert "Séance" not in text

"""The warm renderer (``agent.pdf.engine``) prints the very bytes a plain WeasyPrint call prints."""

from __future__ import annotations

import os
import threading
from decimal import Decimal
from pathlib import Path

import pytest
from weasyprint import HTML

import agent.pdf.engine as engine
from agent.pdf import render_invoice_html, render_invoice_pdf
from agent.pdf.render import BASE_URL
from agent.pdf.slip import PinSlip, render_pin_slip, render_pin_slip_html
from models.billing.invoicing import BilledTo, LineInput
from models.workflow.lifecycle import void
from tests.agent.pdf_helpers import MASSAGE, make_invoice
from tests.conftest import Setup


def plain(html: str) -> bytes:
    """What anyone would write: a new WeasyPrint document, fonts and stylesheet found again (archival
    and tagged, as every PDF of Facture's is)."""
    pdf = HTML(string=html, base_url=BASE_URL).write_pdf(pdf_variant=engine.PDF_VARIANT, pdf_tags=True)
    assert pdf is not None
    return pdf


def test_every_kind_of_invoice_prints_as_the_plain_render_does(setup: Setup) -> None:
    long = tuple(LineInput(f"Séance {n}", Decimal(1), 7500, code=f"PHY-{n:02}") for n in range(1, 41))
    taxed = LineInput("Orthèse plantaire", Decimal(2), 35000, Decimal("14.975"), code="ORT")
    insurer = BilledTo("Assurances Beaulieu", email="reclamations@beaulieu.example", language="en")
    invoices = [
        (make_invoice(setup), "fr"),
        (make_invoice(setup, first_name="Léa", lines=(MASSAGE, taxed), billed_to=insurer), "en"),
        (make_invoice(setup, first_name="Zoé", lines=long), "fr"),  # two pages, running header
        (void(make_invoice(setup, first_name="Anne"), "Erreur"), "fr"),
        (make_invoice(setup, first_name="Анна", billed=False), "en"),  # a draft, another script
    ]
    for invoice, language in invoices:
        assert render_invoice_pdf(invoice, language) == plain(render_invoice_html(invoice, language))


def test_the_pin_slip_prints_as_the_plain_render_does() -> None:
    slip = PinSlip(
        "fr", "Clinique du Parc", "514 555-0100", "info@parc.example", "Élise Tremblay", "AB12CD", "3 mars"
    )
    assert render_pin_slip(slip) == plain(render_pin_slip_html(slip))


def test_an_edited_stylesheet_is_read_again(tmp_path: Path) -> None:
    css = tmp_path / "page.css"
    css.write_text("p { color: red; }", encoding="utf-8")
    html = "<p>Bonjour</p>"
    red = engine.write_pdf(html, tmp_path.as_uri() + "/", stylesheet=css)
    assert engine.write_pdf(html, tmp_path.as_uri() + "/", stylesheet=css) == red  # kept
    css.write_text("p { color: blue; }", encoding="utf-8")
    stamp = css.stat()
    os.utime(css, ns=(stamp.st_atime_ns, stamp.st_mtime_ns + 1_000_000))
    assert engine.write_pdf(html, tmp_path.as_uri() + "/", stylesheet=css) != red


def test_each_thread_keeps_its_own_font_configuration(setup: Setup) -> None:
    invoice = make_invoice(setup)
    expected = render_invoice_pdf(invoice, "fr")
    html = render_invoice_html(invoice, "fr")
    configs: list[object] = []
    results: list[bytes] = []

    def render() -> None:
        results.append(engine.write_pdf(html, BASE_URL))
        configs.append(engine._kept()[BASE_URL, None].font_config)

    threads = [threading.Thread(target=render) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [expected, expected]
    assert len({id(config) for config in configs}) == 2


@pytest.fixture(autouse=True)
def _fresh_engine() -> None:
    """Each test starts with this thread's renderer cold."""
    engine._local.__dict__.clear()

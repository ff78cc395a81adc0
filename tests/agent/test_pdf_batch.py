"""``render_many``: a batch rendered on a pool of processes that open the database themselves."""

from __future__ import annotations

from pathlib import Path

import pytest

import agent.pdf.batch
from agent.pdf import InvoicePdfs, current_database_url, render_many
from models.core.errors import DatabaseError
from models.database.db import close_database, open_database
from tests.agent.pdf_helpers import make_invoice, pdf_text
from tests.conftest import Setup


def test_a_batch_renders_each_invoice_in_its_language(setup: Setup, tmp_path: Path) -> None:
    invoices = [make_invoice(setup, first_name=name) for name in ("Élise", "Léa", "Zoé")]
    wanted = [(invoices[0], "fr"), (invoices[1].id, "en"), (invoices[2], "fr"), (invoices[2], "en")]
    pdfs = render_many(wanted, workers=2, chunk_size=1, this_process=False)  # the workers render
    assert list(pdfs) == [
        (invoices[0].id, "fr"),
        (invoices[1].id, "en"),
        (invoices[2].id, "fr"),
        (invoices[2].id, "en"),
    ]
    assert "Léa Tremblay" in pdf_text(pdfs[invoices[1].id, "en"])
    assert "Balance due" in pdf_text(pdfs[invoices[1].id, "en"])
    assert "Solde à payer" in pdf_text(pdfs[invoices[2].id, "fr"])
    assert "CDP-2026-00003" in pdf_text(pdfs[invoices[2].id, "en"])


def test_a_batch_with_a_cache_dir_fills_the_cache(setup: Setup, tmp_path: Path) -> None:
    invoices = [make_invoice(setup, first_name=name) for name in ("Élise", "Léa")]
    cache = InvoicePdfs(tmp_path / "cache")
    pdfs = render_many(
        [(invoice, "fr") for invoice in invoices], workers=2, cache_dir=cache.cache_dir, chunk_size=1
    )
    for invoice in invoices:
        assert cache.path(invoice, "fr").read_bytes() == pdfs[invoice.id, "fr"]


def test_this_process_and_a_worker_share_a_batch(setup: Setup, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(agent.pdf.batch, "POOL_THRESHOLD", 2)
    invoices = [make_invoice(setup, first_name=f"Patient{n}") for n in range(6)]
    pdfs = render_many([(invoice, "en") for invoice in invoices], workers=2, chunk_size=1)
    assert list(pdfs) == [(invoice.id, "en") for invoice in invoices]
    for invoice in invoices:
        assert invoice.number in pdf_text(pdfs[invoice.id, "en"])


def test_one_worker_renders_in_this_process(setup: Setup) -> None:
    invoice = make_invoice(setup)
    assert "Élise Tremblay" in pdf_text(render_many([(invoice, "fr")], workers=1)[invoice.id, "fr"])
    assert render_many([], workers=2) == {}


def test_an_in_memory_database_cannot_be_shared_with_workers(tmp_path: Path) -> None:
    open_database("sqlite:///:memory:")
    try:
        with pytest.raises(DatabaseError):
            current_database_url()
    finally:
        close_database()

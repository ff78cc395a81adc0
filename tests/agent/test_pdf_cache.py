"""``InvoicePdfs``: one render per invoice version and wording, private files, concurrent writers."""

from __future__ import annotations

import multiprocessing
import stat
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

import agent.pdf.cache
from agent.pdf import InvoicePdfs
from locales import configure, po_path
from models.billing.invoice import Invoice
from models.database.db import current_url
from models.workflow.lifecycle import record_payment
from tests.agent.pdf_helpers import make_invoice, pdf_text
from tests.conftest import Setup


def test_a_hit_returns_the_same_bytes_without_rendering(
    setup: Setup, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pdfs = InvoicePdfs(tmp_path / "cache")
    invoice = make_invoice(setup)
    started = time.perf_counter()
    first = pdfs.get(invoice, "fr")
    render_seconds = time.perf_counter() - started

    def no_render(*args: object) -> bytes:
        raise AssertionError("a cached PDF was rendered again")

    monkeypatch.setattr(agent.pdf.cache, "render_invoice_pdf", no_render)
    started = time.perf_counter()
    again = pdfs.get(Invoice.get_by_id(invoice.id), "fr")
    hit_seconds = time.perf_counter() - started
    assert again == first
    print(f"render {render_seconds * 1000:.1f} ms, hit {hit_seconds * 1000:.2f} ms")  # measured, not asserted


def test_a_new_version_re_renders_and_drops_the_old_file(setup: Setup, tmp_path: Path) -> None:
    pdfs = InvoicePdfs(tmp_path / "cache")
    invoice = make_invoice(setup)
    before = pdfs.get(invoice, "fr")
    old_path = pdfs.path(invoice, "fr")
    record_payment(invoice, 2000, "cash")
    paid = Invoice.get_by_id(invoice.id)
    after = pdfs.get(paid, "fr")
    assert after != before
    assert "Solde à payer 65,00 $" in pdf_text(after)
    assert not old_path.exists()
    assert [path.name for path in (tmp_path / "cache").iterdir()] == [pdfs.path(paid, "fr").name]


def test_languages_are_cached_side_by_side(setup: Setup, tmp_path: Path) -> None:
    pdfs = InvoicePdfs(tmp_path / "cache")
    invoice = make_invoice(setup)
    french, english = pdfs.get(invoice, "fr"), pdfs.get(invoice, "en")
    assert "Solde à payer" in pdf_text(french)
    assert "Balance due" in pdf_text(english)
    assert pdfs.path(invoice, "fr").exists() and pdfs.path(invoice, "en").exists()


def test_files_are_private(setup: Setup, tmp_path: Path) -> None:
    pdfs = InvoicePdfs(tmp_path / "cache")
    invoice = make_invoice(setup)
    pdfs.get(invoice, "fr")
    assert stat.S_IMODE((tmp_path / "cache").stat().st_mode) == 0o700
    assert stat.S_IMODE(pdfs.path(invoice, "fr").stat().st_mode) == 0o600


def test_a_reworded_label_or_a_renamed_clinic_re_renders(setup: Setup, tmp_path: Path) -> None:
    pdfs = InvoicePdfs(tmp_path / "cache")
    invoice = make_invoice(setup)
    first_path = pdfs.path(invoice, "fr")
    pdfs.get(invoice, "fr")
    override = tmp_path / "override"
    po = po_path("fr", override)
    po.parent.mkdir(parents=True)
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: fr\\n"\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Balance due"\nmsgstr "Montant dû"\n',
        encoding="utf-8",
    )
    try:
        configure(override)
        assert pdfs.path(invoice, "fr") != first_path
        assert "Montant dû 85,00 $" in pdf_text(pdfs.get(invoice, "fr"))
        assert not first_path.exists()
    finally:
        configure(None)
    setup.clinic.name = "Clinique du Parc-Lafontaine"
    setup.clinic.save()
    renamed = Invoice.get_by_id(invoice.id)
    assert "Clinique du Parc-Lafontaine" in pdf_text(pdfs.get(renamed, "fr"))


def test_filenames_are_localized_and_safe(setup: Setup, tmp_path: Path) -> None:
    pdfs = InvoicePdfs(tmp_path)
    invoice = make_invoice(setup)
    assert pdfs.filename(invoice, "fr") == "facture-CDP-2026-00001.pdf"
    assert pdfs.filename(invoice, "en") == "invoice-CDP-2026-00001.pdf"
    draft = make_invoice(setup, billed=False, first_name="Léa")
    assert pdfs.filename(draft, "fr") == f"facture-brouillon-{draft.id}.pdf"
    assert pdfs.filename(draft, "en") == f"invoice-draft-{draft.id}.pdf"


def _get_in_another_process(url: str, cache_dir: Path, invoice_id: int) -> bytes:
    from models.database.db import open_database

    open_database(url)
    return InvoicePdfs(cache_dir).get(Invoice.get_by_id(invoice_id), "fr")


def test_two_processes_rendering_the_same_invoice_at_once_both_succeed(setup: Setup, tmp_path: Path) -> None:
    invoice = make_invoice(setup)
    cache_dir = tmp_path / "cache"
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(2, mp_context=context) as pool:
        futures = [
            pool.submit(_get_in_another_process, current_url(), cache_dir, invoice.id) for _ in range(4)
        ]
        results = [future.result() for future in futures]
    assert all(pdf.startswith(b"%PDF-") and "CDP-2026-00001" in pdf_text(pdf) for pdf in results)
    assert [path.name for path in cache_dir.iterdir()] == [InvoicePdfs(cache_dir).path(invoice, "fr").name]
    assert InvoicePdfs(cache_dir).get(invoice, "fr") in results


def test_the_cache_keeps_under_its_bound_dropping_the_least_recently_used(
    setup: Setup, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    monkeypatch.setattr(agent.pdf.cache, "render_invoice_pdf", lambda *args: b"%PDF-" + b"x" * 2995)
    pdfs = InvoicePdfs(tmp_path / "cache", max_bytes=10_000)
    a, b, c, d = (make_invoice(setup) for _ in range(4))
    for age, invoice in enumerate((a, b, c), start=1):
        pdfs.get(invoice, "fr")
        os.utime(pdfs.path(invoice, "fr"), (age * 1000, age * 1000))  # stored long ago, a first
    pdfs.get(a, "fr")  # read again: the most recently used
    pdfs.get(d, "fr")  # 12,000 bytes: past the bound
    kept = {p.name for p in (tmp_path / "cache").glob("*.pdf")}
    assert kept == {pdfs.path(i, "fr").name for i in (a, c, d)}  # b, the least recently used, went
    assert sum(p.stat().st_size for p in (tmp_path / "cache").glob("*.pdf")) <= 9_000

"""``facteur invoice pdf NUMBER -o FILE [--lang fr|en]``, its happy and error paths."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.agent.pdf_helpers import pdf_text
from tests.conftest import CliResult

Cli = Callable[..., CliResult]


@pytest.fixture
def demo(cli: Cli) -> dict[str, Any]:
    """A demo database; returns a billed invoice and a draft from ``invoice list --json``."""
    assert cli("db", "init", "--demo").code == 0
    invoices = json.loads(cli("invoice", "list", "--json").out)
    billed = next(i for i in invoices if i["status"] == "billed")
    draft = next(i for i in invoices if i["status"] == "draft")
    return {"billed": billed, "draft": draft}


def test_writes_the_pdf_in_the_billed_to_language_owner_only(
    cli: Cli, demo: dict[str, Any], tmp_path: Path
) -> None:
    invoice = demo["billed"]
    (tmp_path / "out").mkdir()
    result = cli("invoice", "pdf", invoice["number"], "-o", "out/inv.pdf")
    assert (result.code, result.err) == (0, "")
    assert f"Wrote invoice {invoice['number']} to out/inv.pdf." in result.out
    target = tmp_path / "out" / "inv.pdf"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    text = pdf_text(target.read_bytes())
    assert invoice["number"] in text
    assert invoice["patient"] in text
    label = "Balance due" if invoice["billed_to_language"] == "en" else "Solde à payer"
    assert label in text


def test_lang_chooses_the_language(cli: Cli, demo: dict[str, Any], tmp_path: Path) -> None:
    number = demo["billed"]["number"]
    assert cli("invoice", "pdf", number, "-o", "fr.pdf", "--lang", "fr").code == 0
    assert cli("invoice", "pdf", number, "-o", "en.pdf", "--lang", "en").code == 0
    assert "Solde à payer" in pdf_text((tmp_path / "fr.pdf").read_bytes())
    assert "Balance due" in pdf_text((tmp_path / "en.pdf").read_bytes())


def test_a_draft_is_previewed_marked_draft(cli: Cli, demo: dict[str, Any], tmp_path: Path) -> None:
    result = cli("invoice", "pdf", f"#{demo['draft']['id']}", "-o", "draft.pdf", "--lang", "en")
    assert result.code == 0, result.err
    assert pdf_text((tmp_path / "draft.pdf").read_bytes()).exact("DRAFT")


def test_an_unknown_number_is_a_localized_error(
    cli: Cli, demo: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = cli("invoice", "pdf", "CDP-1999-00042", "-o", "x.pdf")
    assert result.code == 1
    assert result.err == "facteur: no invoice CDP-1999-00042\n"
    monkeypatch.setenv("FACTEUR_LANG", "fr")
    assert (
        cli("invoice", "pdf", "CDP-1999-00042", "-o", "x.pdf").err
        == "facteur : aucune facture CDP-1999-00042\n"
    )
    assert not (tmp_path / "x.pdf").exists()


def test_an_unwritable_output_is_a_localized_error(
    cli: Cli, demo: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    number = demo["billed"]["number"]
    missing = cli("invoice", "pdf", number, "-o", "nowhere/x.pdf")
    assert missing.code == 1
    assert missing.err.startswith("facteur: cannot write nowhere/x.pdf: ")
    folder = cli("invoice", "pdf", number, "-o", str(tmp_path))
    assert (folder.code, folder.err) == (1, f"facteur: {tmp_path} is a folder; give a file name\n")
    monkeypatch.setenv("FACTEUR_LANG", "fr")
    french = cli("invoice", "pdf", number, "-o", "nowhere/x.pdf")
    assert french.err.startswith("facteur : impossible d’écrire nowhere/x.pdf : ")
    assert not list(tmp_path.glob("**/.tmp-*"))


def test_the_output_and_language_are_checked_by_the_parser(cli: Cli, demo: dict[str, Any]) -> None:
    number = demo["billed"]["number"]
    assert cli("invoice", "pdf", number).code == 2
    assert cli("invoice", "pdf", number, "-o", "x.pdf", "--lang", "de").code == 2

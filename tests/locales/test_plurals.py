"""Plural rules come from each catalog's own Plural-Forms header, as gettext reads them.

Babel 2.19 gave French CLDR's third form ("many"); a loader that took Babel's table as the
truth refused the whole French catalog. These tests hold under the locked Babel and under the
newest (``make test-latest`` runs them too).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from locales import SHIPPED_DIR, CatalogError, Registry, load_catalog, po_path
from locales.catalog_cache import CatalogCache
from locales.check import check_paths
from locales.plurals import PluralRule, cldr_count, gettext_rule
from locales.problems import Severity

from .conftest import write_po

# A real plural message of the shipped catalogs, and the forms the French header chooses.
ROWS = (
    "Copied {n} row to {url} in {seconds} s; the counts match.",
    "Copied {n} rows to {url} in {seconds} s; the counts match.",
)


def test_every_shipped_catalog_loads_and_passes_the_check() -> None:
    for language in ("fr", "en"):
        catalog = load_catalog(po_path(language), language)
        assert catalog.plural, f"{language}: the shipped catalog has plural messages"
    report = check_paths([SHIPPED_DIR])
    assert [problem for problem in report.problems if problem.severity is Severity.ERROR] == []
    # the shipped headers are GNU gettext's rules: nothing to warn about, whatever Babel says
    assert not [problem for problem in report.problems if "Plural-Forms" in problem.message]


def test_french_follows_its_own_header_n_greater_than_one() -> None:
    texts = load_catalog(po_path("fr"), "fr").plural[ROWS[0]]
    assert texts.rule == PluralRule(2, "(n > 1)")
    chosen = [texts.forms.index(texts.form(n)) for n in (0, 1, 2, 1_000_000)]
    assert chosen == [0, 0, 1, 1]


def test_the_translator_picks_the_french_forms(shipped: Path) -> None:
    registry = Registry(shipped)
    fr = registry.translator("fr")
    assert [fr.nformat("{n} invoice", "{n} invoices", n) for n in (0, 1, 2, 1_000_000)] == [
        "0 facture",
        "1 facture",
        "2 factures",
        "1000000 factures",
    ]


def test_a_header_babel_disagrees_with_loads_and_the_check_only_warns(tmp_path: Path) -> None:
    # English with a single form: neither gettext's rule nor CLDR's count, yet a valid catalog
    path = write_po(
        tmp_path, "en", '\nmsgid "{n} invoice"\nmsgid_plural "{n} invoices"\nmsgstr[0] "{n} bills"\n'
    )
    path.write_text(
        path.read_text(encoding="utf-8").replace("nplurals=2; plural=(n != 1);", "nplurals=1; plural=0;"),
        encoding="utf-8",
    )
    assert cldr_count("en") != 1
    catalog = load_catalog(path, "en")
    assert catalog.plural["{n} invoice"].form(5) == "{n} bills"
    problems = check_paths([path]).problems
    assert [problem.severity for problem in problems if "Plural-Forms" in problem.message] == [
        Severity.WARNING
    ]
    assert not [problem for problem in problems if problem.is_error]


def test_a_plural_count_that_disagrees_with_the_files_own_header_is_refused(tmp_path: Path) -> None:
    path = write_po(
        tmp_path, "fr", '\nmsgid "{n} invoice"\nmsgid_plural "{n} invoices"\nmsgstr[0] "{n} facture"\n'
    )
    with pytest.raises(CatalogError) as refused:
        load_catalog(path, "fr")
    assert [(problem.message, problem.params) for problem in refused.value.problems] == [
        ("plural forms given: {found}; this language has {expected}", {"found": 1, "expected": 2})
    ]


@pytest.mark.parametrize(
    "header",
    ["nplurals=2; plural=(n > ;", "nplurals=two; plural=(n > 1);", "nplurals=2; plural=__import__('os');"],
)
def test_an_unreadable_or_unsafe_header_refuses_the_file(tmp_path: Path, header: str) -> None:
    path = write_po(tmp_path, "fr", '\nmsgid "Hello"\nmsgstr "Bonjour"\n')
    path.write_text(
        path.read_text(encoding="utf-8").replace("nplurals=2; plural=(n > 1);", header), encoding="utf-8"
    )
    with pytest.raises(CatalogError) as refused:
        load_catalog(path, "fr")
    (problem,) = refused.value.problems
    assert problem.line == 4 and problem.message == "the Plural-Forms header cannot be read: {reason}"


def test_a_file_without_the_header_takes_gettexts_rule(tmp_path: Path) -> None:
    path = po_path("fr", tmp_path)
    path.parent.mkdir(parents=True)
    path.write_text(
        'msgid "{n} invoice"\nmsgid_plural "{n} invoices"\n'
        'msgstr[0] "{n} facture"\nmsgstr[1] "{n} factures"\n',
        encoding="utf-8",
    )
    texts = load_catalog(path, "fr").plural["{n} invoice"]
    assert texts.rule == gettext_rule("fr") and texts.form(0) == "{n} facture"


def test_layered_files_each_keep_their_own_rule(shipped: Path, override: Path, tmp_path: Path) -> None:
    # an override catalog that splits French plurals three ways, CLDR's way, beside the shipped two
    path = write_po(
        override,
        "fr",
        '\nmsgid "{n} row"\nmsgid_plural "{n} rows"\n'
        'msgstr[0] "{n} ligne"\nmsgstr[1] "{n} de lignes"\nmsgstr[2] "{n} lignes"\n',
    )
    three = "nplurals=3; plural=(n == 0 || n == 1) ? 0 : n != 0 && n % 1000000 == 0 ? 1 : 2;"
    path.write_text(
        path.read_text(encoding="utf-8").replace("nplurals=2; plural=(n > 1);", three), encoding="utf-8"
    )
    for cache in (None, CatalogCache(tmp_path / "cache"), CatalogCache(tmp_path / "cache")):
        fr = Registry(shipped, override, cache=cache).translator("fr")
        assert [fr.nformat("{n} row", "{n} rows", n) for n in (1, 2, 1_000_000)] == [
            "1 ligne",
            "2 lignes",
            "1000000 de lignes",
        ]
        assert fr.nformat("{n} invoice", "{n} invoices", 1_000_000) == "1000000 factures"

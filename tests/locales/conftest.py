"""Catalog folders written into ``tmp_path``: a small shipped pair (fr, en) and an override folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import locales
from locales import Registry, po_path
from locales.catalog_cache import CatalogCache

PLURAL_FORMS = {"fr": "nplurals=2; plural=(n > 1);", "en": "nplurals=2; plural=(n != 1);"}

SHIPPED = {
    "fr": """
msgid "Hello"
msgstr "Bonjour"

msgid "Balance: {amount}"
msgstr "Solde : {amount}"

msgid "Reminder: invoice {number} is due on {date}"
msgstr "Rappel : la facture {number} est due le {date}"

msgid "Only in French"
msgstr "Seulement en français"

msgid "Hello {{ name }},\\n{% if link %}Pay: {{ link }}\\n{% endif %}Due: {{ amount_due }}"
msgstr "Bonjour {{ name }},\\n{% if link %}Payer : {{ link }}\\n{% endif %}Dû : {{ amount_due }}"

msgid "{n} invoice"
msgid_plural "{n} invoices"
msgstr[0] "{n} facture"
msgstr[1] "{n} factures"
""",
    "en": """
msgid "Hello"
msgstr "Hi"

msgid "Balance: {amount}"
msgstr "Balance due: {amount}"

msgid "Reminder: invoice {number} is due on {date}"
msgstr "Reminder: invoice {number} is due on {date}"

msgid "Hello {{ name }},\\n{% if link %}Pay: {{ link }}\\n{% endif %}Due: {{ amount_due }}"
msgstr "Hello {{ name }},\\n{% if link %}Pay: {{ link }}\\n{% endif %}Due: {{ amount_due }}"

msgid "{n} invoice"
msgid_plural "{n} invoices"
msgstr[0] "{n} invoice"
msgstr[1] "{n} invoices"
""",
}


def po_text(language: str, body: str) -> str:
    """A complete ``.po`` file: a header, then ``body``."""
    header = (
        'msgid ""\nmsgstr ""\n'
        f'"Language: {language}\\n"\n'
        f'"Plural-Forms: {PLURAL_FORMS[language]}\\n"\n'
        '"Content-Type: text/plain; charset=utf-8\\n"\n'
    )
    return header + body


def write_po(base: Path, language: str, body: str) -> Path:
    path = po_path(language, base)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(po_text(language, body), encoding="utf-8")
    return path


def line_of(path: Path, needle: str) -> int:
    """The 1-based line of the first line of ``path`` containing ``needle``."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


@pytest.fixture
def shipped(tmp_path: Path) -> Path:
    base = tmp_path / "shipped"
    for language, body in SHIPPED.items():
        write_po(base, language, body)
    return base


@pytest.fixture
def override(tmp_path: Path) -> Path:
    base = tmp_path / "override"
    base.mkdir()
    return base


@pytest.fixture(params=["parsed", "cached"])
def registry(request: pytest.FixtureRequest, shipped: Path, override: Path, tmp_path: Path) -> Registry:
    """Every registry test twice: parsing each file, and with a catalog cache another process filled
    (so the files unchanged since are served from it, and every rule must hold all the same)."""
    if request.param == "parsed":
        return Registry(shipped, override)
    cache = CatalogCache(tmp_path / "cache")
    Registry(shipped, override, cache=cache).refresh()
    assert cache.misses == 2 and list((tmp_path / "cache").glob("*.json"))
    return Registry(shipped, override, cache=cache)


@pytest.fixture
def global_catalogs() -> Iterator[None]:
    """Tests that call ``locales.configure`` leave the process's catalogs as they found them."""
    yield
    locales.configure(None)

"""The catalog cache: an unchanged file is not parsed again; any edit is, and a broken one is refused."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import locales.catalog_cache as catalog_cache
from locales import CatalogError, Registry, ReloadEvent, load_catalog
from locales.catalog_cache import CatalogCache, default_cache_dir

from .conftest import SHIPPED, line_of, po_text, write_po


@pytest.fixture
def cache(tmp_path: Path) -> CatalogCache:
    return CatalogCache(tmp_path / "cache")


def test_an_unchanged_file_comes_from_the_cache(shipped: Path, cache: CatalogCache) -> None:
    path = shipped / "fr" / "LC_MESSAGES" / "facteur.po"
    first = cache.load(path, "fr")
    again = CatalogCache(cache.folder).load(path, "fr")  # another process, the same folder
    assert (cache.misses, cache.hits) == (1, 0)
    parsed = load_catalog(path, "fr")
    assert (
        (again.singular, again.plural) == (parsed.singular, parsed.plural) == (first.singular, first.plural)
    )
    invoices = again.plural["{n} invoice"]  # the file's own rule came back with its forms
    assert [invoices.form(n) for n in (0, 1, 2)] == ["{n} facture", "{n} facture", "{n} factures"]


def test_an_edit_keeping_size_and_time_is_parsed_again(shipped: Path, cache: CatalogCache) -> None:
    path = shipped / "fr" / "LC_MESSAGES" / "facteur.po"
    cache.load(path, "fr")
    before = path.stat()
    path.write_text(po_text("fr", SHIPPED["fr"].replace('"Bonjour"', '"Bonsoir"')), encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # a copy that kept the old time
    assert path.stat().st_size == before.st_size
    assert cache.load(path, "fr").singular["Hello"] == "Bonsoir"
    assert (cache.misses, cache.hits) == (2, 0)


def test_a_broken_file_is_refused_each_time_and_never_kept(
    shipped: Path, override: Path, cache: CatalogCache
) -> None:
    path = write_po(override, "fr", '\nmsgid "Balance: {amount}"\nmsgstr "Reste : {montant}"\n')
    for _ in range(2):
        with pytest.raises(CatalogError) as refused:
            cache.load(path, "fr")
        assert refused.value.problems[0].line == line_of(path, "{montant}")
    assert cache.misses == 2
    assert cache.folder is not None and not list(cache.folder.glob("*.json"))


def test_a_broken_edit_made_between_two_runs_is_refused(
    shipped: Path, override: Path, cache: CatalogCache
) -> None:
    """The next start does not serve the cached good version of an override broken meanwhile: the
    file is refused with its problem, and its texts come from the shipped catalog, as without a cache."""
    path = write_po(override, "fr", '\nmsgid "Hello"\nmsgstr "Allô"\n')
    assert Registry(shipped, override, cache=cache).translator("fr").gettext("Hello") == "Allô"
    path.write_text(po_text("fr", '\nmsgid "Hello"\nmsgstr "Allô {oops}"\n'), encoding="utf-8")
    registry = Registry(shipped, override, cache=cache)
    events = registry.refresh()
    refused = [(event.path, event.kept) for event in events if not event.applied]
    assert refused == [(path.resolve(), False)]
    assert refused_problem_line(events) == line_of(path, "{oops}")
    assert registry.translator("fr").gettext("Hello") == "Bonjour"
    assert cache.hits == 2  # the shipped pair, unchanged


def refused_problem_line(events: list[ReloadEvent]) -> int:
    (event,) = (event for event in events if not event.applied)
    return event.problems[0].line


def test_a_damaged_cache_file_is_a_miss_and_is_rewritten(shipped: Path, cache: CatalogCache) -> None:
    path = shipped / "en" / "LC_MESSAGES" / "facteur.po"
    cache.load(path, "en")
    assert cache.folder is not None
    (entry,) = cache.folder.glob("*.json")
    for damage in ("", "{", '{"key": 1}', '["a list"]', entry.read_text(encoding="utf-8")[:100]):
        entry.write_text(damage, encoding="utf-8")
        assert cache.load(path, "en").singular["Hello"] == "Hi"
    assert (cache.misses, cache.hits) == (6, 0)
    assert CatalogCache(cache.folder).load(path, "en").singular["Hello"] == "Hi"


def test_a_new_loader_parses_again(
    shipped: Path, cache: CatalogCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = shipped / "en" / "LC_MESSAGES" / "facteur.po"
    cache.load(path, "en")
    monkeypatch.setattr(catalog_cache, "_loader_fingerprint", lambda: "another version of the checks")
    cache.load(path, "en")
    assert (cache.misses, cache.hits) == (2, 0)


def test_a_cache_that_cannot_be_written_only_costs_time(shipped: Path, tmp_path: Path) -> None:
    blocked = tmp_path / "a file, not a folder"
    blocked.write_text("", encoding="utf-8")
    cache = CatalogCache(blocked / "catalogs")
    path = shipped / "fr" / "LC_MESSAGES" / "facteur.po"
    assert cache.load(path, "fr").singular["Hello"] == "Bonjour"
    assert cache.load(path, "fr").singular["Hello"] == "Bonjour"
    assert cache.misses == 2


def test_an_unreadable_file_is_refused_with_its_reason(tmp_path: Path, cache: CatalogCache) -> None:
    with pytest.raises(CatalogError) as refused:
        cache.load(tmp_path / "missing.po", "fr")
    assert refused.value.problems[0].line == 0


def test_where_the_cache_lives(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("FACTEUR_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "facteur" / "catalogs"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_cache_dir() == tmp_path / "home" / ".cache" / "facteur" / "catalogs"
    monkeypatch.setenv("FACTEUR_CACHE_DIR", str(tmp_path / "here"))
    assert default_cache_dir() == tmp_path / "here" / "catalogs"
    monkeypatch.setenv("FACTEUR_CACHE_DIR", "")
    assert default_cache_dir() is None
    assert CatalogCache().location() is None
    assert CatalogCache(tmp_path, enabled=False).location() is None

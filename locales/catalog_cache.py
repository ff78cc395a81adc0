"""Parsed catalogs kept between runs: parsing and checking the ``.po`` files was a tenth of a second
of every start (``facteur --help``, the TUI, each agent worker).

Only a file that loaded cleanly is kept, under a key made of its exact bytes, its language and the
loader itself (this package's parsing and checking code, Babel's version): a file edited in any way,
or a new loader, is parsed and checked again, and a file with an error is never kept, so a broken
edit is refused with its problems as before. One cache file per catalog file, replaced whole, so two
processes never read a half-written one. The cache only saves time: a cache that cannot be read or
written is a miss, never an error.

Where: ``$FACTEUR_CACHE_DIR`` (empty: no cache), else ``$XDG_CACHE_HOME/facteur``, else
``~/.cache/facteur``; the files go to its ``catalogs/`` folder.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import cache
from pathlib import Path

from locales.catalogs import Catalog, load_catalog
from locales.plurals import PluralRule, PluralText, gettext_rule

FORMAT = 2  # of a cache file; bump when its layout changes
_LOADER_FILES = ("catalogs.py", "pofile.py", "plurals.py", "problems.py", "catalog_cache.py")


def default_cache_dir() -> Path | None:
    """The folder the catalogs are kept in, from the environment (``None``: keep nothing)."""
    explicit = os.environ.get("FACTEUR_CACHE_DIR")
    if explicit is not None:
        return Path(explicit) / "catalogs" if explicit else None
    base = os.environ.get("XDG_CACHE_HOME")
    if not base:
        try:
            base = str(Path.home() / ".cache")
        except RuntimeError:  # no home (a service with a dynamic user): nowhere to keep them
            return None
    return Path(base) / "facteur" / "catalogs"


class CatalogCache:
    """``load(path, language)``: what ``load_catalog`` returns, from the cache when the file is unchanged.

    ``folder`` None follows ``default_cache_dir()`` at each load (tests set the environment late).
    """

    def __init__(self, folder: Path | None = None, *, enabled: bool = True) -> None:
        self.folder = folder
        self.enabled = enabled
        self.hits = 0  # loads served from the cache, for tests
        self.misses = 0

    def location(self) -> Path | None:
        if not self.enabled:
            return None
        return self.folder if self.folder is not None else default_cache_dir()

    def load(self, path: Path, language: str) -> Catalog:
        """Parse and check ``path`` (``CatalogError`` when anything is wrong), unless its bytes were
        loaded cleanly before."""
        folder = self.location()
        if folder is None:
            return load_catalog(path, language)
        try:
            data = path.read_bytes()
        except OSError:
            return load_catalog(path, language)  # which names the reason the file cannot be read
        entry = folder / f"{_digest(str(path.resolve()), language)}.json"
        key = _digest(hashlib.sha256(data).hexdigest(), language, _loader_fingerprint())
        catalog = _read_entry(entry, key, language)
        if catalog is not None:
            self.hits += 1
            return catalog
        self.misses += 1
        catalog = load_catalog(path, language, data=data)  # the bytes the key was made of
        _write_entry(entry, key, catalog)
        return catalog


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:40]


@cache
def _loader_fingerprint() -> str:
    """What the parsed result depends on besides the file: this package's loader code, Babel's version."""
    import babel

    here = Path(__file__).parent
    digest = hashlib.sha256(f"{FORMAT} {babel.__version__}".encode())
    for name in _LOADER_FILES:
        try:
            digest.update((here / name).read_bytes())
        except OSError:
            digest.update(name.encode())
    return digest.hexdigest()


def _read_entry(entry: Path, key: str, language: str) -> Catalog | None:
    try:
        stored = json.loads(entry.read_text(encoding="utf-8"))
        if not isinstance(stored, dict) or stored.get("key") != key:
            return None
        singular = {str(msgid): str(text) for msgid, text in stored["singular"].items()}
        rule = PluralRule.parse(str(stored["plural_forms"]))
        plural = {
            str(msgid): PluralText(tuple(str(form) for form in forms), rule)
            for msgid, forms in stored["plural"].items()
        }
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None  # missing, half-copied or from elsewhere: parse the file
    return Catalog(language, singular, plural)


def _write_entry(entry: Path, key: str, catalog: Catalog) -> None:
    import tempfile  # only on a miss: a start served from the cache does without it

    rules = {text.rule for text in catalog.plural.values()}
    if len(rules) > 1:
        return  # a catalog read from one file has one rule; anything else is not kept
    stored = {
        "key": key,
        "singular": catalog.singular,
        "plural": {msgid: text.forms for msgid, text in catalog.plural.items()},
        "plural_forms": (rules.pop() if rules else gettext_rule(catalog.language)).header,
    }
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=entry.parent, prefix=entry.name, suffix=".partial")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(stored, out, ensure_ascii=False)
            Path(temporary).replace(entry)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError:
        pass  # a read-only home: every start parses, as before

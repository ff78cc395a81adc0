"""Loading the gettext ``.po`` catalogs and looking strings up in them.

Admins edit ``.po`` files, so the ``.po`` file is what runs: it is parsed with
Babel at first use, never compiled to ``.mo`` behind their back.
"""

from __future__ import annotations

import gettext
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

DOMAIN = "facteur"
LANGUAGES: tuple[str, ...] = ("fr", "en")
DEFAULT_LANGUAGE = "fr"
SHIPPED_DIR = Path(__file__).resolve().parent


def normalize_language(value: str | None) -> str | None:
    """``"fr_CA.UTF-8"`` -> ``"fr"``; ``None`` for anything Facteur does not speak."""
    if not value:
        return None
    code = value.strip().lower().replace("-", "_").split(".")[0].split("_")[0]
    return code if code in LANGUAGES else None


@dataclass(frozen=True)
class Catalog:
    """One language's messages: ``msgid -> str`` and ``msgid -> plural forms``."""

    language: str
    singular: dict[str, str] = field(default_factory=dict)
    plural: dict[str, tuple[str, ...]] = field(default_factory=dict)
    plural_index: Any = None  # babel's plural rule: n -> form index


def po_path(language: str, base: Path = SHIPPED_DIR) -> Path:
    return base / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def load_catalog(path: Path, language: str) -> Catalog:
    """Parse one ``.po`` file; raise on a syntax error (babel's ``PoFileError``)."""
    with path.open("rb") as handle:
        po = read_po(handle, locale=language, abort_invalid=True)
    singular: dict[str, str] = {}
    plural: dict[str, tuple[str, ...]] = {}
    for message in po:
        if not message.id or message.fuzzy:
            continue
        if isinstance(message.id, tuple):
            forms = tuple(message.string or ())
            if forms and all(forms):
                plural[message.id[0]] = forms
        elif message.string:
            singular[message.id] = message.string
    return Catalog(language, singular, plural, po.plural_expr and _plural_rule(po))


def _plural_rule(po: Any) -> Any:
    # gettext's own parser for the C expression in the catalog header ("(n > 1)").
    return gettext.c2py(po.plural_expr)


class LazyText(str):
    """A msgid passed as a placeholder value: translated by ``Translator.format``."""


class Translator:
    """The messages of one language, falling back along ``chain`` for missing ones."""

    def __init__(self, language: str, chain: tuple[Catalog, ...]) -> None:
        self.language = language
        self._chain = chain

    def gettext(self, msgid: str) -> str:
        for catalog in self._chain:
            text = catalog.singular.get(msgid)
            if text:
                return text
        return msgid

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        for catalog in self._chain:
            forms = catalog.plural.get(singular)
            if forms:
                index = catalog.plural_index(n) if catalog.plural_index else int(n != 1)
                return forms[min(index, len(forms) - 1)]
        return singular if n == 1 else plural

    def format(self, msgid: str, /, **params: Any) -> str:
        """Translate, then fill ``{placeholders}`` from ``params``."""
        return self.gettext(msgid).format(**self._translated(params))

    def nformat(self, singular: str, plural: str, n: int, /, **params: Any) -> str:
        return self.ngettext(singular, plural, n).format(n=n, **self._translated(params))

    def _translated(self, params: dict[str, Any]) -> dict[str, Any]:
        return {k: self.gettext(v) if isinstance(v, LazyText) else v for k, v in params.items()}

    __call__ = format


_lock = threading.Lock()
_catalogs: dict[str, Catalog] = {}


def _catalog(language: str) -> Catalog:
    with _lock:
        catalog = _catalogs.get(language)
        if catalog is None:
            path = po_path(language)
            catalog = load_catalog(path, language) if path.exists() else Catalog(language)
            _catalogs[language] = catalog
        return catalog


def translator(language: str | None = None, default: str | None = None) -> Translator:
    """The catalog for ``language``, falling back to ``default`` (the clinic's), then French."""
    chain_languages: list[str] = []
    for candidate in (normalize_language(language), normalize_language(default), DEFAULT_LANGUAGE):
        if candidate and candidate not in chain_languages:
            chain_languages.append(candidate)
    return Translator(chain_languages[0], tuple(_catalog(lang) for lang in chain_languages))

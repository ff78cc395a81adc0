"""Catalogs (one language's messages) and the ``Translator`` that reads them.

Admins edit ``.po`` files, so the ``.po`` file is what runs: it is parsed with
Babel, never compiled to ``.mo`` behind their back. A ``Translator`` looks its
catalogs up at every call, so one obtained before a reload reads the new text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from locales.marks import LazyText
from locales.plurals import PluralRule, PluralText
from locales.problems import CatalogError

if TYPE_CHECKING:
    from babel.messages.catalog import Catalog as PoCatalog

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


def po_path(language: str, base: Path = SHIPPED_DIR) -> Path:
    """Where ``language``'s catalog lives under ``base``: ``<lang>/LC_MESSAGES/facteur.po``."""
    return base / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@dataclass(frozen=True)
class Catalog:
    """One language's messages: ``msgid -> str`` and ``msgid -> plural forms`` (each plural message
    with the rule of the file it came from, so layered files may each have their own header)."""

    language: str
    singular: dict[str, str] = field(default_factory=dict)
    plural: dict[str, PluralText] = field(default_factory=dict)

    def layered(self, top: Catalog) -> Catalog:
        """This catalog with ``top``'s messages winning where both have one."""
        return Catalog(self.language, {**self.singular, **top.singular}, {**self.plural, **top.plural})


def build_catalog(po: PoCatalog, language: str, rule: PluralRule) -> Catalog:
    """The served part of a parsed file: translated, non-fuzzy entries; ``rule`` is the file's."""
    from locales.pofile import message_forms, message_ids

    singular: dict[str, str] = {}
    plural: dict[str, PluralText] = {}
    for message in po:
        if not message.id or message.fuzzy:
            continue
        ids, forms = message_ids(message), message_forms(message)
        if message.pluralizable:
            forms = forms[: rule.count]  # Babel pads to its own table's count where no header says
            if forms and all(forms):
                plural[ids[0]] = PluralText(forms, rule)
        elif forms[0]:
            singular[ids[0]] = forms[0]
    return Catalog(language, singular, plural)


def load_catalog(path: Path, language: str, *, data: bytes | None = None) -> Catalog:
    """Parse and check one ``.po`` file (its bytes ``data`` when already read); raise
    ``CatalogError`` if anything would be wrong."""
    # Imported here: a process whose catalogs all come from the cache (``catalog_cache``) never
    # needs the parser and the checkers (Babel's look up entry points: 30 ms).
    from locales.pofile import read_catalog

    parsed = read_catalog(path, language, data=data)
    if parsed.po is None or parsed.rule is None or parsed.errors:
        raise CatalogError(path, parsed.errors)
    return build_catalog(parsed.po, language, parsed.rule)


class CatalogSource(Protocol):
    def catalog(self, language: str) -> Catalog: ...


class Translator:
    """The messages of one language, falling back along ``languages`` for missing ones."""

    def __init__(self, language: str, languages: tuple[str, ...], source: CatalogSource) -> None:
        self.language = language
        self.languages = languages
        self._source = source

    def _chain(self) -> list[Catalog]:
        return [self._source.catalog(language) for language in self.languages]

    def gettext(self, msgid: str) -> str:
        for catalog in self._chain():
            text = catalog.singular.get(msgid)
            if text:
                return text
        return msgid

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        for catalog in self._chain():
            text = catalog.plural.get(singular)
            if text:
                return text.form(n)
        return singular if n == 1 else plural

    def format(self, msgid: str, /, **params: Any) -> str:
        """Translate, then fill ``{placeholders}`` from ``params``."""
        return self.gettext(msgid).format(**self._translated(params))

    def nformat(self, singular: str, plural: str, n: int, /, **params: Any) -> str:
        """Pick the plural form for ``n``, then fill ``{n}`` and the other placeholders."""
        return self.ngettext(singular, plural, n).format(n=n, **self._translated(params))

    def _translated(self, params: dict[str, Any]) -> dict[str, Any]:
        """Placeholder values that are themselves messages (a ``LazyText``, or an error
        with ``render``, e.g. the reason inside a config error) are read in this language too."""
        return {k: self._one(v) for k, v in params.items()}

    def _one(self, value: Any) -> Any:
        if isinstance(value, LazyText):
            return self.gettext(value)
        render = getattr(value, "render", None)
        return render(self) if callable(render) else value

    def __repr__(self) -> str:
        return f"Translator({self.language!r}, {self.languages!r})"

    __call__ = format

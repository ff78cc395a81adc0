"""Facteur's catalogs (fr, en) and the loader.

``translator(lang)`` returns the catalog for one reader; nothing here installs a
process-global language. Strings are marked for extraction with ``N_`` where
they are defined and translated where a person reads them.
"""

from __future__ import annotations

from locales.catalogs import (
    DEFAULT_LANGUAGE,
    DOMAIN,
    LANGUAGES,
    LazyText,
    Translator,
    normalize_language,
    translator,
)


def N_(msgid: str) -> str:
    """Mark ``msgid`` for extraction without translating it (done by the reader)."""
    return msgid


def L_(msgid: str) -> LazyText:
    """Mark ``msgid`` for extraction; translated when used as a placeholder value."""
    return LazyText(msgid)


__all__ = [
    "DEFAULT_LANGUAGE",
    "DOMAIN",
    "LANGUAGES",
    "L_",
    "N_",
    "LazyText",
    "Translator",
    "normalize_language",
    "translator",
]

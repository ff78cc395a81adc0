"""Facteur's catalogs (fr, en) and the loader.

``translator(lang)`` returns the catalog for one reader; nothing here installs a
process-global language. Strings are marked for extraction with ``N_`` where
they are defined and translated where a person reads them. At startup the CLI,
TUI and agent call ``configure(override_dir)``; the TUI and agent then keep a
watcher running for live reload (``locales.watch``, not imported here: the CLI
has no use for watchfiles).
"""

from __future__ import annotations

from locales.catalogs import (
    DEFAULT_LANGUAGE,
    DOMAIN,
    LANGUAGES,
    SHIPPED_DIR,
    Catalog,
    Translator,
    load_catalog,
    normalize_language,
    po_path,
)
from locales.marks import L_, N_, LazyText
from locales.problems import CatalogError, Problem, Severity
from locales.registry import (
    Listener,
    Registry,
    ReloadEvent,
    add_listener,
    configure,
    default_registry,
    translator,
)

__all__ = [
    "DEFAULT_LANGUAGE",
    "DOMAIN",
    "LANGUAGES",
    "L_",
    "N_",
    "SHIPPED_DIR",
    "Catalog",
    "CatalogError",
    "LazyText",
    "Listener",
    "Problem",
    "Registry",
    "ReloadEvent",
    "Severity",
    "Translator",
    "add_listener",
    "configure",
    "default_registry",
    "load_catalog",
    "normalize_language",
    "po_path",
    "translator",
]

"""Version 8: the shipped templates follow the catalogs. Their wording moved into ``locales/``; a
shipped template's part still worded as shipped is emptied, which now means "the catalogs' text",
so an admin's ``.po`` edit reaches it. A part an admin reworded is kept as it is.

The shipped wording is read from the shipped catalogs (not a site's override): on the day this was
written they held, word for word, what version 7 stored.
"""

from __future__ import annotations

import peewee

from locales.catalogs import LANGUAGES, load_catalog, po_path
from models.messaging.system_templates import SYSTEM_TEMPLATES

VERSION = 8


def _shipped_wording() -> dict[str, dict[str, str]]:
    """``system_key -> {part: text}`` as the shipped catalogs word it."""
    catalogs = {language: load_catalog(po_path(language), language) for language in LANGUAGES}
    wording: dict[str, dict[str, str]] = {}
    for shipped in SYSTEM_TEMPLATES:
        parts: dict[str, str] = {}
        for language, catalog in catalogs.items():
            parts[f"subject_{language}"] = catalog.singular.get(shipped.subject, shipped.subject)
            parts[f"body_{language}"] = catalog.singular.get(shipped.body, shipped.body)
        wording[shipped.key] = parts
    return wording


def apply(database: peewee.Database) -> None:
    template = peewee.Table(
        "template", ("id", "system_key", "subject_fr", "body_fr", "subject_en", "body_en")
    ).bind(database)
    shipped = _shipped_wording()
    for row in template.select().where(template.system_key.is_null(False)).dicts():  # type: ignore[attr-defined]
        parts = shipped.get(row["system_key"])
        if parts is None:
            continue
        following = {
            getattr(template, part): ""
            for part, text in parts.items()
            if (row[part] or "").strip("\n") == text.strip("\n")
        }
        if following:
            template.update(following).where(template.id == row["id"]).execute()  # type: ignore[attr-defined]

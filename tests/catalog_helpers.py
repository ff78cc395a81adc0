"""A site override catalog written the way an admin's edit ends up on disk, for tests of live wording."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

from locales import po_path
from locales.registry import default_registry


def write_override(folder: Path, language: str, messages: dict[str, str]) -> Path:
    """``language``'s override catalog under ``folder`` holding ``messages``; the process reloads it."""
    catalog = Catalog(locale=language, domain="facteur")
    for msgid, text in messages.items():
        catalog.add(msgid, text)
    buffer = BytesIO()
    write_po(buffer, catalog, width=0)
    path = po_path(language, folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())
    events = default_registry().refresh()
    assert all(event.applied for event in events if event.path == path), [e.problems for e in events]
    return path

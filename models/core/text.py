"""Text folding for search: case- and accent-insensitive, as staff type names."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """``"Élise  Bélanger-Côté"`` -> ``"elise belanger-cote"``."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.split())


def name_key(last_name: str, first_name: str) -> str:
    """What ``Patient.search_name`` holds: last then first name, folded."""
    return fold(f"{last_name} {first_name}")

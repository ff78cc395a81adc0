"""Texts that follow the reader's language and live catalog edits.

Widgets that show translated text implement ``apply_texts()``; the app calls it on every
mounted node after a catalog reload. Bindings are declared with msgids as descriptions
(``N_("Quit")``) and translated per instance by ``translate_bindings``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Protocol, runtime_checkable

from textual.binding import BindingsMap
from textual.dom import DOMNode
from textual.widgets._select import SelectOverlay

from locales import N_, Translator

# Textual's widgets whose footer bindings show: their descriptions, as msgids of our catalogs.
BUILTIN_BINDINGS: dict[type[DOMNode], tuple[str, ...]] = {SelectOverlay: (N_("Dismiss menu"),)}


@runtime_checkable
class Localized(Protocol):
    def apply_texts(self) -> None:
        """Set every label, placeholder and binding description from the current catalogs."""


def translate_bindings(node: DOMNode, tr: Translator) -> None:
    """Give ``node``'s footer bindings descriptions in ``tr``'s language (the class holds msgids)."""
    source: BindingsMap | None = type(node)._merged_bindings
    if source is None:
        return
    translated = BindingsMap()
    translated.key_to_bindings = {
        key: [
            replace(
                binding,
                description=tr.gettext(binding.description) if binding.description else "",
                tooltip=tr.gettext(binding.tooltip) if binding.tooltip else "",
            )
            for binding in bindings
        ]
        for key, bindings in source.key_to_bindings.items()
    }
    node._bindings = translated
    node.refresh_bindings()

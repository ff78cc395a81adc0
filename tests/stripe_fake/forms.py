"""Stripe's form encoding back into data: ``line_items[0][price_data][currency]=cad``."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

_KEY = re.compile(r"([^\[\]]+)|\[([^\[\]]*)\]")


def decode(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Nested dicts from bracketed keys; numbered (or empty ``[]``) levels become lists."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        parts = [a or b for a, b in _KEY.findall(key)]
        node: dict[str, Any] = root
        for index, raw in enumerate(parts):
            part = raw or str(sum(1 for k in node if k.isdigit()))  # types[]=a&types[]=b
            if index == len(parts) - 1:
                node[part] = value
            else:
                node = node.setdefault(part, {})
    return _lists(root)


def _lists(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    converted = {k: _lists(v) for k, v in node.items()}
    if converted and all(k.isdigit() for k in converted):
        return [converted[k] for k in sorted(converted, key=int)]
    return converted

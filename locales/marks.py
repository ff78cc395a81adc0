"""Marking strings for extraction: ``N_`` (plain msgid) and ``L_`` (translated as a placeholder value)."""

from __future__ import annotations


class LazyText(str):
    """A msgid passed as a placeholder value: translated by ``Translator.format``."""


def N_(msgid: str) -> str:
    """Mark ``msgid`` for extraction without translating it (done by the reader)."""
    return msgid


def L_(msgid: str) -> LazyText:
    """Mark ``msgid`` for extraction; translated when used as a placeholder value."""
    return LazyText(msgid)

"""Plural rules as gettext reads them: a catalog's own ``Plural-Forms`` header decides.

A ``.po`` file says how many forms its plural messages have and which one a count takes
(``nplurals=2; plural=(n > 1);``). That header is the rule for that file, whatever table a
library ships: Babel 2.19 took CLDR's third French form ("many", for 1,000,000) while GNU
gettext, ``msgfmt -c`` and every French catalog keep two. A file without the header takes GNU
gettext's rule for its language. The expression is evaluated by the standard library's
``gettext.c2py``, which refuses anything but C's arithmetic on ``n`` (no ``eval`` of the text).
"""

from __future__ import annotations

import gettext
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

# GNU gettext's rules ("Plural forms" in its manual), for a catalog with no Plural-Forms header.
GETTEXT_RULES = {"fr": "nplurals=2; plural=(n > 1);", "en": "nplurals=2; plural=(n != 1);"}

_HEADER = re.compile(r"^\s*nplurals\s*=\s*(\d+)\s*;\s*plural\s*=\s*(.+?)\s*;?\s*$", re.DOTALL)


@dataclass(frozen=True)
class PluralRule:
    """How many forms a plural message has (``count``) and which one ``n`` takes (``expression``)."""

    count: int
    expression: str
    _index: Callable[[int], int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not 1 <= self.count <= 6:
            raise ValueError(f"nplurals={self.count}: between 1 and 6 forms")
        object.__setattr__(self, "_index", _compiled(self.expression))

    @classmethod
    def parse(cls, header: str) -> PluralRule:
        """``"nplurals=2; plural=(n > 1);"`` -> the rule; ``ValueError`` when it cannot be read."""
        match = _HEADER.match(header)
        if match is None:
            raise ValueError(f"{header!r}: expected nplurals=N; plural=EXPRESSION;")
        return cls(int(match.group(1)), match.group(2))

    @property
    def header(self) -> str:
        """The ``Plural-Forms`` value this rule reads back as."""
        return f"nplurals={self.count}; plural={self.expression};"

    def index(self, n: int) -> int:
        """The form ``n`` takes, kept within ``count`` (an expression may go past it)."""
        return max(0, min(int(self._index(n)), self.count - 1))


@cache
def _compiled(expression: str) -> Callable[[int], int]:
    try:
        return gettext.c2py(expression)
    except (ValueError, SyntaxError, RecursionError) as exc:
        raise ValueError(f"plural={expression}: {exc}") from exc


def gettext_rule(language: str) -> PluralRule:
    """GNU gettext's rule for ``language`` (``n != 1`` for one Facteur does not know)."""
    return PluralRule.parse(GETTEXT_RULES.get(language, "nplurals=2; plural=(n != 1);"))


def cldr_count(language: str) -> int:
    """How many forms Babel's copy of Unicode CLDR gives ``language``: for a warning only."""
    # imported here: a start served from the catalog cache never loads Babel's catalog modules
    from babel.messages.plurals import get_plural

    return get_plural(language).num_plurals


@dataclass(frozen=True)
class PluralText:
    """One plural message's translated forms, with the rule of the catalog they came from."""

    forms: tuple[str, ...]
    rule: PluralRule

    def form(self, n: int) -> str:
        return self.forms[min(self.rule.index(n), len(self.forms) - 1)]

"""What is wrong with a catalog file: ``Problem`` records, rendered as ``file:line: problem``."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from locales.marks import N_


class _Translates(Protocol):
    def format(self, msgid: str, /, **params: Any) -> str: ...


class Severity(StrEnum):
    """An error keeps a catalog from loading (and fails the check); a warning does not."""

    ERROR = "error"
    WARNING = "warning"


_LABELS = {Severity.ERROR: N_("error: {problem}"), Severity.WARNING: N_("warning: {problem}")}


@dataclass(frozen=True)
class Problem:
    """One problem at ``path:line`` (line 0: the whole file); ``message`` is a msgid."""

    path: Path
    line: int
    severity: Severity
    message: str
    params: dict[str, Any] = field(default_factory=dict, hash=False)

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def text(self, tr: _Translates) -> str:
        """The problem alone, in the reader's language."""
        return tr.format(self.message, **self.params)

    def render(self, tr: _Translates) -> str:
        """``file:line: error: problem`` (``file: ...`` when the whole file is meant)."""
        where = f"{self.path}:{self.line}" if self.line else str(self.path)
        return f"{where}: {tr.format(_LABELS[self.severity], problem=self.text(tr))}"


def error(path: Path, line: int, message: str, /, **params: Any) -> Problem:
    return Problem(path, line, Severity.ERROR, message, params)


def warning(path: Path, line: int, message: str, /, **params: Any) -> Problem:
    return Problem(path, line, Severity.WARNING, message, params)


class CatalogError(Exception):
    """A catalog file was refused; ``problems`` says where and why."""

    def __init__(self, path: Path, problems: tuple[Problem, ...]) -> None:
        super().__init__(f"{path}: {len(problems)} problem(s)")
        self.path = path
        self.problems = problems

    def render(self, tr: _Translates) -> str:
        return "\n".join(problem.render(tr) for problem in self.problems)

"""The error tree: one root, and families the edges (CLI, TUI, agent) read by type.

Messages are gettext msgids with ``{placeholders}``; they are translated where a
person reads them (``FacteurError.render(translator)``), never here, because the
domain does not know who is reading.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol


class _Translates(Protocol):
    def format(self, msgid: str, /, **params: Any) -> str: ...


class FacteurError(Exception):
    """Root of every error Facteur raises on purpose."""

    def __init__(self, message: str, /, **params: Any) -> None:
        super().__init__(message)
        self.message = message
        self.params = params

    def render(self, tr: _Translates) -> str:
        """The message in the reader's language, placeholders filled."""
        return tr.format(self.message, **self.params)

    def __str__(self) -> str:
        try:
            return self.message.format(**self.params)
        except (KeyError, IndexError, ValueError):
            return self.message

    def __reduce__(self) -> tuple[Any, ...]:
        # whole across a process boundary (a template rendered in a child), whatever a subclass's
        # constructor takes: the state is restored as it was, not rebuilt from arguments
        return (_restore, (type(self), self.message, self.__dict__))


def _restore(kind: type[FacteurError], message: str, state: dict[str, Any]) -> FacteurError:
    error = kind.__new__(kind)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    return error


class ValidationError(FacteurError):
    """A value a person typed is not acceptable; ``field`` names it."""

    def __init__(self, field: str, message: str, /, **params: Any) -> None:
        super().__init__(message, **params)
        self.field = field


class NotFoundError(FacteurError):
    """A record asked for by number, id or login does not exist."""


class TransitionError(FacteurError):
    """An invoice was asked to move to a status its rules do not allow."""


class ConfigError(FacteurError):
    """The configuration file or environment is wrong; the CLI exits with 2."""


class DatabaseError(FacteurError):
    """The database cannot be opened, is too old or too new for this program."""


class DeliveryError(FacteurError):
    """A channel (email, SMS, portal, Stripe) could not deliver."""


class TransientDeliveryError(DeliveryError):
    """Worth retrying later: 4xx replies, timeouts, disconnects, offline."""


class PermanentDeliveryError(DeliveryError):
    """Retrying cannot help: 5xx replies, invalid addresses."""


class FieldErrors(ValidationError):
    """Every refused field of one form at once; reads as the first of ``errors``."""

    def __init__(self, errors: list[ValidationError]) -> None:
        first = errors[0]
        super().__init__(first.field, first.message, **first.params)
        self.errors = errors


def check_fields(checks: dict[str, Callable[[], object]]) -> dict[str, object]:
    """Run every check of a form: the values by name, or ``FieldErrors`` with each refusal, so the
    form marks every wrong field at once rather than the first."""
    values: dict[str, object] = {}
    errors: list[ValidationError] = []
    for name, check in checks.items():
        try:
            values[name] = check()
        except ValidationError as exc:
            errors.append(exc)
    if errors:
        raise FieldErrors(errors)
    return values

"""What Stripe accepts, read from the locked ``stripe`` library's request types: the fake refuses a
parameter Stripe does not know, a value outside a list Stripe gives (``locale``, ``mode``…), or a
number that is not one, with Stripe's own words (``invalid_request_error``, ``param``).

The request types move with the library (a new version knows new locales), so nothing here is
copied: ``make test-latest`` checks against the newer library's types by itself.
"""

from __future__ import annotations

import functools
import sys
import types
import typing
from typing import Any, Literal, NotRequired, Required, Union, get_args, get_origin

import typing_extensions
from stripe.params import EventListParams, RefundCreateParams, RefundListParams
from stripe.params.checkout import SessionCreateParams, SessionListParams

# (method, path) -> the library's type for its parameters
REQUESTS: dict[tuple[str, str], Any] = {
    ("POST", "/v1/checkout/sessions"): SessionCreateParams,
    ("GET", "/v1/checkout/sessions"): SessionListParams,
    ("GET", "/v1/events"): EventListParams,
    ("POST", "/v1/refunds"): RefundCreateParams,
    ("GET", "/v1/refunds"): RefundListParams,
}
_OPTIONS = {"expand"}  # taken by every request


class Invalid(Exception):
    def __init__(self, message: str, param: str) -> None:
        super().__init__(message)
        self.param = param


def check_request(method: str, path: str, params: dict[str, Any]) -> None:
    """Raise ``Invalid`` as Stripe would answer 400; requests with no known type pass."""
    typed = REQUESTS.get((method, path))
    if typed is not None:
        _check_fields(typed, {k: v for k, v in params.items() if k not in _OPTIONS}, "")


def _check_fields(typed: Any, value: Any, where: str) -> None:
    if not isinstance(value, dict):
        raise Invalid(f"Invalid object: {where or 'the request'} must be a hash", where)
    hints = _hints(typed)
    for name, given in value.items():
        param = f"{where}[{name}]" if where else name
        if name not in hints:
            raise Invalid(f"Received unknown parameter: {param}", param)
        _check_value(hints[name], given, param)


def _resolve(name: str) -> Any:
    for module in _MODULES:
        try:
            return eval(name, vars(module))
        except NameError:
            continue
    return Any


_MODULES = [sys.modules[typed.__module__] for typed in REQUESTS.values()]


@functools.cache
def _hints(typed: Any) -> dict[str, Any]:
    """A request type's fields with their types; a type the library names only for type checkers
    (imported under ``TYPE_CHECKING``) is taken as anything."""
    namespace = vars(sys.modules[typed.__module__])
    hints: dict[str, Any] = {}
    for klass in reversed(typed.__mro__):
        for name, annotation in getattr(klass, "__annotations__", {}).items():
            try:
                hints[name] = eval(annotation, namespace) if isinstance(annotation, str) else annotation
            except NameError:
                hints[name] = Any
    return hints


def _check_value(hint: Any, value: Any, param: str) -> None:
    if isinstance(hint, typing.ForwardRef):  # a nested type the library names by a string
        hint = _resolve(hint.__forward_arg__)
    origin = get_origin(hint)
    if origin in (NotRequired, Required):
        _check_value(get_args(hint)[0], value, param)
        return
    if origin in (Union, types.UnionType):
        options = get_args(hint)
        if str in options and any(get_origin(o) is Literal for o in options):
            # "Literal[...] | str": the library leaves room for values newer than itself; Stripe
            # itself takes only those it lists, as this library's version knows them
            options = tuple(o for o in options if o is not str)
        problems = []
        for option in options:
            try:
                _check_value(option, value, param)
                return
            except Invalid as exc:
                problems.append(exc)
        raise problems[0]
    if origin is Literal:
        allowed = [str(a) for a in get_args(hint)]
        if str(value) not in allowed:
            raise Invalid(f"Invalid {param}: must be one of {', '.join(allowed)}", param)
        return
    if origin in (list, typing.List):  # noqa: UP006 (the library writes List)
        if not isinstance(value, list):
            raise Invalid(f"Invalid array: {param}", param)
        for index, item in enumerate(value):
            _check_value(get_args(hint)[0], item, f"{param}[{index}]")
        return
    if origin in (dict, typing.Dict):  # noqa: UP006
        if not isinstance(value, dict):
            raise Invalid(f"Invalid hash: {param}", param)
        return
    if hint is int:
        if not isinstance(value, str) or not value.lstrip("-").isdigit():
            raise Invalid(f"Invalid integer: {value}", param)
        return
    if hint is bool:
        if value not in ("true", "false"):
            raise Invalid(f"Invalid boolean: {value}", param)
        return
    if hint is str:
        if not isinstance(value, str):
            raise Invalid(f"Invalid string: {param}", param)
        return
    if typing_extensions.is_typeddict(hint):
        _check_fields(hint, value, param)

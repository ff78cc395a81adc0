"""Rendering staff-edited templates safely, for the TUI's editor and preview and for the agent.

Templates are Jinja2 sources run in a ``SandboxedEnvironment`` made stricter still:

- no globals (no ``range``, ``lipsum``…), a short list of harmless filters, and no attribute
  access but a loop's (``{{ clinic_name.__class__ }}`` and ``{{ clinic_name.upper() }}`` are
  refused: templates show fields, they do not call methods);
- ``StrictUndefined``: a name that is not a field is an error, never a silent blank;
- ``*``, ``**`` and ``%`` are bounded, so a template cannot build a huge string;
- every render runs on a budget (``template_budget``: a helper process with a time and a memory
  limit), so a template that loops for hours costs its own message, never the caller;
- the HTML part is rendered with autoescape, its literal text escaped too, and links made
  clickable; the text part and the subject are rendered without escaping.

``check_wording`` runs when a template is saved: a syntax error, an unknown field, a field a
subject may not show, or anything failing on a sample invoice raises ``TemplateProblem``
(a ``ValidationError`` naming the part, e.g. ``body_fr``, with the line), so nothing is saved.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jinja2
from jinja2 import meta, nodes
from jinja2.ext import Extension
from jinja2.lexer import Token, TokenStream
from jinja2.sandbox import SandboxedEnvironment, SecurityError
from markupsafe import Markup, escape

from locales import L_, N_, LazyText
from models.core.errors import ValidationError
from models.messaging.template_budget import OverBudget, shared_budget
from models.messaging.template_fields import FIELD_NAMES, LINK_FIELDS, SUBJECT_FIELDS

MAX_SUBJECT = 200
MAX_BODY = 10_000
MAX_OUTPUT = 50_000  # characters a part may render to
MAX_REPEAT = 1_000  # "x" * n
MAX_POWER = 64
SOURCE_NAME = "<facteur-template>"
SAFE_FILTERS = (
    "default",
    "d",
    "upper",
    "lower",
    "capitalize",
    "title",
    "trim",
    "truncate",
    "length",
    "replace",
    "abs",
    "round",
    "int",
    "string",
)

PARTS: dict[str, LazyText] = {
    "subject_fr": L_("French subject"),
    "body_fr": L_("French body"),
    "subject_en": L_("English subject"),
    "body_en": L_("English body"),
}


class TemplateProblem(ValidationError):
    """A template part that cannot be saved or sent; ``field`` is the part (``body_fr``…)."""


@dataclass(frozen=True)
class Rendered:
    """One message in one language: the subject line, the text body and the HTML body's fragment."""

    subject: str
    text: str
    html: str


class _Sandbox(SandboxedEnvironment):
    """The sandbox without attribute access and with bounded operators."""

    intercepted_binops = frozenset(("*", "**", "%"))

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        # ``loop.index`` and friends, nothing else: fields are plain values, not objects to explore
        return isinstance(obj, jinja2.runtime.LoopContext) and super().is_safe_attribute(obj, attr, value)

    def wrap_str_format(self, value: Any) -> None:
        return None  # ``"{:>999999999}".format`` would be as bad as ``%``: refused like any attribute

    def call_binop(self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "%" and isinstance(left, str):
            raise SecurityError("string formatting with % is not allowed")
        if operator == "**" and (not isinstance(right, int) or abs(right) > MAX_POWER):
            raise SecurityError(f"powers are limited to {MAX_POWER}")
        if operator == "*":
            for text, times in ((left, right), (right, left)):
                if isinstance(text, str | list) and isinstance(times, int):
                    if times > MAX_REPEAT:
                        raise SecurityError(f"repeating is limited to {MAX_REPEAT} times")
                    if len(text) * times > MAX_OUTPUT:  # ('x' * 1000) * 1000 … is refused at once
                        raise SecurityError(f"repeating is limited to {MAX_OUTPUT} characters")
        return super().call_binop(context, operator, left, right)


class _EscapeLiteralText(Extension):
    """In the HTML part, the template's own text is escaped like the fields' values."""

    def filter_stream(self, stream: TokenStream) -> Iterator[Token]:
        for token in stream:
            if token.type == "data":
                yield Token(token.lineno, "data", str(escape(token.value)))
            else:
                yield token


def _environment(html: bool) -> SandboxedEnvironment:
    env = _Sandbox(
        undefined=jinja2.StrictUndefined,
        autoescape=html,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=[_EscapeLiteralText] if html else [],
    )
    env.globals.clear()
    env.filters = {name: env.filters[name] for name in SAFE_FILTERS}
    return env


@lru_cache(maxsize=2)
def environment(html: bool = False) -> SandboxedEnvironment:
    return _environment(html)


@lru_cache(maxsize=256)
def _compiled(source: str, html: bool) -> jinja2.Template:
    return environment(html).from_string(source)


def _problem(part: str, msgid: str, **params: Any) -> TemplateProblem:
    return TemplateProblem(part, msgid, part=PARTS.get(part, part), **params)


def _first_line(ast: nodes.Template, name: str) -> int:
    lines = [node.lineno for node in ast.find_all(nodes.Name) if node.name == name and node.ctx == "load"]
    return min(lines, default=1)


@lru_cache(maxsize=256)
def check_source(source: str, part: str) -> None:
    """Syntax, length, and every name a field (a subject's, for a subject); ``TemplateProblem`` if not.

    Only successes are cached: a refused source is checked again (and refused) each time."""
    subject = part.startswith("subject")
    limit = MAX_SUBJECT if subject else MAX_BODY
    if len(source) > limit:
        raise _problem(part, N_("{part} is too long (at most {max} characters)"), max=limit)
    env = environment(False)
    try:
        ast = env.parse(source)
        _compiled(source, False)  # the HTML part compiles when first rendered: the same syntax
    except jinja2.TemplateSyntaxError as exc:
        raise _problem(
            part, N_("{part}, line {line}: syntax error: {detail}"), line=exc.lineno, detail=exc.message
        ) from None
    for name in sorted(meta.find_undeclared_variables(ast), key=lambda n: (_first_line(ast, n), n)):
        line = _first_line(ast, name)
        if name not in FIELD_NAMES:
            raise _problem(
                part, N_("{part}, line {line}: there is no field named {name}"), line=line, name=name
            )
        if subject and name not in SUBJECT_FIELDS:
            raise _problem(
                part,
                N_("{part}, line {line}: a subject cannot show {name}; it may show only {allowed}"),
                line=line,
                name=name,
                allowed=", ".join(sorted(SUBJECT_FIELDS)),
            )


def fields_used(source: str) -> frozenset[str]:
    """The fields ``source`` shows, in any branch (none for a source that does not parse:
    ``check_source`` says why)."""
    try:
        return frozenset(meta.find_undeclared_variables(environment(False).parse(source)))
    except jinja2.TemplateSyntaxError:
        return frozenset()


def _line_of(exc: BaseException) -> int:
    """The template line a rendering error came from (Jinja rewrites its traceback to the source)."""
    frames = [frame for frame in traceback.extract_tb(exc.__traceback__) if frame.filename == "<template>"]
    return frames[-1].lineno or 1 if frames else 1


def render_part(source: str, part: str, context: Mapping[str, Any], *, html: bool = False) -> str:
    """One part rendered; any failure is a ``TemplateProblem`` naming the part and the line."""
    check_source(source, part)
    values = dict(context)
    if html:
        values.update(
            {
                name: Markup('<a href="{0}">{0}</a>').format(values[name])
                for name in LINK_FIELDS
                if values.get(name)
            }
        )
    try:
        output = _compiled(source, html).render(values)
    except SecurityError as exc:
        raise _problem(
            part,
            N_("{part}, line {line}: this is not allowed in a template: {detail}"),
            line=_line_of(exc),
            detail=str(exc),
        ) from None
    except MemoryError:
        raise  # over the budget's memory (``template_budget`` says so)
    except Exception as exc:  # an error of the template's own making (a type, a missing key…)
        raise _problem(
            part,
            N_("{part}, line {line}: this cannot be shown: {detail}"),
            line=_line_of(exc),
            detail=str(exc) or type(exc).__name__,
        ) from None
    if len(output) > MAX_OUTPUT:
        raise _problem(part, N_("{part} makes a message too long (over {max} characters)"), max=MAX_OUTPUT)
    return output


def _subject_line(text: str) -> str:
    return " ".join(text.split())  # one line: a header never carries a line break


def html_paragraphs(escaped: str) -> str:
    """Escaped text to HTML: blank lines separate paragraphs, a line break stays a line break."""
    blocks = [block.strip("\n") for block in escaped.replace("\r\n", "\n").split("\n\n")]
    return "\n".join(
        f"<p>{block.replace(chr(10), '<br>' + chr(10))}</p>" for block in blocks if block.strip()
    )


def render(
    subject: str, body: str, context: Mapping[str, Any], language: str, *, html: bool = True
) -> Rendered:
    """A template's ``language`` wording rendered for one reader (``context`` from ``field_context``);
    ``html`` False leaves the HTML part out (a preview shows the text). Rendered on the budget."""
    try:
        return shared_budget().call(
            _render, subject, body, dict(context), language, html=html, part=f"body_{language}"
        )
    except OverBudget as exc:
        raise _problem(exc.field, exc.message, **exc.params) from None


def _render(subject: str, body: str, context: Mapping[str, Any], language: str, *, html: bool) -> Rendered:
    subject_part, body_part = f"subject_{language}", f"body_{language}"
    return Rendered(
        subject=_subject_line(render_part(subject, subject_part, context)),
        text=render_part(body, body_part, context).strip("\n") + "\n",
        html=html_paragraphs(render_part(body, body_part, context, html=True)) if html else "",
    )


def check_wording(
    wording: Mapping[str, str], contexts: Mapping[str, Mapping[str, Any]], languages: Iterable[str]
) -> list[TemplateProblem]:
    """Every problem of a template's wording (subject and body per language), on sample contexts,
    rendered on the budget: a template over it is refused, naming the part."""
    try:
        return shared_budget().call(
            _check_wording,
            dict(wording),
            {language: dict(context) for language, context in contexts.items()},
            list(languages),
        )
    except OverBudget as exc:
        return [_problem(exc.field or "body_fr", exc.message, **exc.params)]


def _check_wording(
    wording: Mapping[str, str], contexts: Mapping[str, Mapping[str, Any]], languages: Iterable[str]
) -> list[TemplateProblem]:
    problems: list[TemplateProblem] = []
    for language in languages:
        subject, body = wording[f"subject_{language}"], wording[f"body_{language}"]
        for part, source in ((f"subject_{language}", subject), (f"body_{language}", body)):
            if not source.strip():
                what = N_("{part}: the subject is empty") if part.startswith("subject") else None
                problems.append(_problem(part, what or N_("{part}: the body is empty")))
                continue
            try:
                rendered = render_part(source, part, contexts[language])
                render_part(source, part, contexts[language], html=True)
            except TemplateProblem as exc:
                problems.append(exc)
                continue
            if part.startswith("subject") and not _subject_line(rendered):
                problems.append(_problem(part, N_("{part}: the subject is empty")))
    return problems

"""Reading one ``.po`` file strictly: what would make a text wrong once it is sent.

Babel's parser forgives a lot (an unclosed quote silently loses a character), so
every line is checked first; then each translation that would be served must
keep its msgid's ``{placeholders}`` (and ``%s`` ones where flagged) and have the
number of plural forms the file's own ``Plural-Forms`` header gives (``locales.plurals``).
Any error refuses the whole file: a half-applied file is harder to reason about than
a file that waits for its fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from string import Formatter

from babel.messages.catalog import Catalog as PoCatalog
from babel.messages.catalog import Message, TranslationError
from babel.messages.checkers import python_format
from babel.messages.pofile import PoFileError, read_po

from locales.marks import N_
from locales.plurals import PluralRule, gettext_rule
from locales.problems import Problem, error

_KEYWORD = re.compile(r"(msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?)\s+(.*)")
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')


@dataclass
class PoFile:
    """A file read strictly: babel's catalog (None when unparseable), its problems, its msgstr lines."""

    path: Path
    po: PoCatalog | None
    problems: list[Problem] = field(default_factory=list)
    msgstr_lines: dict[int, list[int]] = field(default_factory=dict)  # msgid line -> each msgstr's line
    rule: PluralRule | None = None  # from the file's Plural-Forms header, else gettext's for the language
    has_plural_header: bool = False

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(problem for problem in self.problems if problem.is_error)

    def translation_line(self, message: Message, form: int = 0) -> int:
        """Where an admin fixes ``message``: its (``form``-th) msgstr line, else its msgid line."""
        lines = self.msgstr_lines.get(line_of(message), [])
        return lines[min(form, len(lines) - 1)] if lines else line_of(message)


def read_catalog(path: Path, language: str, *, data: bytes | None = None) -> PoFile:
    """Parse and check ``path`` (or its bytes ``data``, already read) as a catalog of ``language``."""
    try:
        data = path.read_bytes() if data is None else data
    except OSError as exc:
        reason = exc.strerror or str(exc)
        return PoFile(path, None, [error(path, 0, N_("cannot read this file: {reason}"), reason=reason)])
    try:
        text = data.decode("utf-8-sig")  # Windows editors may add a byte order mark
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return PoFile(
            path, None, [error(path, line, N_("this line is not UTF-8 text; save the file as UTF-8"))]
        )
    return _read_text(path, text, language)


def _read_text(path: Path, text: str, language: str) -> PoFile:
    problems, msgstr_lines = scan_lines(path, text)
    if problems:
        return PoFile(path, None, problems, msgstr_lines)
    header = plural_header(text)
    try:
        rule = PluralRule.parse(header[1]) if header else gettext_rule(language)
    except ValueError as exc:
        return PoFile(path, None, [error(path, header[0] if header else 1, _PLURAL_RULE, reason=str(exc))])
    try:
        po = read_po(text.splitlines(), locale=language, abort_invalid=True)
    except PoFileError as exc:
        problem = _syntax_problem(path, exc, msgstr_lines, rule)
        return PoFile(path, None, [problem], msgstr_lines)
    except ValueError as exc:
        return PoFile(path, None, [error(path, 1, _SYNTAX, reason=str(exc))], msgstr_lines)
    parsed = PoFile(path, po, [], msgstr_lines, rule, header is not None)
    parsed.problems = check_entries(parsed)
    return parsed


_PLURAL_FORMS_LINE = re.compile(r'^"Plural-Forms:\s*(.*?)(?:\\n)?"\s*$')


def plural_header(text: str) -> tuple[int, str] | None:
    """The line and value of the header entry's ``Plural-Forms``, None when it has none."""
    in_header = False
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if in_header and (not line or line.startswith(("#", "msgid", "msgctxt"))):
            return None  # the header is the first entry's msgstr: it ended without one
        in_header = in_header or line.startswith("msgstr")
        match = _PLURAL_FORMS_LINE.match(line) if in_header else None
        if match:
            return number, match.group(1)
    return None


_SYNTAX = N_("not valid .po syntax: {reason}")
_PLURAL_COUNT = N_("plural forms given: {found}; this language has {expected}")
_PLURAL_RULE = N_("the Plural-Forms header cannot be read: {reason}")


def _syntax_problem(
    path: Path, exc: PoFileError, msgstr_lines: dict[int, list[int]], rule: PluralRule
) -> Problem:
    line = exc.lineno + 1  # babel counts from 0 in this error, from 1 everywhere else
    if "more translations than num_plurals" in str(exc):  # babel names the msgid: point at the msgstrs
        forms = msgstr_lines.get(line, [line])
        return error(path, forms[-1], _PLURAL_COUNT, found=len(forms), expected=rule.count)
    return error(path, line, _SYNTAX, reason=_reason(exc))


def _reason(exc: PoFileError) -> str:
    return str(exc).rsplit(" on ", 1)[0]


def scan_lines(path: Path, text: str) -> tuple[list[Problem], dict[int, list[int]]]:
    """Every line is a comment, a keyword with a quoted string, or a quoted continuation.

    Also returns where each entry's msgstr lines are, keyed by the line of its msgid.
    """
    scanner = _LineScanner(path)
    for number, raw in enumerate(text.splitlines(), 1):
        scanner.line(number, raw.strip())
    return scanner.problems, scanner.msgstr_lines


class _LineScanner:
    """One pass over the lines: quoting, keywords, duplicate msgids, where the msgstrs are."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: list[Problem] = []
        self.msgstr_lines: dict[int, list[int]] = {}
        self._seen: dict[tuple[str, str], int] = {}
        self._context: list[str] = []
        self._msgid: list[str] | None = None
        self._msgid_line = 0
        self._collecting: list[str] | None = None  # the msgctxt or msgid whose continuation lines follow

    def line(self, number: int, line: str) -> None:
        if not line or line.startswith("#"):
            return
        match = _KEYWORD.fullmatch(line)
        if match:
            keyword, text = match.groups()
            self._keyword(number, keyword, text)
        elif line.startswith('"'):
            text = line
            if self._collecting is not None:
                self._collecting.append(text)
        else:
            self.problems.append(error(self.path, number, _NOT_PO))
            return
        if not _QUOTED.fullmatch(text.strip()):
            self.problems.append(error(self.path, number, _QUOTES))

    def _keyword(self, number: int, keyword: str, text: str) -> None:
        if keyword == "msgctxt":
            self._context = [text]
            self._collecting = self._context
        elif keyword == "msgid":
            self._msgid, self._msgid_line = [text], number
            self._collecting = self._msgid
        else:
            if keyword.startswith("msgstr"):
                self.msgstr_lines.setdefault(self._msgid_line, []).append(number)
            if self._msgid is not None:
                self._entry_done()
            self._collecting = None

    def _entry_done(self) -> None:
        assert self._msgid is not None
        key = ("".join(self._context), "".join(self._msgid))
        if key[1] != '""' and key in self._seen:
            self.problems.append(error(self.path, self._msgid_line, _DUPLICATE, first=self._seen[key]))
        self._seen.setdefault(key, self._msgid_line)
        self._msgid, self._context = None, []


_NOT_PO = N_("a keyword (msgid, msgstr) or a quoted text was expected")
_DUPLICATE = N_("this text is already in the file, at line {first}; keep only one")
_QUOTES = N_('the text must be between double quotes, and a quote inside it written \\"')


def message_ids(message: Message) -> tuple[str, ...]:
    """``(msgid,)`` or ``(msgid, msgid_plural)``."""
    return (message.id,) if isinstance(message.id, str) else tuple(message.id)


def message_forms(message: Message) -> tuple[str, ...]:
    """The translation: one text, or one per plural form ("" where missing)."""
    string = message.string
    if isinstance(string, str):
        return (string,)
    return tuple(form or "" for form in string or ())


def line_of(message: Message) -> int:
    return message.lineno or 0


def placeholders(text: str) -> set[str]:
    """``"{amount} due {date:%Y}"`` -> ``{"{amount}", "{date}"}``; raises ValueError on bad braces."""
    return {f"{{{name}}}" for _, name, _, _ in Formatter().parse(text) if name is not None}


def check_entries(parsed: PoFile) -> list[Problem]:
    """Placeholders and plural forms of every translation that would be served."""
    path, po, rule = parsed.path, parsed.po, parsed.rule
    assert po is not None and rule is not None
    expected = rule.count
    problems: list[Problem] = []
    for message in po:
        if not message.id or message.fuzzy:
            continue
        forms = message_forms(message)
        if not any(forms):
            continue
        if message.pluralizable:
            given = sum(1 for form in forms if form)
            if given != expected:
                problems.append(
                    error(
                        path,
                        parsed.translation_line(message),
                        _PLURAL_COUNT,
                        found=given,
                        expected=expected,
                    )
                )
        problems.extend(_placeholder_problems(parsed, message, forms))
    return problems


def _placeholder_problems(parsed: PoFile, message: Message, forms: tuple[str, ...]) -> list[Problem]:
    path = parsed.path
    if any(is_template_text(msgid) for msgid in message_ids(message)):
        return _template_problems(parsed, message, forms)
    try:
        wanted = set().union(*(placeholders(msgid) for msgid in message_ids(message)))
    except ValueError:
        return []  # the msgid itself is not a format string: nothing to compare with
    problems: list[Problem] = []
    for index, form in enumerate(forms):
        if not form:
            continue
        line = parsed.translation_line(message, index)
        try:
            found = placeholders(form)
        except ValueError as exc:
            problems.append(error(path, line, N_("unbalanced braces: {reason}"), reason=str(exc)))
            continue
        # a plural form may leave out the count ("one invoice"), never anything else
        optional = {"{n}"} if message.pluralizable else set()
        for name in sorted(wanted - found - optional):
            problems.append(error(path, line, _MISSING, placeholder=name))
        for name in sorted(found - wanted - optional):
            problems.append(error(path, line, _ADDED, placeholder=name))
    try:
        python_format(None, message)
    except TranslationError as exc:
        line = parsed.translation_line(message)
        problems.append(error(path, line, N_("%-placeholders differ: {reason}"), reason=str(exc)))
    return problems


_JINJA_FIELD = re.compile(r"\{\{\s*(.*?)\s*\}\}", re.DOTALL)
_JINJA_TAG = re.compile(r"\{%-?\s*(.*?)\s*-?%\}", re.DOTALL)


def is_template_text(text: str) -> bool:
    """An email template's wording (Jinja ``{{ field }}`` and ``{% if %}``), not a format string."""
    return "{{" in text or "{%" in text


def template_fields(text: str) -> set[str]:
    """``"Hello {{ name }}"`` -> ``{"{{ name }}"}``: the fields a template's wording shows."""
    return {"{{ " + " ".join(field.split()) + " }}" for field in _JINJA_FIELD.findall(text)}


def template_tags(text: str) -> list[str]:
    """The ``{% ... %}`` tags in order, whitespace normalized: the wording's structure."""
    return ["{% " + " ".join(tag.split()) + " %}" for tag in _JINJA_TAG.findall(text)]


def _template_problems(parsed: PoFile, message: Message, forms: tuple[str, ...]) -> list[Problem]:
    """A template's translation keeps the original's fields and its ``{% %}`` tags in the same order;
    a stray brace (``{{ amount_due }``) shows as a field missing."""
    original = message_ids(message)[0]
    wanted, structure = template_fields(original), template_tags(original)
    problems: list[Problem] = []
    for index, form in enumerate(forms):
        if not form:
            continue
        line = parsed.translation_line(message, index)
        found = template_fields(form)
        for name in sorted(wanted - found):
            problems.append(error(parsed.path, line, _MISSING, placeholder=name))
        for name in sorted(found - wanted):
            problems.append(error(parsed.path, line, _ADDED, placeholder=name))
        if template_tags(form) != structure:
            problems.append(error(parsed.path, line, _TAGS, tags=" ".join(structure)))
    return problems


_TAGS = N_("the translation must keep the original text's tags, in this order: {tags}")
_MISSING = N_("the translation lacks the placeholder {placeholder} of the original text")
_ADDED = N_("the translation has a placeholder {placeholder} that the original text does not (misspelled?)")

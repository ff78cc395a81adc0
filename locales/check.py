"""``facteur locales check``: every problem of catalog files, as ``Problem`` records.

Errors (exit non-zero): what refuses a file at load (syntax, placeholders, a plural
count other than the file's own ``Plural-Forms`` header gives, duplicates) and, in
the shipped catalogs, a missing or fuzzy translation or a msgid of ``facteur.pot``
absent from the catalog. Warnings (exit 0): in an
override catalog a fuzzy entry (ignored until its flag is removed: the shipped
text serves), and in any catalog a msgid Facteur does not use (misspelled or
removed), and a ``Plural-Forms`` header that is neither GNU gettext's rule for the
language nor as many forms as Babel's CLDR table gives (the header still decides).
Override catalogs may hold only the entries a clinic changes, so an
entry missing there is not a problem.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from babel.messages.catalog import Message
from babel.messages.pofile import PoFileError, read_po

from locales.catalogs import DOMAIN, LANGUAGES, SHIPPED_DIR
from locales.marks import N_
from locales.plurals import cldr_count, gettext_rule
from locales.pofile import PoFile, line_of, message_forms, message_ids, read_catalog
from locales.problems import Problem, Severity, error, warning

_HEADER_LANGUAGE = re.compile(r'^"Language: *([A-Za-z_-]+)\\n"', re.MULTILINE)


@dataclass
class CheckReport:
    """The files checked and what was found in them."""

    files: list[Path] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return sum(1 for problem in self.problems if problem.is_error)

    @property
    def warnings(self) -> int:
        return len(self.problems) - self.errors


def default_paths(override_dir: Path | None, shipped_dir: Path = SHIPPED_DIR) -> list[Path]:
    """What ``facteur locales check`` checks without arguments: shipped, then the override folder."""
    return [shipped_dir, *([override_dir] if override_dir else [])]


_LINK = N_("this catalog file is a symbolic link: put the file itself in the folder")


def check_paths(paths: Iterable[Path], shipped_dir: Path = SHIPPED_DIR) -> CheckReport:
    """Check each ``.po`` file named, or found under each folder named."""
    report = CheckReport()
    template = _template_ids(shipped_dir / f"{DOMAIN}.pot")
    shipped = shipped_dir.resolve()
    for path in paths:
        if path.is_dir():
            found = sorted(path.rglob("*.po"))
            if not found:
                report.problems.append(error(path, 0, N_("no .po catalog in this folder")))
            report.files.extend(found)
        elif path.is_file():
            report.files.append(path)
        else:
            report.problems.append(error(path, 0, N_("no such file or folder")))
    for path in report.files:
        if path.is_symlink():  # as the registry, which never reads a linked catalog
            report.problems.append(error(path, 0, _LINK))
            continue
        report.problems.extend(check_file(path, template, strict=path.resolve().is_relative_to(shipped)))
    return report


def check_file(path: Path, template: dict[str, int] | None = None, *, strict: bool = False) -> list[Problem]:
    """Problems of one file; ``strict`` for a shipped catalog, which must translate everything."""
    language = language_of(path)
    if language is None:
        return [error(path, 0, _NO_LANGUAGE)]
    if language not in LANGUAGES:
        return [
            warning(
                path,
                0,
                N_("Facteur does not use the language {language}; this file is ignored"),
                language=language,
            )
        ]
    parsed = read_catalog(path, language)
    po, problems = parsed.po, list(parsed.problems)
    if po is None:
        return problems
    problems.extend(_plural_rule_notes(parsed, language))
    severity = Severity.ERROR if strict else Severity.WARNING
    present: set[str] = set()
    for message in po:
        if not message.id:
            continue
        present.add(_key(message))
        forms, line = message_forms(message), line_of(message)
        if message.fuzzy:
            problems.append(Problem(path, line, severity, _FUZZY, {"msgid": _short(message)}))
        elif strict and not any(forms):
            problems.append(
                error(
                    path,
                    parsed.translation_line(message),
                    N_("no translation for “{msgid}”"),
                    msgid=_short(message),
                )
            )
        if template is not None and _key(message) not in template:
            problems.append(warning(path, line, _UNUSED, msgid=_short(message)))
    if strict and template is not None:
        for msgid in sorted(set(template) - present, key=template.__getitem__):
            problems.append(error(path, 0, _NOT_IN_CATALOG, msgid=_shorten(msgid)))
    return sorted(problems, key=lambda problem: problem.line)


def _plural_rule_notes(parsed: PoFile, language: str) -> list[Problem]:
    """A warning where the file's plural rule is unusual: it serves as written all the same."""
    rule = parsed.rule
    if rule is None or not parsed.has_plural_header or rule == gettext_rule(language):
        return []
    cldr = cldr_count(language)
    if rule.count == cldr:
        return []
    return [
        warning(
            parsed.path, 1, _PLURAL_UNUSUAL, found=rule.count, gettext=gettext_rule(language).count, cldr=cldr
        )
    ]


_PLURAL_UNUSUAL = N_(
    "the Plural-Forms header gives {found} plural forms, where GNU gettext gives this language "
    "{gettext} and Unicode CLDR {cldr}; the header is used as written"
)
_NO_LANGUAGE = N_(
    "cannot tell the language: put the file in <language>/LC_MESSAGES/ or set its Language header"
)
_FUZZY = N_("“{msgid}” is marked fuzzy, so it is not used; remove the fuzzy flag once the text is right")
_UNUSED = N_("“{msgid}” is not a text Facteur uses (misspelled, or removed); this entry has no effect")
_NOT_IN_CATALOG = N_("“{msgid}” is missing from this catalog; run make locales-update and translate it")


def language_of(path: Path) -> str | None:
    """``fr`` for ``.../fr/LC_MESSAGES/x.po``, else the file's ``Language`` header."""
    if path.parent.name == "LC_MESSAGES":
        return path.parent.parent.name
    try:
        match = _HEADER_LANGUAGE.search(path.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return None
    return match.group(1).replace("-", "_").split("_")[0].lower() if match else None


def _template_ids(pot: Path) -> dict[str, int] | None:
    """``msgid -> line`` of the template, None when there is no template to compare with."""
    try:
        with pot.open("rb") as handle:
            catalog = read_po(handle, abort_invalid=True)
    except (OSError, ValueError, PoFileError):
        return None
    return {_key(message): line_of(message) for message in catalog if message.id}


def _key(message: Message) -> str:
    return message_ids(message)[0]


def _short(message: Message) -> str:
    return _shorten(_key(message))


def _shorten(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"

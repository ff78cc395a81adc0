"""Both shipped catalogs translate every msgid in the code, with the msgid's placeholders."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.pofile import read_po

from locales import LANGUAGES, SHIPPED_DIR, Registry, po_path
from locales.check import check_paths
from locales.pofile import message_forms, message_ids, placeholders

ROOT = Path(__file__).resolve().parents[2]


@cache
def code_msgids() -> dict[str, str]:
    """``msgid -> where`` for every msgid the code marks, extracted as ``make locales-extract`` does."""
    keywords_option = re.search(r"--keywords '([^']+)'", (ROOT / "Makefile").read_text(encoding="utf-8"))
    assert keywords_option, "the Makefile's locales-extract target names its --keywords"
    keywords = {**DEFAULT_KEYWORDS, **parse_keywords(keywords_option.group(1).split())}
    with (ROOT / "babel.cfg").open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    found: dict[str, str] = {}
    for filename, lineno, message, _, _ in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=keywords
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            found.setdefault(msgid, f"{filename}:{lineno}")
    return found


def test_the_code_has_msgids() -> None:
    assert "Balance" in code_msgids()


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_msgid_has_a_checked_translation(language: str) -> None:
    with po_path(language).open("rb") as handle:
        catalog = read_po(handle, locale=language)
    entries = {message_ids(message)[0]: message for message in catalog if message.id}
    problems = []
    for msgid, where in sorted(code_msgids().items()):
        message = entries.get(msgid)
        forms = message_forms(message) if message else ()
        if message is None or message.fuzzy or not forms or not all(forms):
            problems.append(f"{where}: {msgid!r} has no {language} translation (make locales-update)")
            continue
        wanted = set().union(*(placeholders(text) for text in message_ids(message)))
        for form in forms:
            if placeholders(form) - {"{n}"} != wanted - {"{n}"}:
                problems.append(f"{where}: {msgid!r}: the {language} text {form!r} changes the placeholders")
    assert not problems, "\n".join(problems)


def test_the_shipped_catalogs_pass_the_check() -> None:
    report = check_paths([SHIPPED_DIR])
    tr = Registry().translator("en")
    assert report.errors == 0, "\n".join(problem.render(tr) for problem in report.problems)

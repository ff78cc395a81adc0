"""``locales.check`` and ``facteur locales check``: problems as ``file:line: problem``, the exit code."""

from __future__ import annotations

import argparse
import io
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from cli.locales_cmd import register, run_check
from locales import Registry, Translator, po_path
from locales.check import check_paths
from models.core.config import Config, LocalesSettings

from .conftest import line_of, write_po

TEMPLATE = """msgid ""
msgstr ""

msgid "Hello"
msgstr ""

msgid "Balance: {amount}"
msgstr ""

msgid "Reminder: invoice {number} is due on {date}"
msgstr ""

msgid "{n} invoice"
msgid_plural "{n} invoices"
msgstr[0] ""
msgstr[1] ""

msgid "Only in French"
msgstr ""

msgid "Hello {{ name }},\\n{% if link %}Pay: {{ link }}\\n{% endif %}Due: {{ amount_due }}"
msgstr ""
"""


@pytest.fixture
def english() -> Translator:
    return Registry().translator("en")


@pytest.fixture
def with_template(shipped: Path) -> Path:
    (shipped / "facteur.pot").write_text(TEMPLATE, encoding="utf-8")
    return shipped


def test_the_shipped_pair_is_clean_but_for_the_missing_english_entry(with_template: Path) -> None:
    report = check_paths([with_template], shipped_dir=with_template)
    assert len(report.files) == 2
    (problem,) = report.problems
    assert problem.path == po_path("en", with_template) and problem.is_error
    assert (
        problem.message == "“{msgid}” is missing from this catalog; run make locales-update and translate it"
    )


def test_shipped_catalogs_need_every_translation(with_template: Path, english: Translator) -> None:
    path = write_po(
        with_template, "fr", '\nmsgid "Hello"\nmsgstr ""\n\n#, fuzzy\nmsgid "Only in French"\nmsgstr "Ici"\n'
    )
    report = check_paths([path], shipped_dir=with_template)
    lines = [problem.render(english) for problem in report.problems]
    empty = line_of(path, 'msgid "Hello"') + 1
    assert f"{path}:{empty}: error: no translation for “Hello”" in lines
    fuzzy_line = line_of(path, "#, fuzzy") + 1
    assert any(
        line.startswith(f"{path}:{fuzzy_line}: error: “Only in French” is marked fuzzy") for line in lines
    )
    assert report.errors == len(lines)  # plus the msgids of the template the file lacks


def test_override_catalogs_may_be_partial_and_fuzzy_is_a_warning(
    with_template: Path, override: Path, english: Translator
) -> None:
    path = write_po(
        override, "fr", '\n#, fuzzy\nmsgid "Hello"\nmsgstr "Allô"\n\nmsgid "Helo"\nmsgstr "Allô"\n'
    )
    report = check_paths([override], shipped_dir=with_template)
    assert report.errors == 0
    rendered = [problem.render(english) for problem in report.problems]
    hello, helo = line_of(path, 'msgid "Hello"'), line_of(path, 'msgid "Helo"')
    assert rendered == [
        f"{path}:{hello}: warning: “Hello” is marked fuzzy, so it is not used; "
        "remove the fuzzy flag once the text is right",
        f"{path}:{helo}: warning: “Helo” is not a text Facteur uses (misspelled, "
        "or removed); this entry has no effect",
    ]


def test_errors_that_refuse_a_file_are_errors_of_the_check(override: Path, english: Translator) -> None:
    path = write_po(override, "en", '\nmsgid "Balance: {amount}"\nmsgstr "Balance: {amont}"\n')
    report = check_paths([path])
    assert report.errors == 2
    assert [problem.line for problem in report.problems] == [line_of(path, "{amont}")] * 2


def test_missing_paths_and_unknown_languages(tmp_path: Path) -> None:
    stray = tmp_path / "stray.po"
    stray.write_text('msgid ""\nmsgstr ""\n"Language: de\\n"\n', encoding="utf-8")
    report = check_paths([tmp_path / "nowhere", stray, tmp_path / "empty"])
    assert [(problem.path.name, problem.severity.value) for problem in report.problems] == [
        ("nowhere", "error"),
        ("empty", "error"),
        ("stray.po", "warning"),
    ]


@dataclass
class FakeContext:
    """What ``run_check`` reads of ``cli.context.Context``."""

    tr: Translator
    config: Config = field(default_factory=Config)
    out: io.StringIO = field(default_factory=io.StringIO)
    err: io.StringIO = field(default_factory=io.StringIO)
    door: str | None = None


def parse(tr: Translator, argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="facteur")
    register(parser.add_subparsers(dest="command"), tr)
    return parser.parse_args(argv)


def test_the_cli_prints_file_line_problem_and_fails_on_errors(override: Path, english: Translator) -> None:
    path = write_po(override, "fr", '\nmsgid "Balance: {amount}"\nmsgstr "Solde : {montant}"\n')
    ctx = FakeContext(english)
    args = parse(english, ["locales", "check", str(path)])
    assert args.handler(args, ctx) == 1
    output = ctx.out.getvalue().splitlines()
    line = line_of(path, "{montant}")
    assert output == [
        f"{path}:{line}: error: the translation lacks the placeholder {{amount}} of the original text",
        f"{path}:{line}: error: the translation has a placeholder {{montant}} that the original text "
        "does not (misspelled?)",
        "errors: 2, warnings: 0",
    ]


def test_the_cli_speaks_the_readers_language(override: Path) -> None:
    path = write_po(override, "fr", '\nmsgid "Balance: {amount}"\nmsgstr "Solde : {montant}"\n')
    ctx = FakeContext(Registry().translator("fr"))
    assert run_check(argparse.Namespace(paths=[path]), ctx) == 1  # type: ignore[arg-type]
    assert f"{path}:{line_of(path, '{montant}')}: erreur : il manque" in ctx.out.getvalue()


def test_the_cli_checks_shipped_and_configured_override_by_default(
    override: Path, english: Translator
) -> None:
    write_po(override, "en", '\nmsgid "Balance"\nmsgstr "Amount left"\n')
    config = Config(locales=LocalesSettings(override_dir=str(override)))
    ctx = FakeContext(english, config)
    assert run_check(parse(english, ["locales", "check"]), ctx) == 0  # type: ignore[arg-type]
    assert ctx.out.getvalue() == "3 catalogs checked, no problem found\n"


def test_facteur_locales_check_end_to_end(
    tmp_path: Path, override: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cli import main

    monkeypatch.setenv("FACTEUR_LANG", "en")
    monkeypatch.delenv("FACTEUR_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "facteur.toml").write_text('[locales]\noverride_dir = "override"\n', encoding="utf-8")
    path = write_po(override, "en", '\nmsgid "Balance"\nmsgstr "Balance {due}"\n')
    out, err = io.StringIO(), io.StringIO()
    assert main(["locales", "check"], out, err) == 1
    line = line_of(path, "{due}")
    assert out.getvalue().splitlines() == [
        f"{path}:{line}: error: the translation has a placeholder {{due}} that the original text does not "
        "(misspelled?)",
        "errors: 1, warnings: 0",
    ]
    path.write_text(path.read_text(encoding="utf-8").replace(" {due}", ""), encoding="utf-8")
    out = io.StringIO()
    assert main(["locales", "check", str(path)], out, err) == 0
    assert out.getvalue() == "1 catalog checked, no problem found\n"
    assert err.getvalue() == ""

"""Broken edits never take effect: the last good catalog keeps serving, the error names file and line."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from locales import Registry, ReloadEvent, po_path

from .conftest import SHIPPED, line_of, po_text, write_po

GOOD_EDIT = SHIPPED["fr"].replace('"Bonjour"', '"Bonjour à vous"')

BROKEN_EDITS = {
    "unclosed quote": (GOOD_EDIT.replace('"Solde : {amount}"', '"Solde : {amount}'), "Solde : {amount}"),
    "unknown keyword": (GOOD_EDIT.replace('msgstr "Solde', 'msgstrr "Solde'), "msgstrr"),
    "placeholder renamed": (GOOD_EDIT.replace("Solde : {amount}", "Solde : {montant}"), "Solde : {montant}"),
    "placeholder dropped": (
        GOOD_EDIT.replace("la facture {number}", "la facture"),
        "Rappel : la facture est",
    ),
    "one plural form": (GOOD_EDIT.replace('msgstr[1] "{n} factures"\n', ""), 'msgstr[0] "{n} facture"'),
    "three plural forms": (
        GOOD_EDIT.replace('msgstr[1] "{n} factures"', 'msgstr[1] "a"\nmsgstr[2] "b"'),
        "msgstr[2]",
    ),
    "template field renamed": (
        GOOD_EDIT.replace("Dû : {{ amount_due }}", "Dû : {{ montant }}"),
        "Dû : {{ montant }}",
    ),
    "template brace lost": (GOOD_EDIT.replace("Dû : {{ amount_due }}", "Dû : {{ amount_due }"), "Dû :"),
    "template tag dropped": (GOOD_EDIT.replace("\\n{% endif %}Dû", "\\nDû"), "Payer :"),
    "duplicate entry": (GOOD_EDIT + '\n#: again\nmsgid "Hello"\nmsgstr "Salut"\n', "#: again"),
}


@pytest.fixture
def fr_override(registry: Registry, override: Path) -> Path:
    """A good override of the French catalog, already serving."""
    path = write_po(override, "fr", GOOD_EDIT)
    registry.refresh()
    assert registry.translator("fr").gettext("Hello") == "Bonjour à vous"
    return path


@pytest.mark.parametrize("name", sorted(BROKEN_EDITS))
def test_a_broken_edit_keeps_the_last_good_catalog(
    name: str, registry: Registry, fr_override: Path, caplog: pytest.LogCaptureFixture
) -> None:
    body, needle = BROKEN_EDITS[name]
    heard: list[ReloadEvent] = []
    registry.add_listener(heard.append)
    fr_override.write_text(po_text("fr", body.replace("Bonjour à vous", "Bonjour cassé")), encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="facteur.locales"):
        events = registry.refresh()
    tr = registry.translator("fr")
    assert tr.gettext("Hello") == "Bonjour à vous"  # nothing of the broken file is served
    assert tr.format("Balance: {amount}", amount="5 $") == "Solde : 5 $"
    assert [event.applied for event in events] == [False]
    assert heard == events
    problem = events[0].problems[0]
    expected_line = line_of(fr_override, needle) + (1 if name == "duplicate entry" else 0)
    assert (problem.path, problem.line) == (fr_override, expected_line)
    assert f"{fr_override}:{expected_line}: " in caplog.text
    assert any(
        record.levelno == logging.ERROR and record.name == "facteur.locales" for record in caplog.records
    )


def test_a_placeholder_mismatch_is_named(registry: Registry, fr_override: Path) -> None:
    fr_override.write_text(
        po_text("fr", GOOD_EDIT.replace("Solde : {amount}", "Solde : {montant}")), encoding="utf-8"
    )
    (event,) = registry.refresh()
    texts = [problem.text(registry.translator("en")) for problem in event.problems]
    assert "the translation lacks the placeholder {amount} of the original text" in texts
    assert any("{montant}" in text for text in texts)
    # the French reader gets the same problems in French
    assert "il manque à la traduction le champ {amount}" in event.problems[0].text(
        Registry().translator("fr")
    )


def test_a_template_translation_keeps_its_fields_and_tags(registry: Registry, fr_override: Path) -> None:
    swapped = GOOD_EDIT.replace(
        "{% if link %}Payer : {{ link }}\\n{% endif %}", "{% endif %}Payer\\n{% if link %}"
    )
    fr_override.write_text(po_text("fr", swapped), encoding="utf-8")
    (event,) = registry.refresh()
    english = registry.translator("en")
    texts = [problem.text(english) for problem in event.problems]
    assert texts == [
        "the translation lacks the placeholder {{ link }} of the original text",
        "the translation must keep the original text's tags, in this order: {% if link %} {% endif %}",
    ]
    reworded = GOOD_EDIT.replace("Dû : {{ amount_due }}", "Montant à payer : {{amount_due}}")
    fr_override.write_text(po_text("fr", reworded), encoding="utf-8")
    (event,) = registry.refresh()
    assert event.applied  # the words around the fields are the admin's to change, spacing too


def test_the_fix_is_picked_up_after_a_broken_edit(registry: Registry, fr_override: Path) -> None:
    fr_override.write_text(po_text("fr", 'msgid "Hello"\nmsgstr "Bonjour {oops}"\n'), encoding="utf-8")
    registry.refresh()
    fr_override.write_text(po_text("fr", 'msgid "Hello"\nmsgstr "Bonjour, corrigé"\n'), encoding="utf-8")
    (event,) = registry.refresh()
    assert event.applied
    assert registry.translator("fr").gettext("Hello") == "Bonjour, corrigé"


def test_a_broken_shipped_catalog_at_startup_falls_back_along_the_chain(registry: Registry) -> None:
    path = po_path("en", registry.shipped_dir)
    path.write_text(po_text("en", 'msgid "Hello"\nmsgstr "Hi {name}"\n'), encoding="utf-8")
    events = [event for event in registry.refresh() if not event.applied]
    assert [(event.path, event.kept) for event in events] == [(path, False)]
    assert registry.translator("en").gettext("Hello") == "Bonjour"


def test_a_fuzzy_entry_is_not_served(registry: Registry, override: Path) -> None:
    write_po(override, "fr", '\n#, fuzzy\nmsgid "Hello"\nmsgstr "Bonjour peut-être"\n')
    registry.refresh()
    assert registry.translator("fr").gettext("Hello") == "Bonjour"


def test_a_failing_listener_does_not_stop_the_others(registry: Registry, fr_override: Path) -> None:
    heard: list[ReloadEvent] = []

    def broken(event: ReloadEvent) -> None:
        raise RuntimeError("listener bug")

    registry.add_listener(broken)
    remove = registry.add_listener(heard.append)
    fr_override.write_text(po_text("fr", GOOD_EDIT.replace("à vous", "à tous")), encoding="utf-8")
    registry.refresh()
    assert len(heard) == 1
    remove()
    fr_override.write_text(po_text("fr", GOOD_EDIT), encoding="utf-8")
    registry.refresh()
    assert len(heard) == 1


def test_a_refusal_is_said_once_until_the_file_changes(
    shipped: Path, override: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = write_po(override, "fr", '\nmsgid "Hello"\nmsgstr "Allô {name}"\n')
    registry = Registry(shipped, None)
    heard: list[ReloadEvent] = []
    registry.add_listener(heard.append)
    with caplog.at_level(logging.INFO, logger="facteur.locales"):
        registry.configure(override, shipped_dir=shipped)
        registry.configure(override, shipped_dir=shipped)  # the CLI, then the TUI it starts
        registry.refresh(force=[path])  # a watcher's wake-up on an unchanged file
        registry.configure(None, shipped_dir=shipped)
        registry.configure(override, shipped_dir=shipped)  # the same folders again, later
    errors = [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]
    assert len(errors) == 2 and "{name}" in errors[0] and "not loaded" in errors[1]
    assert [event.path for event in heard if not event.applied] == [path]
    assert [event.path for event in registry.refusals()] == [path]
    caplog.clear()
    path.write_text(path.read_text(encoding="utf-8") + "\n", encoding="utf-8")  # edited, still wrong
    registry.refresh()
    assert len([record for record in caplog.records if record.levelno >= logging.ERROR]) == 2
    write_po(override, "fr", '\nmsgid "Hello"\nmsgstr "Allô"\n')
    registry.refresh()
    assert registry.refusals() == [] and registry.translator("fr").gettext("Hello") == "Allô"


def test_a_quiet_configure_reports_nothing(
    shipped: Path, override: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write_po(override, "fr", '\nmsgid "Hello"\nmsgstr "Allô {name}"\n')
    with caplog.at_level(logging.INFO, logger="facteur.locales"):
        Registry(shipped, None).configure(override, shipped_dir=shipped, quiet=True)
    assert caplog.records == []


def test_a_linked_catalog_is_refused_and_the_last_good_one_serves(
    registry: Registry, fr_override: Path, tmp_path: Path
) -> None:
    """The override folder is the admins' to write and Facteur reads it as the data's owner: a link
    there to another file (the owner's settings, say) is never read."""
    elsewhere = tmp_path / "elsewhere.po"
    elsewhere.write_text(po_text("fr", GOOD_EDIT.replace("Bonjour à vous", "Bonjour lié")), encoding="utf-8")
    fr_override.unlink()
    fr_override.symlink_to(elsewhere)
    (event,) = registry.refresh()
    assert not event.applied and "symbolic link" in event.problems[0].text(registry.translator("en"))
    assert registry.translator("fr").gettext("Hello") == "Bonjour à vous"

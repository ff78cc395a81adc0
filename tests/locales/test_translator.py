"""The loader: French by default, English, the fallback chain, the override layer."""

from __future__ import annotations

from pathlib import Path

import locales
from locales import L_, N_, Registry, po_path, translator

from .conftest import po_text, write_po


def test_french_is_the_default(registry: Registry) -> None:
    assert registry.translator().gettext("Hello") == "Bonjour"
    assert registry.translator(None).language == "fr"


def test_english(registry: Registry) -> None:
    tr = registry.translator("en")
    assert tr.gettext("Hello") == "Hi"
    assert tr.format("Balance: {amount}", amount="$12.50") == "Balance due: $12.50"


def test_language_codes_are_normalized(registry: Registry) -> None:
    assert registry.translator("en_CA.UTF-8").gettext("Hello") == "Hi"
    assert registry.translator("EN-ca").language == "en"


def test_fallback_recipient_then_clinic_default_then_french(registry: Registry) -> None:
    # a language Facteur does not speak falls back to the clinic's, then to French
    assert registry.translator("de", default="en").gettext("Hello") == "Hi"
    assert registry.translator("de").gettext("Hello") == "Bonjour"
    assert registry.translator(None, default="en").languages == ("en", "fr")
    # a msgid the English catalog lacks comes from the next catalog in the chain
    assert registry.translator("en").gettext("Only in French") == "Seulement en français"
    # a msgid no catalog has is shown as is (English source text)
    assert registry.translator("en").gettext("Not translated anywhere") == "Not translated anywhere"


def test_plural_forms_follow_the_language(registry: Registry) -> None:
    fr, en = registry.translator("fr"), registry.translator("en")
    assert fr.nformat("{n} invoice", "{n} invoices", 0) == "0 facture"  # French: n > 1 is plural
    assert fr.nformat("{n} invoice", "{n} invoices", 2) == "2 factures"
    assert en.nformat("{n} invoice", "{n} invoices", 0) == "0 invoices"
    assert en.nformat("{n} invoice", "{n} invoices", 1) == "1 invoice"


def test_lazy_placeholder_values_are_translated_by_the_reader(registry: Registry) -> None:
    assert registry.translator("fr").format(N_("Balance: {amount}"), amount=L_("Hello")) == "Solde : Bonjour"


def test_override_wins_and_missing_entries_come_from_shipped(registry: Registry, override: Path) -> None:
    write_po(override, "fr", '\nmsgid "Hello"\nmsgstr "Allô"\n')
    registry.refresh()
    tr = registry.translator("fr")
    assert tr.gettext("Hello") == "Allô"
    assert tr.format("Balance: {amount}", amount="5 $") == "Solde : 5 $"
    assert registry.translator("en").gettext("Hello") == "Hi"  # the English catalog is untouched


def test_removing_the_override_file_restores_the_shipped_text(registry: Registry, override: Path) -> None:
    path = write_po(override, "fr", '\nmsgid "Hello"\nmsgstr "Allô"\n')
    registry.refresh()
    path.unlink()
    registry.refresh()
    assert registry.translator("fr").gettext("Hello") == "Bonjour"


def test_a_translator_obtained_before_a_reload_reads_the_new_text(registry: Registry, override: Path) -> None:
    tr = registry.translator("fr")
    assert tr.gettext("Hello") == "Bonjour"
    write_po(override, "fr", '\nmsgid "Hello"\nmsgstr "Salut"\n')
    registry.refresh()
    assert tr.gettext("Hello") == "Salut"


def test_configure_sets_the_process_catalogs(shipped: Path, override: Path, global_catalogs: None) -> None:
    write_po(override, "en", '\nmsgid "Hello"\nmsgstr "Hello there"\n')
    before = translator("en")
    events = locales.configure(override, shipped_dir=shipped)
    assert all(event.applied for event in events)
    assert before.gettext("Hello") == "Hello there"
    assert translator("fr").gettext("Hello") == "Bonjour"


def test_the_shipped_catalogs_load_without_configuration() -> None:
    tr = Registry().translator("fr")
    assert tr.gettext("Balance") == "Solde"
    assert Registry().translator("en").gettext("Balance") == "Balance"


def test_a_file_saved_by_a_windows_editor_loads(registry: Registry, override: Path) -> None:
    path = po_path("fr", override)
    path.parent.mkdir(parents=True)
    text = po_text("fr", '\nmsgid "Hello"\nmsgstr "Allô"\n').replace("\n", "\r\n")
    path.write_bytes("\ufeff".encode() + text.encode("utf-8"))
    (event,) = [event for event in registry.refresh() if event.path == path]
    assert event.applied, event.problems
    assert registry.translator("fr").gettext("Hello") == "Allô"

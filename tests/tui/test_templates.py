"""The Templates screen and the template editor through Pilot: activation (with the every-invoice
warning, and the question before a second invoice email), read-only for non-admins, live preview,
insert field, refused saves marked on their line, the attach hint by secure link, create,
duplicate, delete, restore the shipped wording, a text message's template with its live SMS counter;
snapshots at 80x24 and 120x40."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Checkbox, DataTable, Input, OptionList, Select, TabbedContent, TextArea

from locales import configure
from models.billing.invoicing import LineInput, create_draft
from models.core.config import LocalesSettings
from models.messaging.system_templates import FIRST_REMINDER, INVOICE_EMAIL
from models.messaging.tables import Template
from models.people.clinic import Clinic, Staff
from models.people.patient import Patient
from models.workflow.lifecycle import bill
from tests.catalog_helpers import write_override
from tui.dialogs.confirm import ConfirmDialog
from tui.dialogs.field_picker import FieldPicker
from tui.screens.template_editor import TemplateEditorScreen
from tui.screens.templates import TemplatesScreen
from tui.widgets.template_preview import TemplatePreview

from .conftest import FROZEN_NOW, Clinic_, snapshot_cases
from .invoices.conftest import messages, settle, until


def shipped(key: str) -> Template:
    return Template.get(Template.system_key == key)


@pytest.fixture
def billed(clinic: Clinic_) -> None:
    """One billed invoice: the editor previews on it."""
    patient = Patient.create(last_name="Bélanger", first_name="Élise", email="elise@example.org")
    draft = create_draft(
        patient=patient, billing_company=clinic.company, lines=[LineInput("Consultation", Decimal(1), 8500)]
    )
    bill(draft, now=FROZEN_NOW)


async def open_templates(pilot: Pilot[object]) -> TemplatesScreen:
    await settle(pilot)
    await pilot.press("f7")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, TemplatesScreen)
    return screen


async def open_editor(pilot: Pilot[object], row: int) -> TemplateEditorScreen:
    screen = await open_templates(pilot)
    screen.query_one(DataTable).move_cursor(row=row)
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(pilot.app.screen, TemplateEditorScreen) and pilot.app.screen.loaded)
    return pilot.app.screen  # type: ignore[return-value]


def english_admin() -> None:
    """The clerk (English) made an admin: what these tests read is the msgids' English."""
    Staff.update(roles="admin,billing").where(Staff.login == "clerk").execute()


def second_invoice_email(active: bool = False) -> Template:
    """A custom invoice template two days after billing, beside the shipped invoice email (on)."""
    Template.update(active=True).where(Template.system_key == INVOICE_EMAIL.key).execute()
    return Template.create(
        kind="invoice",
        name="Copie pour l'assureur",
        active=active,
        delay_value=2,
        delay_unit="days",
        subject_fr="{{ clinic_name }}",
        body_fr="Bonjour, votre facture : {{ download_link }}",
        subject_en="{{ clinic_name }}",
        body_en="Hello, your invoice: {{ download_link }}",
    )


def names(screen: TemplatesScreen) -> list[str]:
    table = screen.query_one(DataTable)
    return [str(table.get_row_at(index)[0]) for index in range(table.row_count)]


def preview_text(editor: TemplateEditorScreen, lang: str) -> str:
    preview = editor.query_one(f"#tpl-preview-{lang}", TemplatePreview)
    return "\n".join(str(static.render()) for static in preview.query("Static"))


async def test_f7_lists_the_shipped_templates(make_app: Callable[..., object]) -> None:
    app = make_app("clerk")  # English
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        screen = await open_templates(pilot)
        assert names(screen) == [
            "★ Invoice email",
            "★ First payment reminder",
            "★ Second payment reminder",
            "★ Monthly statement of account",
            "★ Payment link by text message",
            "★ Payment reminder by text message",
        ]
        rows = [[str(cell) for cell in screen.query_one(DataTable).get_row_at(index)] for index in range(6)]
        assert rows[1][1:] == ["reminder", "email", "15 days after", "no", "no", "yes"]
        assert rows[3][1:] == ["statement of account", "email", "every 1 month", "no", "yes", "yes"]
        # an SMS reminder and an email one told apart; a payment link's text goes when staff send it
        assert rows[4][1:] == ["payment link", "text message", "sent by staff", "no", "no", "yes"]
        assert rows[5][1:] == ["reminder", "text message", "20 days after", "no", "no", "yes"]
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, TemplatesScreen)  # type: ignore[attr-defined]


async def test_turning_on_the_invoice_email_warns_it_applies_to_every_invoice(
    make_app: Callable[..., object],
) -> None:
    app = make_app("admin")
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        await open_templates(pilot)
        await pilot.press("t")
        await settle(pilot)
        dialog = app.screen  # type: ignore[attr-defined]
        assert isinstance(dialog, ConfirmDialog)
        assert "TOUTES les factures à venir" in dialog.question and "NIP par texto" in dialog.question
        await pilot.press("escape")  # no
        await settle(pilot)
        assert not shipped("invoice_email").active
        await pilot.press("t")
        await settle(pilot)
        await pilot.click("#confirm-yes")
        await until(pilot, lambda: "« Courriel de facture » est activé" in messages(app))  # type: ignore[arg-type]
        assert shipped("invoice_email").active


async def test_a_reminder_turns_on_without_a_warning_and_off_again(make_app: Callable[..., object]) -> None:
    app = make_app("admin")
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        screen = await open_templates(pilot)
        await pilot.press("down", "t")
        await until(pilot, lambda: shipped("reminder_first").active)
        assert not isinstance(app.screen, ConfirmDialog)  # type: ignore[attr-defined]
        await until(pilot, lambda: "oui" in str(screen.query_one(DataTable).get_row_at(1)[4]))  # Active
        await pilot.press("t")
        await until(pilot, lambda: not shipped("reminder_first").active)


async def test_people_who_are_not_admins_read_but_change_nothing(
    make_app: Callable[..., object], billed: None
) -> None:
    app = make_app("clerk")
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        await open_templates(pilot)
        await pilot.press("t")
        await settle(pilot)
        assert any("admin role" in text for text in messages(app))  # type: ignore[arg-type]
        assert not shipped("invoice_email").active
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, TemplateEditorScreen) and app.screen.loaded)  # type: ignore[attr-defined]
        editor = app.screen  # type: ignore[attr-defined]
        assert editor.query_one("#tpl-body-en", TextArea).read_only
        assert editor.query_one("#tpl-active", Checkbox).disabled
        assert "Read only" in str(editor.query_one("#tpl-title").render())
        # the preview renders in the template helper (started with the first render)
        await until(pilot, lambda: "Here is your invoice" in preview_text(editor, "en"))
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, TemplateEditorScreen)  # type: ignore[attr-defined]


async def test_the_preview_follows_the_typing_in_each_language(
    make_app: Callable[..., object], billed: None
) -> None:
    app = make_app("admin")
    async with app.run_test(size=(120, 40)) as pilot:  # type: ignore[attr-defined]
        editor = await open_editor(pilot, 1)
        number = Patient.get().invoices[0].number
        assert f"Aperçu sur la facture {number}" in str(editor.query_one("#tpl-preview-fr").border_title)
        assert "Bonjour Élise Bélanger," in preview_text(editor, "fr")
        assert "Objet : Clinique du Parc" in preview_text(editor, "fr")
        body = editor.query_one("#tpl-body-fr", TextArea)
        body.text = "Solde : {{ amount_due }}"
        await settle(pilot)
        assert "Solde : 85,00\u00a0$" in preview_text(editor, "fr")
        body.text = "Solde : {{ montant }}"
        await settle(pilot)
        assert "ligne 1 : aucun champ ne s’appelle montant" in preview_text(editor, "fr")
        await pilot.press("f3")
        await settle(pilot)
        assert editor.query_one(TabbedContent).active == "tpl-pane-en"
        assert app.screen.focused is editor.query_one("#tpl-body-en")  # type: ignore[attr-defined]
        assert "balance of $85.00" in preview_text(editor, "en")


async def test_f2_inserts_a_field_at_the_cursor_and_a_subject_is_offered_only_its_fields(
    make_app: Callable[..., object],
) -> None:
    app = make_app("admin")
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        editor = await open_editor(pilot, 1)
        body = editor.query_one("#tpl-body-fr", TextArea)
        body.text = "Solde : "
        body.focus()
        body.cursor_location = (0, 8)
        await pilot.press("f2")
        await settle(pilot)
        picker = app.screen  # type: ignore[attr-defined]
        assert isinstance(picker, FieldPicker) and not picker.subject
        await pilot.press("down", "enter")  # the second field: the amount due
        await settle(pilot)
        assert body.text == "Solde : {{ amount_due }}"
        subject = editor.query_one("#tpl-subject-fr", Input)
        subject.focus()
        await pilot.press("end", "f2")
        await settle(pilot)
        offered = app.screen.query_one("#field-options").option_count  # type: ignore[attr-defined]
        assert offered == 4  # invoice number, issue date, due date, clinic name
        await pilot.press("enter")
        await settle(pilot)
        assert subject.value == "{{ clinic_name }}{{ invoice_number }}"


async def test_a_refused_save_marks_the_part_and_its_line_and_saves_nothing(
    make_app: Callable[..., object],
) -> None:
    Staff.update(roles="admin,billing").where(Staff.login == "clerk").execute()  # an English admin
    app = make_app("clerk")
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        editor = await open_editor(pilot, 1)
        editor.query_one("#tpl-body-en", TextArea).text = "Hello\n\nBalance: {{ balance }}\nBye"
        editor.query_one("#tpl-subject-fr", Input).value = "{{ patient_name }}"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: editor.query_one("#tpl-error").display)
        error = str(editor.query_one("#tpl-error").render())
        assert "French subject, line 1: a subject cannot show patient_name" in error
        assert "English body, line 3: there is no field named balance" in error
        assert editor.query_one("#tpl-subject-fr").has_class("-invalid")
        assert editor.query_one("#tpl-body-en").has_class("-invalid")
        assert editor.query_one(TabbedContent).active == "tpl-pane-fr"  # the first refused part
        assert shipped(FIRST_REMINDER.key).body_en == ""  # nothing saved: still the catalogs' wording
        editor.query_one("#tpl-subject-fr", Input).value = "{{ clinic_name }}"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: editor.query_one(TabbedContent).active == "tpl-pane-en")
        assert editor.query_one("#tpl-body-en", TextArea).cursor_location == (2, 0)  # on line 3
        editor.query_one("#tpl-body-en", TextArea).text = "Hello\n\nBalance: {{ amount_due }}\nBye"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, TemplatesScreen))  # type: ignore[attr-defined]
        assert shipped(FIRST_REMINDER.key).body_en == "Hello\n\nBalance: {{ amount_due }}\nBye"


async def test_f4_puts_back_the_shipped_wording(make_app: Callable[..., object]) -> None:
    Template.update(body_fr="Mon texte {{ amount_due }}").where(
        Template.system_key == FIRST_REMINDER.key
    ).execute()
    app = make_app("admin")
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        editor = await open_editor(pilot, 1)
        assert editor.query_one("#tpl-body-fr", TextArea).text == "Mon texte {{ amount_due }}"
        assert editor.query_one("#tpl-delay", Input).disabled  # a shipped template's settings are locked
        await pilot.press("f4")
        await settle(pilot)
        await pilot.click("#confirm-yes")
        await settle(pilot)
        assert editor.query_one("#tpl-body-fr", TextArea).text == FIRST_REMINDER.wording()["body_fr"]
        await pilot.press("ctrl+s")
        await until(pilot, lambda: shipped(FIRST_REMINDER.key).body_fr == "")  # the catalogs' again


async def test_a_custom_template_is_added_duplicated_and_deleted(make_app: Callable[..., object]) -> None:
    app = make_app("admin")
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        screen = await open_templates(pilot)
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, TemplateEditorScreen) and app.screen.loaded)  # type: ignore[attr-defined]
        editor = app.screen  # type: ignore[attr-defined]
        editor.query_one("#tpl-name", Input).value = "Relance à 45 jours"
        editor.query_one("#tpl-delay", Input).value = "45"
        editor.query_one("#tpl-body-fr", TextArea).text = "Bonjour,\n\nSolde : {{ amount_due }}"
        editor.query_one("#tpl-body-en", TextArea).text = "Hello,\n\nBalance: {{ amount_due }}"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, TemplatesScreen) and len(names(screen)) == 7)  # type: ignore[attr-defined]
        added = Template.get(Template.name == "Relance à 45 jours")
        assert (added.kind, added.delay_value, added.active, added.system_key) == (
            "reminder",
            45,
            False,
            None,
        )
        assert screen.current is not None and screen.current.id == added.id
        await pilot.press("d")
        await until(pilot, lambda: len(names(screen)) == 8)
        assert "Relance à 45 jours (copie)" in names(screen)
        assert screen.current is not None and screen.current.name == "Relance à 45 jours (copie)"
        await pilot.press("x")
        await settle(pilot)
        await pilot.click("#confirm-yes")
        await until(pilot, lambda: len(names(screen)) == 7)
        assert not Template.select().where(Template.name == "Relance à 45 jours (copie)").exists()


async def test_saving_an_active_invoice_template_with_delay_zero_asks_first(
    make_app: Callable[..., object],
) -> None:
    app = make_app("admin")
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        await open_templates(pilot)
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, TemplateEditorScreen) and app.screen.loaded)  # type: ignore[attr-defined]
        editor = app.screen  # type: ignore[attr-defined]
        editor.query_one("#tpl-name", Input).value = "Facture immédiate"
        editor.query_one("#tpl-kind", Select).value = "invoice"
        editor.query_one("#tpl-delay", Input).value = "0"
        editor.query_one("#tpl-active", Checkbox).value = True
        editor.query_one("#tpl-body-fr", TextArea).text = "Bonjour, votre facture : {{ download_link }}"
        editor.query_one("#tpl-body-en", TextArea).text = "Hello, your invoice: {{ download_link }}"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)  # type: ignore[attr-defined]
        await pilot.press("escape")
        await settle(pilot)
        assert not Template.select().where(Template.name == "Facture immédiate").exists()
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.click("#confirm-yes")
        await until(pilot, lambda: Template.select().where(Template.name == "Facture immédiate").exists())
        assert Template.get(Template.name == "Facture immédiate").active


async def test_turning_on_a_second_invoice_email_asks_naming_the_first(
    make_app: Callable[..., object],
) -> None:
    english_admin()
    second = second_invoice_email()
    app = make_app("clerk")
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        screen = await open_templates(pilot)
        await until(pilot, lambda: len(names(screen)) == 7)
        screen.query_one(DataTable).move_cursor(row=6)  # after the six shipped
        assert screen.current is not None and screen.current.id == second.id
        await pilot.press("t")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))  # type: ignore[attr-defined]
        question = app.screen.question  # type: ignore[attr-defined]
        assert "“Invoice email” already emails every invoice" in question
        assert "each invoice would get both emails" in question
        await pilot.press("escape")  # no
        await settle(pilot)
        assert not Template.get_by_id(second.id).active
        assert not isinstance(app.screen, ConfirmDialog)  # type: ignore[attr-defined]
        await pilot.press("t")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))  # type: ignore[attr-defined]
        await pilot.click("#confirm-yes")
        await until(pilot, lambda: Template.get_by_id(second.id).active)
        await until(pilot, lambda: "“Copie pour l'assureur” is on" in messages(app))  # type: ignore[arg-type]
        assert shipped(INVOICE_EMAIL.key).active  # both on, as agreed


async def test_saving_a_second_invoice_email_active_asks_first_in_the_editor(
    make_app: Callable[..., object],
) -> None:
    second = second_invoice_email()
    app = make_app("admin")  # French: the question names the first as the French read it
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        editor = await open_editor(pilot, 6)
        editor.query_one("#tpl-active", Checkbox).value = True
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))  # type: ignore[attr-defined]
        assert "Courriel de facture" in app.screen.question  # type: ignore[attr-defined]
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is editor  # type: ignore[attr-defined]
        assert not Template.get_by_id(second.id).active
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))  # type: ignore[attr-defined]
        await pilot.click("#confirm-yes")
        await until(pilot, lambda: isinstance(app.screen, TemplatesScreen))  # type: ignore[attr-defined]
        assert Template.get_by_id(second.id).active


async def test_an_invoice_template_sent_by_secure_link_says_nothing_is_attached(
    make_app: Callable[..., object],
) -> None:
    english_admin()  # the clinic's default: a PIN by SMS, a secure link
    app = make_app("clerk")
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        editor = await open_editor(pilot, 0)  # the invoice email
        hint = editor.query_one("#tpl-attach-hint")
        assert hint.display
        assert "secure link: nothing is attached; the email shows the download link" in str(hint.render())
        # the box keeps its value: it applies again if the clinic goes back to attachments
        assert editor.query_one("#tpl-attach", Checkbox).value
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("a")  # a new template is a reminder: it may carry the invoice
        await until(pilot, lambda: isinstance(app.screen, TemplateEditorScreen) and app.screen.loaded)  # type: ignore[attr-defined]
        editor = app.screen  # type: ignore[attr-defined]
        assert not editor.query_one("#tpl-attach-hint").display
        editor.query_one("#tpl-kind", Select).value = "invoice"
        await until(pilot, lambda: editor.query_one("#tpl-attach-hint").display)


async def test_a_clinic_that_attaches_shows_no_hint(make_app: Callable[..., object]) -> None:
    Clinic.update(default_pin_mode="none").execute()
    app = make_app("admin")
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        editor = await open_editor(pilot, 0)
        assert not editor.query_one("#tpl-attach-hint").display


@snapshot_cases
@pytest.mark.parametrize("view", ["list", "editor"])
def test_snapshot(
    snap_compare: Callable[..., bool],
    make_app: Callable[..., object],
    billed: None,
    view: str,
    language: str,
    size: tuple[int, int],
) -> None:
    Template.update(active=True).where(Template.system_key == FIRST_REMINDER.key).execute()
    app = make_app({"fr": "admin", "en": "clerk"}[language])

    async def show(pilot: Pilot[object]) -> None:
        if view == "list":
            screen = await open_templates(pilot)
            await until(pilot, lambda: len(names(screen)) == 6)
        else:
            editor = await open_editor(pilot, 1)
            await until(pilot, lambda: "CDP-2026-00001" in preview_text(editor, "fr"))
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=show)


async def test_a_shipped_template_shows_the_wording_an_admin_put_in_the_override_catalog(
    make_app: Callable[..., object], billed: None, tmp_path: Path
) -> None:
    override = tmp_path / "wording"
    edited = FIRST_REMINDER.wording()["body_fr"].replace("Petit rappel :", "Un mot amical :")
    # no watcher here (settle waits for every worker): write_override reloads as the watcher would
    app = make_app("admin", locales=LocalesSettings(override_dir=str(override), watch=False))
    try:
        async with app.run_test(size=(120, 40)) as pilot:  # type: ignore[attr-defined]
            await settle(pilot)
            write_override(override, "fr", {FIRST_REMINDER.body: edited})  # while the TUI runs
            editor = await open_editor(pilot, 1)
            assert editor.query_one("#tpl-body-fr", TextArea).text == edited
            await until(pilot, lambda: "Un mot amical : la facture" in preview_text(editor, "fr"))
    finally:
        configure(None)


async def test_the_cursor_stays_on_its_template_when_the_wording_reloads(
    make_app: Callable[..., object],
) -> None:
    app = make_app("admin")
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        screen = await open_templates(pilot)
        await pilot.press("down", "down")
        screen.apply_texts()  # what an edited catalog does to every screen
        await settle(pilot)
        assert screen.query_one(DataTable).cursor_row == 2
        assert screen.current is not None and screen.current.system_key == "reminder_second"


async def test_a_text_reminder_is_written_with_a_live_sms_counter_and_refused_over_three_sms(
    make_app: Callable[..., object],
) -> None:
    english_admin()
    app = make_app("clerk")
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        screen = await open_templates(pilot)
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, TemplateEditorScreen) and app.screen.loaded)  # type: ignore[attr-defined]
        editor = app.screen  # type: ignore[attr-defined]
        await pilot.press(*"Texto", "tab", "tab", "tab", "tab", "tab")  # kind, active, delay, unit
        assert app.screen.focused is editor.query_one("#tpl-channel")  # type: ignore[attr-defined]
        await pilot.press("enter", "down", "enter")  # a text message
        await settle(pilot)
        # a text has no subject and no attachment, is a reminder or a payment link
        assert not editor.query_one("#tpl-subject-fr").is_on_screen
        assert not editor.query_one("#tpl-attach").is_on_screen
        kinds = editor.query_one("#tpl-kind", Select).query_one(OptionList).options
        assert [str(option.prompt) for option in kinds] == ["reminder", "payment link"]
        counter = editor.query_one("#tpl-count-fr")
        assert "characters · 2 SMS (GSM-7)" in str(counter.render())  # the shipped text's wording
        await pilot.press("tab", "tab")  # the language tabs, the French body
        body = editor.query_one("#tpl-body-fr", TextArea)
        assert app.screen.focused is body  # type: ignore[attr-defined]
        body.cursor_location = body.document.end
        await pilot.press("space", "ê")
        await until(pilot, lambda: "UCS-2" in str(counter.render()))
        assert str(counter.render()).endswith("· 3 SMS (UCS-2): ê forces UCS-2")
        assert preview_text(editor, "fr").endswith("x9k7T2abc ê")  # one line, as the phone shows it
        await pilot.press("f2")
        await settle(pilot)
        assert app.screen.query_one("#field-options").option_count == 10  # type: ignore[attr-defined]
        await pilot.press("escape")
        await settle(pilot)
        long = "{{ clinic_name }}: " + "please pay soon " * 30 + "{{ payment_link }}"
        editor.query_one("#tpl-body-en", TextArea).text = long
        await until(pilot, lambda: editor.query_one("#tpl-count-en").has_class("-over"))
        assert "4 SMS (GSM-7); too long: at most 3 SMS" in str(editor.query_one("#tpl-count-en").render())
        await pilot.press("ctrl+s")
        await until(pilot, lambda: editor.query_one("#tpl-error").display)
        error = str(editor.query_one("#tpl-error").render())
        assert "English body makes 4 SMS (GSM-7); a text may take at most 3: shorten it" in error
        assert editor.query_one(TabbedContent).active == "tpl-pane-en"
        assert not Template.select().where(Template.name == "Texto").exists()
        editor.query_one("#tpl-body-en", TextArea).text = "{{ clinic_name }}: please pay {{ payment_link }}"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, TemplatesScreen))  # type: ignore[attr-defined]
        saved = Template.get(Template.name == "Texto")
        assert (saved.channel, saved.kind, saved.subject_fr) == ("sms", "reminder", "")  # no subject
        assert saved.body_fr.endswith("{{ payment_link }} ê")
        await until(pilot, lambda: screen.current is not None and screen.current.id == saved.id)
        table = screen.query_one(DataTable)
        row = [str(cell) for cell in table.get_row_at(table.cursor_row)]
        assert row[:4] == ["Texto", "reminder", "text message", "15 days after"]

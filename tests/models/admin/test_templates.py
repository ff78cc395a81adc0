"""Template rules: admins only, shipped ones keep their settings, wording checked before saving (on
several sample invoices), duplicate, delete, restore, deactivation cancels what was scheduled, a
second invoice email only when confirmed; the shipped set and the preview."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest

from locales import translator
from models.admin.settings import SettingsRefused
from models.admin.templates import (
    LANGUAGES,
    SecondInvoiceEmail,
    TemplateInput,
    applies_to_every_invoice,
    delete_template,
    display_name,
    duplicate_template,
    list_templates,
    preview_values,
    restore_wording,
    save_template,
    set_active,
    wording_of,
)
from models.core.enums import ScheduleStatus, TemplateKind
from models.core.errors import FieldErrors, ValidationError
from models.database.base import utcnow
from models.messaging.schedule_reasons import reason_text
from models.messaging.system_templates import FIRST_REMINDER, INVOICE_EMAIL, PARTS, SYSTEM_TEMPLATES
from models.messaging.tables import ScheduledMessage, Template
from models.messaging.template_budget import Budget, configure_budget
from models.messaging.template_fields import field_context, sample_invoices, sample_values
from models.messaging.template_render import check_wording
from models.people.clinic import Staff
from testbed.invoices import billed_invoice
from tests.catalog_helpers import write_override
from tests.conftest import Setup

EN = translator("en")
FR = translator("fr")


@pytest.fixture
def admin(setup: Setup) -> Staff:
    return Staff.create(login="admin", display_name="Anne Admin", roles="admin,billing")


def custom(**changes: object) -> TemplateInput:
    base = TemplateInput(
        name="Rappel amical",
        kind="reminder",
        active=False,
        delay_value="10",
        delay_unit="days",
        attach_invoice=False,
        add_payment_link=True,
        subject_fr="{{ clinic_name }}",
        body_fr="Bonjour {{ billed_to_name }}, solde : {{ amount_due }}\n{{ download_link }}",
        subject_en="{{ clinic_name }}",
        body_en="Hello {{ billed_to_name }}, balance: {{ amount_due }}\n{{ download_link }}",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def system(key: str) -> Template:
    return Template.get(Template.system_key == key)


def test_a_new_database_ships_its_templates_inactive(setup: Setup) -> None:
    shipped = list_templates()
    assert [t.system_key for t in shipped] == [t.key for t in SYSTEM_TEMPLATES]
    assert not any(t.active for t in shipped)
    first = system(FIRST_REMINDER.key)
    assert (first.kind, first.delay_value, first.delay_unit) == ("reminder", 15, "days")
    assert display_name(first, translator("fr")) == "Premier rappel de paiement"
    assert all(
        wording_of(t)["subject_fr"] == wording_of(t)["subject_en"] == "{{ clinic_name }}" for t in shipped
    )
    # stored empty: their wording is the catalogs', so an admin's .po edit reaches them
    assert all(getattr(t, part) == "" for t in shipped for part in PARTS)
    assert wording_of(first)["body_fr"].startswith(
        "Bonjour {{ billed_to_name }},\n\nPetit rappel : la facture"
    )


def test_a_shipped_part_saved_as_the_catalogs_word_it_keeps_following_them(
    admin: Staff, override_catalogs: Path
) -> None:
    template = system(FIRST_REMINDER.key)
    data = TemplateInput.of(template)  # the catalogs' wording, as the editor shows it
    saved = save_template(template.id, replace(data, body_en="Hi {{ billed_to_name }}"), acting=admin)
    assert (saved.body_fr, saved.body_en) == ("", "Hi {{ billed_to_name }}")
    french = FIRST_REMINDER.wording()["body_fr"]
    edited = french.replace("Petit rappel :", "Un mot pour vous rappeler que")
    write_override(override_catalogs, "fr", {FIRST_REMINDER.body: edited})
    assert wording_of(system(FIRST_REMINDER.key))["body_fr"] == edited  # the edit reaches it
    assert wording_of(system(FIRST_REMINDER.key))["body_en"] == "Hi {{ billed_to_name }}"  # reworded: kept


def test_migration_8_lets_parts_still_worded_as_shipped_follow_the_catalogs(tmp_path: Path) -> None:
    from models.database.db import close_database, open_database
    from models.setup.migrations import v0008_template_catalogs
    from models.setup.schema import ensure_schema

    close_database()
    database = open_database(f"sqlite:///{tmp_path / 'v7.db'}")
    ensure_schema(database)
    shipped = FIRST_REMINDER.wording()
    # as version 7 stored them: the whole wording, one French body reworded by an admin
    for template in SYSTEM_TEMPLATES:
        Template.update(**template.wording()).where(Template.system_key == template.key).execute()
    Template.update(body_fr="Mon rappel {{ amount_due }}").where(
        Template.system_key == FIRST_REMINDER.key
    ).execute()
    v0008_template_catalogs.apply(database)
    first = system(FIRST_REMINDER.key)
    assert (first.subject_fr, first.subject_en, first.body_en) == ("", "", "")
    assert first.body_fr == "Mon rappel {{ amount_due }}"
    assert wording_of(first)["body_en"] == shipped["body_en"]
    assert all(getattr(system(INVOICE_EMAIL.key), part) == "" for part in PARTS)
    close_database()


def test_only_admins_change_templates(setup: Setup) -> None:
    clerk = Staff.create(login="clerk", display_name="Carl", roles="billing")
    with pytest.raises(SettingsRefused):
        save_template(None, custom(), acting=clerk)
    with pytest.raises(SettingsRefused):
        set_active(system(INVOICE_EMAIL.key).id, True, acting=clerk)
    assert Template.select().count() == len(SYSTEM_TEMPLATES)


def test_a_custom_template_is_created_edited_duplicated_and_deleted(admin: Staff) -> None:
    template = save_template(None, custom(), acting=admin)
    assert (template.name, template.kind, template.delay_value, template.is_system) == (
        "Rappel amical",
        "reminder",
        10,
        False,
    )
    edited = save_template(template.id, custom(delay_value="2", delay_unit="months"), acting=admin)
    assert (edited.delay_value, edited.delay_unit) == (2, "months")
    copy = duplicate_template(template.id, acting=admin, tr=EN)
    assert (copy.name, copy.active, copy.body_fr) == ("Rappel amical (copy)", False, template.body_fr)
    delete_template(copy.id, acting=admin)
    assert Template.get_or_none(Template.id == copy.id) is None


def test_wording_problems_refuse_the_save_and_name_every_part(admin: Staff) -> None:
    broken = custom(body_fr="Bonjour\n{{ montant }}", subject_en="{{ patient_name }}", body_en="{% if %}")
    with pytest.raises(FieldErrors) as caught:
        save_template(None, broken, acting=admin)
    assert [(e.field, e.render(EN)) for e in caught.value.errors] == [
        ("body_fr", "French body, line 2: there is no field named montant"),
        (
            "subject_en",
            "English subject, line 1: a subject cannot show patient_name; it may show only "
            "clinic_name, due_date, invoice_number, issue_date, statement_reference",
        ),
        (
            "body_en",
            "English body, line 1: syntax error: Expected an expression, got 'end of statement block'",
        ),
    ]
    assert Template.select().count() == len(SYSTEM_TEMPLATES)  # nothing saved


def test_an_error_inside_an_if_on_links_is_caught_too(admin: Staff) -> None:
    hidden = custom(body_en="{% if not payment_link %}{{ amount_due + 1 }}{% endif %}")
    with pytest.raises(FieldErrors) as caught:
        save_template(None, hidden, acting=admin)
    assert caught.value.errors[0].field == "body_en"


def test_empty_parts_and_bad_settings_are_refused(admin: Staff) -> None:
    with pytest.raises(FieldErrors) as caught:
        save_template(None, custom(name=" ", subject_fr="", delay_value="0", body_en="  "), acting=admin)
    assert {e.field for e in caught.value.errors} == {"name", "delay_value", "subject_fr", "body_en"}
    reminder_now = next(e for e in caught.value.errors if e.field == "delay_value")
    assert "a reminder comes after the invoice" in reminder_now.render(EN)
    with pytest.raises(FieldErrors) as caught:
        save_template(None, custom(delay_value="-3"), acting=admin)
    assert caught.value.errors[0].field == "delay_value"
    invoice_now = save_template(None, custom(kind="invoice", delay_value="0"), acting=admin)
    assert invoice_now.delay_value == 0


def test_a_shipped_template_keeps_its_settings_but_takes_new_wording(admin: Staff) -> None:
    template = system(FIRST_REMINDER.key)
    data = TemplateInput.of(template)
    with pytest.raises(ValidationError) as caught:
        save_template(template.id, replace(data, delay_value="3"), acting=admin)
    assert caught.value.field == "delay_value"
    with pytest.raises(ValidationError):
        save_template(template.id, replace(data, kind="invoice"), acting=admin)
    saved = save_template(
        template.id,
        replace(data, name="ignored", active=True, body_fr="Solde : {{ amount_due }}"),
        acting=admin,
    )
    assert (saved.name, saved.active, saved.body_fr) == (
        FIRST_REMINDER.name,
        True,
        "Solde : {{ amount_due }}",
    )
    restored = restore_wording(template.id, acting=admin)
    assert wording_of(restored) == FIRST_REMINDER.wording() and restored.active
    assert restored.body_fr == ""  # following the catalogs again
    with pytest.raises(SettingsRefused):
        delete_template(template.id, acting=admin)
    copy = duplicate_template(template.id, acting=admin, tr=translator("fr"))
    assert copy.system_key is None and copy.name == "Premier rappel de paiement (copie)"
    with pytest.raises(SettingsRefused):
        restore_wording(copy.id, acting=admin)


def test_a_used_template_is_deactivated_not_deleted(setup: Setup, admin: Staff) -> None:
    template = save_template(None, custom(active=True), acting=admin)
    invoice = billed_invoice(setup.company)
    (row,) = ScheduledMessage.select().where(ScheduledMessage.invoice == invoice.id)
    with pytest.raises(SettingsRefused) as caught:
        delete_template(template.id, acting=admin)
    assert "deactivate it instead" in caught.value.render(EN)
    set_active(template.id, False, acting=admin)
    row = ScheduledMessage.get_by_id(row.id)
    assert row.status == ScheduleStatus.CANCELLED
    assert reason_text(row.reason, EN) == "the template was deactivated"


def test_activating_an_invoice_template_with_delay_zero_applies_to_every_invoice() -> None:
    assert applies_to_every_invoice(TemplateKind.INVOICE, "0", True)
    assert not applies_to_every_invoice(TemplateKind.INVOICE, "2", True)
    assert not applies_to_every_invoice(TemplateKind.REMINDER, "0", True)
    assert not applies_to_every_invoice(TemplateKind.INVOICE, "0", False)


def test_the_preview_uses_the_latest_billed_invoice_else_a_sample(setup: Setup) -> None:
    values, invoice = preview_values(setup.clinic, date(2026, 4, 10))
    assert invoice is None and values.invoice_number == "CDP-2026-00042"
    billed = billed_invoice(setup.company, price_cents=12300)
    values, invoice = preview_values(setup.clinic, date(2026, 4, 10))
    assert invoice is not None and invoice.id == billed.id
    assert (values.invoice_number, values.balance_cents) == (billed.number, 12300)
    assert values.payment_url  # example links, so the link blocks show in the preview
    assert values.link_expires_at is not None  # as if sent that day: it ends after the clinic's link days
    assert values.link_expires_at.date() == date(2026, 4, 10) + timedelta(days=setup.clinic.link_days)


def test_migration_7_ships_the_templates_to_an_older_database_once(tmp_path: Path) -> None:
    from models.database.db import close_database, open_database
    from models.setup.schema import ensure_schema
    from tests.models.setup.test_migrations import make_v1

    close_database()
    database = open_database(make_v1(tmp_path / "old.db"))
    ensure_schema(database)
    assert [t.system_key for t in list_templates()] == [t.key for t in SYSTEM_TEMPLATES]
    assert not any(t.active for t in list_templates())
    assert wording_of(list_templates()[0]) == INVOICE_EMAIL.wording()
    ensure_schema(database)
    assert Template.select().count() == len(SYSTEM_TEMPLATES)  # 7's three, and 21's statement
    close_database()


def test_a_template_that_would_deliver_nothing_is_refused(admin: Staff) -> None:
    from models.admin.templates import STARTER_BODIES

    # the English body left as a new template starts: refused, naming the English body
    with pytest.raises(FieldErrors) as caught:
        save_template(None, custom(body_en=STARTER_BODIES["en"]), acting=admin)
    (starter,) = caught.value.errors
    assert starter.field == "body_en" and "still the starter text" in starter.render(EN)
    # by secure link (the clinic's default), an invoice email without the link gives no way in
    no_link = custom(kind="invoice", delay_value="0", body_en="Here is your invoice, {{ billed_to_name }}.")
    with pytest.raises(FieldErrors) as caught:
        save_template(None, no_link, acting=admin)
    (missing,) = caught.value.errors
    assert missing.field == "body_en" and "{{ download_link }}" in missing.render(EN)
    # a reminder that does not deliver the invoice may leave the link out
    reminder = custom(attach_invoice=False, body_en="A reminder: {{ amount_due }} is due.")
    assert save_template(None, reminder, acting=admin).id
    # a clinic that attaches the PDF instead has no link to show
    from models.people.clinic import Clinic

    Clinic.update(default_pin_mode="none").execute()
    assert save_template(None, no_link, acting=admin).id


# Several sample invoices -------------------------------------------------------------------------

ONLY_FOR_A_THIRD_PARTY = "{% if billed_to_name != patient_name %}{{ amount_due + 1 }}{% endif %}"
SEVEN_LOOPS = (
    "{% for a in 'x' * 1000 %}{% for b in 'x' * 1000 %}{% for c in 'x' * 1000 %}"
    "{% for d in 'x' * 1000 %}{% for e in 'x' * 1000 %}{% for f in 'x' * 1000 %}"
    "{% for g in 'x' * 1000 %}{% endfor %}{% endfor %}{% endfor %}{% endfor %}{% endfor %}"
    "{% endfor %}{% endfor %}"
)


@pytest.fixture
def short_budget() -> Iterator[None]:
    configure_budget(Budget(seconds=1.0, memory_mb=256))
    yield
    configure_budget(Budget())


def passes_on_the_one_old_sample(template: TemplateInput, setup: Setup) -> bool:
    """What the save check tried before: one sample (billed to the patient), with and without links."""
    values = sample_values(setup.clinic, utcnow().date())
    return not any(
        check_wording(template.wording(), {lang: field_context(each, lang) for lang in LANGUAGES}, LANGUAGES)
        for each in (values, values.with_links(None, None))
    )


def test_the_samples_are_a_patient_a_third_party_and_a_partial_payment(setup: Setup) -> None:
    today = date(2026, 4, 10)
    own, third, partial = sample_invoices(setup.clinic, today)
    assert own == sample_values(setup.clinic, today)
    assert own.billed_to_name == own.patient_name
    assert third.billed_to_name != third.patient_name
    assert (third.paid_cents, field_context(third, "en")["days_overdue"]) == (0, 35)
    assert third.invoice_number != own.invoice_number and third.download_url and third.payment_url
    assert partial.billed_to_name == partial.patient_name == "Emily Wong"
    assert 0 < partial.paid_cents < partial.total_cents
    assert field_context(partial, "en")["days_overdue"] == 0


def test_a_template_that_fails_only_for_a_third_party_is_refused_naming_the_sample(
    setup: Setup, admin: Staff
) -> None:
    body = "Hello {{ billed_to_name }},\n{{ download_link }}\n" + ONLY_FOR_A_THIRD_PARTY
    template = custom(body_en=body)
    assert passes_on_the_one_old_sample(template, setup)  # saved before: Marie pays her own
    with pytest.raises(FieldErrors) as caught:
        save_template(None, template, acting=admin)
    (problem,) = caught.value.errors
    assert (problem.field, problem.params["line"]) == ("body_en", 3)  # the editor goes to that line
    text = problem.render(EN)
    assert text.startswith("English body, line 3: this cannot be shown: ")
    assert text.endswith(
        "(on the sample invoice 2025-01207 for Jean-François O'Brien, billed to Assurances Beaulieu inc.)"
    )
    assert Template.select().count() == len(SYSTEM_TEMPLATES)  # nothing saved


@pytest.mark.sqlite_only  # the budget is the helper process's, whatever the database
def test_a_template_over_budget_only_for_a_third_party_is_refused_once(
    setup: Setup, admin: Staff, short_budget: None
) -> None:
    body = (
        "Bonjour,\n{{ download_link }}\n{% if billed_to_name != patient_name %}" + SEVEN_LOOPS + "{% endif %}"
    )
    template = custom(body_fr=body)
    started = time.monotonic()
    with pytest.raises(FieldErrors) as caught:
        save_template(None, template, acting=admin)
    assert time.monotonic() - started < 10  # stopped at the first sample over budget, not run on
    (problem,) = caught.value.errors
    text = problem.render(EN)
    assert "takes too long to render" in text and "Assurances Beaulieu inc." in text
    assert passes_on_the_one_old_sample(template, setup)  # and the next render works again
    assert Template.select().count() == len(SYSTEM_TEMPLATES)


# A second invoice email --------------------------------------------------------------------------


def invoice_template(name: str, **changes: object) -> TemplateInput:
    return custom(name=name, kind="invoice", delay_value="2", delay_unit="days", **changes)


def test_turning_on_a_second_invoice_email_needs_a_confirmation_naming_the_first(admin: Staff) -> None:
    shipped = system(INVOICE_EMAIL.key)
    set_active(shipped.id, True, acting=admin)  # the only one: no confirmation
    with pytest.raises(SecondInvoiceEmail) as caught:
        save_template(None, invoice_template("Facture, copie au dossier", active=True), acting=admin)
    assert caught.value.render(EN) == (
        "“Invoice email” already emails every invoice: with this template on too, "
        "each invoice would get both emails"
    )
    assert "Courriel de facture" in caught.value.render(FR)  # its name as the reader calls it
    assert not Template.select().where(Template.name == "Facture, copie au dossier").exists()
    second = save_template(None, invoice_template("Facture, copie au dossier", active=False), acting=admin)
    with pytest.raises(SecondInvoiceEmail):
        set_active(second.id, True, acting=admin)
    assert not Template.get_by_id(second.id).active
    assert set_active(second.id, True, acting=admin, confirm_second=True).active
    # on already: saving it again, or turning it off and the first one off, asks nothing
    assert save_template(second.id, invoice_template("Facture, copie au dossier", active=True), acting=admin)
    assert not set_active(shipped.id, False, acting=admin).active
    assert set_active(shipped.id, True, acting=admin, confirm_second=True).active
    with pytest.raises(SecondInvoiceEmail) as caught:
        save_template(None, invoice_template("Une troisième", active=True), acting=admin)
    assert caught.value.render(EN).startswith(
        "“Invoice email”, “Facture, copie au dossier” already email every invoice"
    )
    third = save_template(
        None, invoice_template("Une troisième", active=True), acting=admin, confirm_second=True
    )
    assert third.active


def test_a_template_becoming_an_active_invoice_email_is_asked_too_but_reminders_never(
    admin: Staff,
) -> None:
    set_active(system(INVOICE_EMAIL.key).id, True, acting=admin)
    reminder = save_template(None, custom(active=True), acting=admin)
    set_active(system(FIRST_REMINDER.key).id, True, acting=admin)  # several reminders are normal
    with pytest.raises(SecondInvoiceEmail):  # a reminder on, made an invoice email
        save_template(reminder.id, custom(active=True, kind="invoice"), acting=admin)
    assert Template.get_by_id(reminder.id).kind == "reminder"


def test_wording_with_hidden_characters_is_refused(admin: Staff) -> None:
    """A bidi override would reverse what the patient reads; a control character hides in a header."""
    with pytest.raises(FieldErrors) as caught:
        save_template(
            None, custom(subject_en="Invoice \u202egnp.exe", body_fr="Bonjour\x1b[2J"), acting=admin
        )
    assert {error.field for error in caught.value.errors} == {"subject_en", "body_fr"}


# Statement templates ---------------------------------------------------------------------------


def statement(**changes: object) -> TemplateInput:
    base = custom(
        name="Relevé mensuel",
        kind="statement",
        delay_value="1",
        delay_unit="months",
        body_fr="Relevé {{ statement_reference }} : {{ amount_due }}\n{{ download_link }}",
        body_en="Statement {{ statement_reference }}: {{ amount_due }}\n{{ download_link }}",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_a_statement_template_shows_a_statements_fields_and_goes_every_period(admin: Staff) -> None:
    saved = save_template(None, statement(), acting=admin)
    assert (saved.kind, saved.delay_value, saved.delay_unit) == ("statement", 1, "months")
    refused = {
        "an invoice's number": statement(body_en="Invoice {{ invoice_number }} {{ download_link }}"),
        "a period of 0": statement(delay_value="0"),
        "no link by secure delivery": statement(body_fr="Votre relevé {{ statement_reference }}"),
    }
    reasons = {}
    for what, data in refused.items():
        with pytest.raises(FieldErrors) as caught:
            save_template(None, data, acting=admin)
        reasons[what] = [(error.field, error.render(EN)) for error in caught.value.errors]
    assert reasons["an invoice's number"] == [
        (
            "body_en",
            "English body: a statement of account covers several invoices and cannot show "
            "{{ invoice_number }}",
        )
    ]
    assert reasons["a period of 0"] == [
        ("delay_value", "a statement goes every period: give a period of 1 or more")
    ]
    assert [field for field, _text in reasons["no link by secure delivery"]] == ["body_fr"]
    # and an invoice email cannot show a statement's fields
    with pytest.raises(FieldErrors) as caught:
        save_template(
            None, custom(body_fr="Relevé {{ statement_reference }} {{ download_link }}"), acting=admin
        )
    assert "is a statement's field" in caught.value.errors[0].render(EN)


def test_one_statement_template_is_on_at_a_time(admin: Staff) -> None:
    shipped = system("statement_monthly")
    set_active(shipped.id, True, acting=admin)
    with pytest.raises(SettingsRefused) as caught:
        save_template(None, statement(active=True), acting=admin)
    assert "already sends statements of account" in caught.value.render(EN)
    mine = save_template(None, statement(), acting=admin)  # off: kept
    with pytest.raises(SettingsRefused):
        set_active(mine.id, True, acting=admin)
    set_active(shipped.id, False, acting=admin)
    assert set_active(mine.id, True, acting=admin).active


def test_the_shipped_statement_template_passes_its_own_check(admin: Staff) -> None:
    shipped = system("statement_monthly")
    saved = save_template(shipped.id, replace(TemplateInput.of(shipped), active=True), acting=admin)
    assert saved.active and saved.body_fr == ""  # still following the catalogs
    assert "{{ statement_reference }}" in wording_of(saved)["body_fr"]


def test_a_statement_goes_every_few_days_or_months_and_a_kind_change_cancels_what_waits(
    setup: Setup, admin: Staff
) -> None:
    with pytest.raises(FieldErrors) as caught:
        save_template(None, statement(delay_value="6", delay_unit="hours"), acting=admin)
    assert [(e.field, e.render(EN)) for e in caught.value.errors] == [
        ("delay_unit", "a statement goes every few days or months: choose days or months")
    ]
    reminder = save_template(None, custom(active=True), acting=admin)
    billed_invoice(setup.company)
    (waiting,) = ScheduledMessage.select().where(ScheduledMessage.template == reminder.id)
    save_template(reminder.id, statement(active=True), acting=admin)  # its rows were a reminder's
    cancelled = ScheduledMessage.get_by_id(waiting.id)
    assert cancelled.status == ScheduleStatus.CANCELLED
    assert reason_text(cancelled.reason, EN) == "the template's kind was changed"


def test_a_text_template_shows_only_what_a_text_may_and_fits_in_three_sms(admin: Staff) -> None:
    text = custom(
        channel="sms",
        body_fr="{{ clinic_name }} : solde de {{ amount_due }}. Payer : {{ payment_link }}",
        body_en="{{ clinic_name }}: {{ amount_due }} due. Pay: {{ payment_link }}",
    )
    saved = save_template(None, text, acting=admin)
    assert (saved.channel, saved.kind, saved.subject_fr, saved.attach_invoice) == (
        "sms",
        "reminder",
        "",
        False,
    )
    with pytest.raises(FieldErrors) as refused:
        save_template(
            None,
            replace(
                text,
                body_fr="{{ clinic_name }} : {{ download_link }} {{ payment_link }}",  # a document's link
                body_en="{{ clinic_name }}: " + "please pay soon " * 40 + "{{ payment_link }}",  # too long
            ),
            acting=admin,
        )
    fr, en = refused.value.errors
    assert (fr.field, fr.params["name"]) == ("body_fr", "{{ download_link }}")
    assert en.field == "body_en" and en.params["count"] > 3 and en.params["encoding"] == "GSM-7"
    no_link = replace(text, body_en="{{ clinic_name }}: {{ amount_due }} due.")
    with pytest.raises(FieldErrors, match="must show"):
        save_template(None, no_link, acting=admin)
    with pytest.raises(FieldErrors) as wrong_kind:
        save_template(None, replace(text, kind="statement"), acting=admin)
    assert wrong_kind.value.field == "kind"
    with pytest.raises(FieldErrors):
        save_template(None, replace(text, channel="email", kind="payment"), acting=admin)

"""The Patients tab and the patient form, driven by keys at 80x24; snapshots at 80x24 and 120x40."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual.pilot import Pilot
from textual.widgets import Checkbox, Input

from models.people.patient import Patient
from testbed.textual_private import notifications
from tui.dialogs.confirm import ConfirmDialog
from tui.screens.invoice_form import InvoiceFormScreen
from tui.screens.patient_form import PatientFormScreen
from tui.screens.patients import PAGE_SIZE, PatientsView
from tui.widgets.invoice_field import FormField
from tui.widgets.page_table import PageTable

from .conftest import Clinic_, snapshot_cases
from .settling import settle

NAMES = [("Bélanger", "Élise"), ("Tremblay", "Marc"), ("Smith", "Olivia"), ("Gagnon", "Léa")]


@pytest.fixture
def patients(clinic: Clinic_) -> list[Patient]:
    return [
        Patient.create(
            last_name=last,
            first_name=first,
            email=f"{first.lower()}@example.org",
            cell_phone=f"+1514555100{index}",
            language="en" if last == "Smith" else "fr",
            health_insurance_number="BELE85022014" if last == "Bélanger" else None,
        )
        for index, (last, first) in enumerate(NAMES)
    ]


def messages(app: object) -> list[str]:
    return notifications(app)


def shown(app: object) -> list[str]:
    view = app.screen.query_one(PatientsView)  # type: ignore[attr-defined]
    return [f"{row.last_name}, {row.first_name}" for row in view.rows]


async def search(pilot: Pilot[object], text: str) -> None:
    field = pilot.app.screen.query_one("#patients-search", Input)
    field.value = ""
    field.focus()
    await pilot.press(*text)
    await settle(pilot)


def form_of(app: object) -> PatientFormScreen:
    screen = app.screen  # type: ignore[attr-defined]
    assert isinstance(screen, PatientFormScreen)
    return screen


def error_of(form: PatientFormScreen, field: str) -> str | None:
    widget = form.query_one(f"#field-{field}", FormField)
    if not widget.has_class("-has-error"):
        return None
    return str(widget.query_one(".field-error").render())


# The list -----------------------------------------------------------------------------


async def test_search_by_name_accents_folded_phone_and_email(
    make_app: Callable[..., object], patients: list[Patient]
) -> None:
    app = make_app("clerk")
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        await settle(pilot)
        assert shown(app) == ["Bélanger, Élise", "Gagnon, Léa", "Smith, Olivia", "Tremblay, Marc"]
        await search(pilot, "BELANGER el")
        assert shown(app) == ["Bélanger, Élise"]
        await search(pilot, "555 1003")
        assert shown(app) == ["Gagnon, Léa"]
        await search(pilot, "olivia@ex")
        assert shown(app) == ["Smith, Olivia"]
        await search(pilot, "bele850")
        assert shown(app) == ["Bélanger, Élise"]
        await search(pilot, "nobody")
        assert shown(app) == []
        table = app.screen.query_one("#patients-table", PageTable)  # type: ignore[attr-defined]
        assert table.row_count == 0


async def test_pages_load_near_the_end(make_app: Callable[..., object], clinic: Clinic_) -> None:
    Patient.insert_many(
        [
            {"last_name": f"Nom{index:04d}", "first_name": "Test", "search_name": f"nom{index:04d} test"}
            for index in range(PAGE_SIZE * 2 + 30)
        ]
    ).execute()
    app = make_app("clerk")
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        await settle(pilot)
        view = app.screen.query_one(PatientsView)  # type: ignore[attr-defined]
        assert len(view.rows) == PAGE_SIZE
        table = view.query_one("#patients-table", PageTable)
        table.focus()
        table.move_cursor(PAGE_SIZE - 5)
        await settle(pilot)
        assert len(view.rows) == PAGE_SIZE * 2
        table.move_cursor(PAGE_SIZE * 2 - 1)
        await settle(pilot)
        assert len(view.rows) == PAGE_SIZE * 2 + 30 and view.exhausted
        names = [row.last_name for row in view.rows]
        assert names == sorted(names) and len(set(names)) == len(names)  # keyset pages: no gap, no repeat


# Adding and editing -------------------------------------------------------------------


async def test_add_a_patient_normalized_values_shown(
    make_app: Callable[..., object], patients: list[Patient]
) -> None:
    app = make_app("clerk")
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        await settle(pilot)
        app.screen.query_one("#patients-table").focus()  # type: ignore[attr-defined]
        await pilot.press("a")
        await settle(pilot)
        form = form_of(app)
        assert form.ready and app.focused is form.query_one("#last_name")  # type: ignore[attr-defined]
        await pilot.press(*"Côté", "enter", *"Amélie", "enter", *"Amelie@Example.org", "enter")
        await pilot.press(*"(514) 555-9876", "enter", *"cote 9001 0112")
        form.query_one("#consent_email_attachments", Checkbox).value = True
        await pilot.press("ctrl+s")
        await settle(pilot)
        patient = Patient.get(Patient.last_name == "Côté")
        assert (patient.first_name, patient.cell_phone) == ("Amélie", "+15145559876")
        assert patient.health_insurance_number == "COTE90010112"
        assert patient.receive_reminders and patient.consent_email_attachments
        assert form.query_one("#cell_phone", Input).value == "+15145559876"
        assert form.query_one("#health_insurance_number", Input).value == "COTE90010112"
        assert not form.dirty and "Amélie Côté saved" in messages(app)
        await pilot.press("escape")
        await settle(pilot)
        assert "Côté, Amélie" in shown(app)


async def test_edit_a_patient(make_app: Callable[..., object], patients: list[Patient]) -> None:
    app = make_app("admin")
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        await search(pilot, "tremb")
        await pilot.press("enter", "enter")  # to the list, then open the row
        await settle(pilot)
        form = form_of(app)
        assert form.query_one("#email", Input).value == "marc@example.org"
        form.query_one("#email", Input).value = "marc.tremblay@example.org"
        form.query_one("#receive_reminders", Checkbox).value = False
        await pilot.press("ctrl+s")
        await settle(pilot)
        patient = Patient.get_by_id(patients[1].id)
        assert patient.email == "marc.tremblay@example.org" and not patient.receive_reminders
        assert patient.cell_phone == "+15145551001"  # untouched fields stay
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, PatientFormScreen)  # type: ignore[attr-defined]


async def test_invalid_email_and_phone_are_marked_nothing_saved_text_kept(
    make_app: Callable[..., object], patients: list[Patient]
) -> None:
    app = make_app("clerk")
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        await settle(pilot)
        app.screen.query_one(PatientsView).action_add()  # type: ignore[attr-defined]
        await settle(pilot)
        form = form_of(app)
        await pilot.press(*"Roy", "enter", "enter", *"roy@@example", "enter", *"555-12")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert Patient.select().where(Patient.last_name == "Roy").count() == 0
        assert error_of(form, "email") and "roy@@example" in str(error_of(form, "email"))
        assert "555-12 is not a valid phone number" in str(error_of(form, "cell_phone"))
        assert error_of(form, "first_name") == "this field is required"
        assert error_of(form, "last_name") is None
        assert form.query_one("#email", Input).value == "roy@@example"
        assert form.query_one("#cell_phone", Input).value == "555-12"
        assert app.focused is form.query_one("#first_name")  # type: ignore[attr-defined]
        assert "Nothing was saved: please correct the marked fields" in messages(app)
        # Corrected, it saves and the marks go.
        await pilot.press(*"Luc")
        form.query_one("#email", Input).value = "roy@example.org"
        form.query_one("#cell_phone", Input).value = "514 555 1212"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert Patient.get(Patient.last_name == "Roy").cell_phone == "+15145551212"
        assert all(error_of(form, name) is None for name in ("email", "cell_phone", "first_name"))


async def test_french_errors_for_a_french_speaker(
    make_app: Callable[..., object], patients: list[Patient]
) -> None:
    app = make_app("admin")
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        await settle(pilot)
        app.push_screen(PatientFormScreen(app.session, patients[0].id))  # type: ignore[attr-defined]
        await settle(pilot)
        form = form_of(app)
        form.query_one("#cell_phone", Input).value = "12"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "12 n’est pas un numéro de téléphone valide" in str(error_of(form, "cell_phone")).replace(
            "'", "’"
        )
        assert Patient.get_by_id(patients[0].id).cell_phone == "+15145551000"


async def test_leaving_with_changes_asks_first(
    make_app: Callable[..., object], patients: list[Patient]
) -> None:
    app = make_app("clerk")
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        await settle(pilot)
        app.push_screen(PatientFormScreen(app.session, patients[2].id))  # type: ignore[attr-defined]
        await settle(pilot)
        form = form_of(app)
        await pilot.press("escape")  # nothing changed: leaves at once
        await settle(pilot)
        assert isinstance(app.screen.query_one(PatientsView), PatientsView)  # type: ignore[attr-defined]
        app.push_screen(PatientFormScreen(app.session, patients[2].id))  # type: ignore[attr-defined]
        await settle(pilot)
        form = form_of(app)
        await pilot.press("end", *" Jane")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)  # type: ignore[attr-defined]
        await pilot.press("enter")  # "keep editing" has the focus
        await pilot.pause()
        assert app.screen is form  # type: ignore[attr-defined]
        assert form.query_one("#last_name", Input).value == "Smith Jane"
        await pilot.press("escape")
        await pilot.pause()
        await pilot.click("#confirm-yes")
        await settle(pilot)
        assert not isinstance(app.screen, PatientFormScreen)  # type: ignore[attr-defined]
        assert Patient.get_by_id(patients[2].id).last_name == "Smith"


async def test_a_database_error_becomes_a_notification(
    make_app: Callable[..., object], patients: list[Patient]
) -> None:
    app = make_app("clerk")
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        await settle(pilot)
        app.push_screen(PatientFormScreen(app.session, patients[3].id))  # type: ignore[attr-defined]
        await settle(pilot)
        form = form_of(app)
        Patient.delete().where(Patient.id == patients[3].id).execute()  # gone meanwhile
        form.query_one("#first_name", Input).value = "Lea"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert f"no patient #{patients[3].id}" in messages(app)
        assert app.screen is form and form.dirty and not form.busy  # type: ignore[attr-defined]


# Roles and invoices -------------------------------------------------------------------


async def test_a_provider_reads_but_may_not_change_patients(
    make_app: Callable[..., object], patients: list[Patient]
) -> None:
    app = make_app("dr.roy")
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        await settle(pilot)
        view = app.screen.query_one(PatientsView)  # type: ignore[attr-defined]
        reason = "Dre Julie Roy n’a pas le rôle facturation"
        assert reason in str(view.query_one("#patients-note").render()).replace("'", "’")
        view.query_one("#patients-table").focus()
        await pilot.press("a")
        await settle(pilot)
        assert not isinstance(app.screen, PatientFormScreen)  # type: ignore[attr-defined]
        assert any(reason in text.replace("'", "’") for text in messages(app))
        await pilot.press("e")
        await settle(pilot)
        form = form_of(app)
        assert form.query_one("#last_name", Input).disabled
        form.query_one("#last_name", Input).value = "Changed"  # even if a value changed somehow
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert Patient.get_by_id(patients[0].id).last_name == "Bélanger"
        await pilot.press("escape")  # read-only: never asks
        await settle(pilot)
        assert not isinstance(app.screen, PatientFormScreen)  # type: ignore[attr-defined]


async def test_i_starts_an_invoice_for_the_patient(
    make_app: Callable[..., object], patients: list[Patient]
) -> None:
    app = make_app("clerk")
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        await search(pilot, "smith")
        await pilot.press("down", "i")
        await settle(pilot)
        screen = app.screen  # type: ignore[attr-defined]
        assert isinstance(screen, InvoiceFormScreen)
        assert screen.patient is not None and screen.patient.id == patients[2].id


# Snapshots ----------------------------------------------------------------------------

PEOPLE = {"fr": "admin", "en": "clerk"}


@snapshot_cases
def test_tab_snapshot(
    snap_compare: Callable[..., bool],
    make_app: Callable[..., object],
    patients: list[Patient],
    language: str,
    size: tuple[int, int],
) -> None:
    app = make_app(PEOPLE[language])

    async def ready(pilot: Pilot[object]) -> None:
        await settle(pilot)
        app.screen.query_one("#patients-table").focus()  # type: ignore[attr-defined]
        await pilot.press("down")
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=ready)


@snapshot_cases
def test_form_snapshot(
    snap_compare: Callable[..., bool],
    make_app: Callable[..., object],
    patients: list[Patient],
    language: str,
    size: tuple[int, int],
) -> None:
    app = make_app(PEOPLE[language])

    async def refused(pilot: Pilot[object]) -> None:
        await settle(pilot)
        app.push_screen(PatientFormScreen(app.session, patients[0].id))  # type: ignore[attr-defined]
        await settle(pilot)
        form = form_of(app)
        form.query_one("#cell_phone", Input).value = "555-12"
        await pilot.press("ctrl+s")
        await settle(pilot)
        app.clear_notifications()  # type: ignore[attr-defined]
        form.query_one("#patient-form").scroll_home(animate=False)
        form.query_one("#last_name").focus()
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=refused)


async def test_f3_records_a_consent_with_how_and_the_record_box_follows(
    make_app: Callable[..., object], patients: list[Patient]
) -> None:
    from textual.widgets import Select

    from models.people.consent import consent_history
    from tui.dialogs.consent import ConsentDialog

    app = make_app("admin")  # French
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        await search(pilot, "tremb")
        await pilot.press("enter", "enter")
        await settle(pilot)
        form = form_of(app)
        await pilot.press("f3")
        await settle(pilot)
        dialog = app.screen  # type: ignore[attr-defined]
        assert isinstance(dialog, ConsentDialog)
        shown = str(dialog.query_one("#consent-current").render())
        assert "pièces jointes au courriel ordinaire : non donné" in shown and "courriel : permis" in shown
        assert "Texte présenté au patient (version" in str(dialog.query_one("#consent-wording").render())
        dialog.query_one("#consent-method", Select).value = "form"
        dialog.query_one("#consent-note", Input).value = "formulaire d’accueil"
        await pilot.press("ctrl+s")
        await settle(pilot)
        (record,) = consent_history(patients[1].id)
        assert (record.channel, record.given, record.method, record.note) == (
            "attachments",
            True,
            "form",
            "formulaire d’accueil",
        )
        assert record.recorded_by_name == "Anne Admin"
        assert "formulaire signé" in str(dialog.query_one("#consent-history").render())
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is form and form.query_one("#consent_email_attachments", Checkbox).value  # type: ignore[attr-defined]
        assert not form.dirty  # the box follows the record: nothing to save


async def test_f4_lists_the_live_links_and_r_revokes_one_through_the_outbox(
    make_app: Callable[..., object], patients: list[Patient], clinic: Clinic_
) -> None:
    from decimal import Decimal

    from textual.widgets import OptionList

    from models.billing.invoicing import LineInput, create_draft
    from models.messaging.tables import OutboxMessage
    from models.workflow.lifecycle import bill
    from testbed.invoices import emailed_link
    from tui.dialogs.live_links import LiveLinksDialog

    lines = [LineInput("Consultation", Decimal(1), 9500)]
    invoice = bill(create_draft(patient=patients[1], billing_company=clinic.company, lines=lines))
    link = emailed_link(invoice, "marc@example.org")
    app = make_app("admin")  # French
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        await search(pilot, "tremb")
        await pilot.press("enter", "enter")
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        dialog = app.screen  # type: ignore[attr-defined]
        assert isinstance(dialog, LiveLinksDialog) and dialog.ready
        entry = str(dialog.query_one(OptionList).get_option_at_index(0).prompt)
        assert f"Lien de téléchargement · {invoice.number}" in entry
        assert "à marc@example.org" in entry and "pas ouvert" in entry and "expire le" in entry
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)  # type: ignore[attr-defined]
        await pilot.press("shift+tab", "enter")  # the safe answer has the focus: back to "Révoquer"
        await settle(pilot)
        task = OutboxMessage.get(OutboxMessage.link_action == "revoke")
        assert (task.revokes, task.created_by_id, task.status) == (
            link.token_hash,
            clinic.admin.id,
            "pending",
        )
        assert any("Révocation en file" in text for text in messages(app))
        assert "révocation en attente de l’agent" in str(
            dialog.query_one(OptionList).get_option_at_index(0).prompt
        )

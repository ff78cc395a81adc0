"""Consent a clinic can prove: every change a record (when, by whom, how, the wording's version),
the latest one the patient's state; the box on the record leaves a record too; email withdrawn stops
every email to the patient, queued by staff or by a template, and a third party's stays possible;
and migration 22 keeps the old yes/no flag as a first record."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from locales import translator
from models.billing.invoicing import BilledTo, LineInput, create_draft
from models.core.enums import ConsentChannel, ConsentMethod, PinMode, ScheduleStatus
from models.core.errors import FieldErrors, NotFoundError, ValidationError
from models.messaging.schedule_reasons import reason_text
from models.messaging.tables import ScheduledMessage, Template
from models.people.consent import (
    WORDING,
    consent_history,
    consented,
    parse_channel,
    parse_method,
    record_consent,
)
from models.people.patient import Patient
from models.people.patients import PatientInput, add_patient, edit_patient
from models.workflow.lifecycle import bill
from models.workflow.sending import SendRefused, enqueue_invoice_email, resend
from tests.conftest import Setup

EN = translator("en")
DAY = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


def patient() -> Patient:
    return Patient.create(last_name="Roy", first_name="Léa", email="lea@example.org", language="fr")


def test_each_change_is_a_record_and_the_latest_is_the_state(setup: Setup) -> None:
    lea = patient()
    assert not consented(lea, ConsentChannel.SMS) and consented(lea, ConsentChannel.EMAIL)  # the defaults
    record_consent(lea.id, ConsentChannel.SMS, True, ConsentMethod.FORM, staff=setup.provider, now=DAY)
    later = DAY + timedelta(days=30)
    record_consent(
        lea.id, ConsentChannel.SMS, False, ConsentMethod.PHONE, staff=None, note="rappel", now=later
    )
    lea = Patient.get_by_id(lea.id)
    assert not lea.consent_sms
    newest, oldest = consent_history(lea.id)
    assert (newest.given, newest.method, newest.recorded_by_name, newest.note) == (
        False,
        "phone",
        "",
        "rappel",
    )
    assert (oldest.given, oldest.method, oldest.recorded_by_name) == (True, "form", "Dre Julie Roy")
    assert oldest.wording_version == WORDING[ConsentChannel.SMS].version and oldest.recorded_at == DAY
    with pytest.raises(NotFoundError):
        record_consent(999, ConsentChannel.SMS, True, ConsentMethod.FORM, staff=None)
    with pytest.raises(ValidationError) as refused:
        parse_channel("fax")
    assert refused.value.render(EN) == "fax is not a consent channel; expected attachments, sms or email"
    with pytest.raises(ValidationError):
        parse_method("before_records")  # Facteur's own, never what staff say
    with pytest.raises(ValidationError):  # a note is printed to terminals: nothing hidden in it
        record_consent(lea.id, ConsentChannel.SMS, True, ConsentMethod.FORM, staff=None, note="ok\x1b[2J")


def test_the_box_on_the_record_leaves_a_record_saying_how_was_not_stated(setup: Setup) -> None:
    data = PatientInput(last_name="Roy", first_name="Léa", consent_email_attachments=True)
    lea = add_patient(data, setup.clinic, staff=setup.provider)
    assert lea.consent_email_attachments
    edit_patient(lea.id, PatientInput(first_name="Léanne"), setup.clinic, staff=setup.provider)  # no change
    edit_patient(lea.id, PatientInput(consent_email_attachments=False), setup.clinic, staff=setup.provider)
    withdrawn, given = consent_history(lea.id)
    assert [(r.channel, r.given, r.method, r.wording_version) for r in (withdrawn, given)] == [
        ("attachments", False, "unstated", ""),  # no wording was read
        ("attachments", True, "unstated", ""),
    ]
    assert not Patient.get_by_id(lea.id).consent_email_attachments
    # an edit that leaves the box alone keeps a consent recorded meanwhile elsewhere
    record_consent(lea.id, ConsentChannel.EMAIL, False, ConsentMethod.PHONE, staff=None)
    edit_patient(lea.id, PatientInput(cell_phone="5145550123"), setup.clinic, staff=setup.provider)
    assert Patient.get_by_id(lea.id).email_withdrawn


def test_a_patient_who_withdrew_email_gets_none_but_their_insurer_still_can(setup: Setup) -> None:
    lea = patient()
    lines = [LineInput("Séance", Decimal(1), 9000)]
    own = bill(create_draft(patient=lea, billing_company=setup.company, lines=lines), now=DAY)
    insurer = bill(
        create_draft(
            patient=lea,
            billing_company=setup.company,
            lines=lines,
            billed_to=BilledTo("Assurance XYZ", email="xyz@example.org"),
        ),
        now=DAY,
    )
    before = enqueue_invoice_email(own, pin_mode=PinMode.NONE, attach_pdf=False)
    record_consent(lea.id, ConsentChannel.EMAIL, False, ConsentMethod.PHONE, staff=setup.provider)
    with pytest.raises(SendRefused) as again_refused:
        resend(before, staff=setup.provider)
    assert again_refused.value.render(EN).startswith("Léa Roy withdrew their consent to email")
    with pytest.raises(FieldErrors) as refused:
        enqueue_invoice_email(own, pin_mode=PinMode.SMS, phone="+15145551234")
    assert [e.render(EN) for e in refused.value.errors if e.field == "email"] == [
        "Léa Roy withdrew their consent to email: print the invoice or hand it over instead"
    ]
    to_insurer = enqueue_invoice_email(insurer, pin_mode=PinMode.NONE, attach_pdf=False)
    assert to_insurer.recipient_email == "xyz@example.org"
    # an automatic email is skipped, with the reason
    Template.update(active=True).where(Template.system_key == "invoice_email").execute()
    Patient.update(cell_phone="+15145551234").where(Patient.id == lea.id).execute()
    again = bill(create_draft(patient=lea, billing_company=setup.company, lines=lines), now=DAY)
    (row,) = ScheduledMessage.select().where(ScheduledMessage.invoice == again.id)
    assert row.status == ScheduleStatus.SKIPPED
    assert reason_text(row.reason, EN).startswith("Léa Roy withdrew their consent to email")


@pytest.mark.sqlite_only  # the migration's own test: the schema comparison covers PostgreSQL
def test_migration_22_keeps_the_old_flag_as_a_first_record(tmp_path: Path) -> None:
    from models.database.db import close_database, open_database
    from models.setup.schema import ensure_schema
    from tests.models.setup.test_migrations import make_v1

    close_database()
    database = open_database(make_v1(tmp_path / "old.db"))
    database.execute_sql(
        "INSERT INTO patient (last_name, first_name, receive_reminders, consent_email_attachments, "
        "created_at, updated_at) VALUES ('Roy', 'Léa', 1, 1, '2025-05-01 10:00:00', '2025-06-01 10:00:00'), "
        "('Côté', 'Luc', 1, 0, '2025-05-01 10:00:00', '2025-05-01 10:00:00')"
    )
    ensure_schema(database)
    lea = Patient.get(Patient.last_name == "Roy")
    luc = Patient.get(Patient.last_name == "Côté")
    (record,) = consent_history(lea.id)
    assert (record.channel, record.given, record.method) == ("attachments", True, "before_records")
    assert record.recorded_at == datetime(2025, 6, 1, 10, 0, tzinfo=UTC)
    assert consent_history(luc.id) == [] and not lea.consent_sms and not luc.email_withdrawn
    close_database()

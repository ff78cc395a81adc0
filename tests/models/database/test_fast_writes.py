"""``models.database.fast_writes``: the once-built statements read and write exactly what peewee's own
queries do, on SQLite and PostgreSQL, and refuse the shapes they do not cover."""

from __future__ import annotations

import datetime as dt

import peewee
import pytest

from models.database.fast_writes import delete_where, insert_row, select_where, update_where
from models.people.patient import Patient

WHEN = dt.datetime(2026, 11, 22, 15, 30, 12, 345678, tzinfo=dt.UTC)


def test_an_inserted_row_reads_back_as_peewee_wrote_it(database: peewee.Database) -> None:
    key = insert_row(
        Patient, {Patient.last_name: "Bélanger", Patient.first_name: "Élise", Patient.created_at: WHEN}
    )
    patient = Patient.get_by_id(key)
    assert (patient.last_name, patient.first_name, patient.created_at) == ("Bélanger", "Élise", WHEN)
    assert patient.receive_reminders is True and patient.search_name == ""  # the fields' defaults
    made = Patient.create(last_name="Roy", first_name="Marc")
    assert made.id == key + 1  # the key is the database's own: the next one follows it


def test_select_update_and_delete_by_equalities(database: peewee.Database) -> None:
    first = Patient.create(last_name="Roy", first_name="Marc", language="fr", created_at=WHEN)
    Patient.create(last_name="Roy", first_name="Anne", language="en")
    rows = select_where(Patient, (Patient.id, Patient.created_at), {Patient.first_name: "Marc"})
    assert rows == [(first.id, WHEN)]  # read through the field: an aware datetime, as peewee gives
    assert sorted(select_where(Patient, (Patient.first_name,), {Patient.last_name: "Roy"})) == [
        ("Anne",),
        ("Marc",),
    ]
    assert select_where(Patient, (Patient.id,), {Patient.last_name: "Nobody"}) == []

    changed = update_where(
        Patient, {Patient.email: "marc@example.org"}, {Patient.last_name: "Roy", Patient.language: "fr"}
    )
    assert changed == 1 and Patient.get_by_id(first.id).email == "marc@example.org"
    assert delete_where(Patient, {Patient.last_name: "Roy", Patient.language: "en"}) == 1
    assert [p.first_name for p in Patient.select()] == ["Marc"]


def test_a_statement_without_conditions_is_refused(database: peewee.Database) -> None:
    """An UPDATE or DELETE of every row is never what a hot path means: refused, nothing runs."""
    Patient.create(last_name="Roy", first_name="Marc")
    with pytest.raises(ValueError, match="conditions"):
        delete_where(Patient, {})
    with pytest.raises(ValueError, match="conditions"):
        update_where(Patient, {Patient.email: "x@example.org"}, {})
    with pytest.raises(ValueError, match="conditions"):
        select_where(Patient, (Patient.id,), {})
    assert Patient.select().count() == 1 and Patient.get().email is None

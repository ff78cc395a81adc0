"""Adding and editing patients, every field checked the same way wherever it is typed."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from locales import N_
from models.core.enums import ConsentChannel, ConsentMethod
from models.core.errors import NotFoundError, ValidationError
from models.core.text import fold
from models.core.validation import (
    blank_to_none,
    validate_cell_phone,
    validate_email,
    validate_insurance_number,
    validate_language,
    validate_name,
)
from models.database.base import utcnow
from models.database.db import db
from models.people.clinic import Clinic, Staff
from models.people.consent import lock_patient, record_consent
from models.people.patient import Patient


@dataclass(frozen=True)
class PatientInput:
    """What staff typed; ``None`` leaves a field as it is when editing."""

    last_name: str | None = None
    first_name: str | None = None
    email: str | None = None  # "" clears it
    cell_phone: str | None = None
    language: str | None = None
    health_insurance_number: str | None = None
    receive_reminders: bool | None = None
    receive_statements: bool | None = None
    consent_email_attachments: bool | None = None


def clean_patient_input(data: PatientInput, clinic: Clinic) -> dict[str, object]:
    """Validate and normalize every given field; raise ``ValidationError`` on the first bad one."""
    cleaned: dict[str, object] = {}
    for item in fields(data):
        value = getattr(data, item.name)
        if value is None:
            continue
        if item.name in ("last_name", "first_name"):
            cleaned[item.name] = validate_name(value, item.name)
        elif item.name == "email":
            cleaned[item.name] = validate_email(value) if blank_to_none(value) else None
        elif item.name == "cell_phone":
            cleaned[item.name] = validate_cell_phone(value, clinic.country) if blank_to_none(value) else None
        elif item.name == "language":
            cleaned[item.name] = validate_language(value) if blank_to_none(value) else None
        elif item.name == "health_insurance_number":
            cleaned[item.name] = (
                validate_insurance_number(value, clinic.country, clinic.region)
                if blank_to_none(value)
                else None
            )
        else:
            cleaned[item.name] = bool(value)
    return cleaned


def add_patient(data: PatientInput, clinic: Clinic, *, staff: Staff | None = None) -> Patient:
    """A new patient; a consent ticked on their record is recorded as given by ``staff``."""
    cleaned = clean_patient_input(data, clinic)
    for required in ("last_name", "first_name"):
        if required not in cleaned:
            validate_name("", required)  # raises the usual "required" error
    attachments = cleaned.pop("consent_email_attachments", False)
    with db.atomic():
        patient = Patient(**cleaned)
        patient.save()
        if attachments:
            _record_ticked(patient.id, bool(attachments), staff)
    return Patient.get_by_id(patient.id)


def edit_patient(
    patient_id: int, data: PatientInput, clinic: Clinic, *, staff: Staff | None = None
) -> Patient:
    """Change the fields given; a consent ticked or unticked on the record is recorded (by ``staff``)."""
    cleaned = clean_patient_input(data, clinic)
    attachments = cleaned.pop("consent_email_attachments", None)
    with db.atomic():
        patient = lock_patient(patient_id)
        if patient is None:
            raise NotFoundError(N_("no patient #{id}"), id=patient_id)
        for name, value in cleaned.items():
            setattr(patient, name, value)
        patient.updated_at = utcnow()
        # only what was typed: a consent recorded meanwhile elsewhere keeps its state
        fields = [Patient._meta.fields[name] for name in (*cleaned, "updated_at", "search_name")]
        patient.save(only=fields)
        if attachments is not None and bool(attachments) != patient.consent_email_attachments:
            _record_ticked(patient.id, bool(attachments), staff)
    return Patient.get_by_id(patient_id)


def _record_ticked(patient_id: int, given: bool, staff: Staff | None) -> None:
    """The attachment consent's box on the record: a consent record, how it was given not stated
    (``facteur patient consent`` and the consent dialog say how)."""
    record_consent(patient_id, ConsentChannel.ATTACHMENTS, given, ConsentMethod.UNSTATED, staff=staff)


def search_patients(
    text: str = "", limit: int | None = 50, *, after: tuple[str, int] | None = None
) -> list[Patient]:
    """Patients whose name, email, phone or insurance number matches ``text``.

    Names match by folded prefix of "last first" or of a later word, the first name
    ("belanger el", "elise", "ÉLISE"); digits match the phone's or insurance number's end or start. Rows come
    in ``(search_name, id)`` order; ``after`` (the last row's key) starts the next page
    there, so a deep page costs no more than the first.
    """
    query = Patient.select().order_by(Patient.search_name, Patient.id)
    if after is not None:
        name, last_id = after
        query = query.where(
            (Patient.search_name > name) | ((Patient.search_name == name) & (Patient.id > last_id))
        )
    needle = text.strip()
    if needle:
        folded = fold(needle)
        digits = "".join(ch for ch in needle if ch.isdigit())
        # Both on the folded key: LIKE ignores only ASCII case on SQLite and all case on PostgreSQL,
        # so a raw "élise" would find "Élise" on one and not the other.
        condition = Patient.search_name.startswith(folded) | Patient.search_name.contains(f" {folded}")
        condition |= Patient.email.startswith(needle.lower())
        condition |= Patient.health_insurance_number.startswith(needle.upper().replace(" ", ""))
        if len(digits) >= 4:
            condition |= Patient.cell_phone.endswith(digits) | Patient.cell_phone.contains(digits)
        query = query.where(condition)
    if limit:
        query = query.limit(limit)
    return list(query)


@dataclass(frozen=True)
class PatientRow:
    """One line of the patient list, plain data a worker thread can hand to the UI."""

    id: int
    last_name: str
    first_name: str
    cell_phone: str | None
    email: str | None
    language: str | None
    health_insurance_number: str | None
    key: tuple[str, int]  # where the next page starts (``search_patients(after=...)``)


def patient_rows(text: str = "", limit: int = 100, after: tuple[str, int] | None = None) -> list[PatientRow]:
    """A page of ``search_patients`` as ``PatientRow``s."""
    return [
        PatientRow(
            patient.id,
            patient.last_name,
            patient.first_name,
            patient.cell_phone,
            patient.email,
            patient.language,
            patient.health_insurance_number,
            (patient.search_name, patient.id),
        )
        for patient in search_patients(text, limit, after=after)
    ]


def get_patient(patient_id: int) -> Patient:
    """The patient, or ``NotFoundError`` (deleted since the list was drawn, say)."""
    patient = Patient.get_or_none(Patient.id == patient_id)
    if patient is None:
        raise NotFoundError(N_("no patient #{id}"), id=patient_id)
    return patient


def patient_input_problems(data: PatientInput, clinic: Clinic, *, new: bool) -> list[ValidationError]:
    """Every refused field of ``data`` at once (``clean_patient_input`` stops at the first).

    A form marks them all together; ``new`` also requires both names, as ``add_patient`` does.
    """
    problems: list[ValidationError] = []
    for item in fields(data):
        value = getattr(data, item.name)
        if value is None and not (new and item.name in ("last_name", "first_name")):
            continue
        try:
            single: dict[str, Any] = {item.name: "" if value is None else value}
            clean_patient_input(PatientInput(**single), clinic)
        except ValidationError as exc:
            problems.append(exc)
    return problems

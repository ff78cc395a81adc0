"""Consent a clinic can prove: per patient and channel, given or withdrawn, when, by whom, how, and
the version of the wording the patient was shown (what Ontario's PHIPA guidance and Québec's Law 25
expect a clinic to be able to show).

Every change is a ``ConsentRecord`` row, never edited or deleted; the patient's current state is
the latest one, kept on the patient's row too (``consent_email_attachments``, ``consent_sms``,
``email_withdrawn``) so the send paths and the agent read it with the patient. Without a record,
plain-email attachments and text messages are not consented to, and email is allowed (a patient
withdraws it). The wording shown for each channel is a catalog text with a version
(``WORDING``): a new wording gets a new version, so a record says which one was read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import peewee

from locales import N_
from models.core.enums import ConsentChannel, ConsentMethod
from models.core.errors import NotFoundError, ValidationError
from models.core.validation import check_plain_text
from models.database.base import BaseModel, UTCDateTimeField, one_of, utcnow
from models.database.db import db, locked
from models.people.clinic import Staff
from models.people.patient import Patient


@dataclass(frozen=True)
class Wording:
    version: str
    text: str  # a msgid: read in the patient's language


WORDING: dict[ConsentChannel, Wording] = {
    ConsentChannel.ATTACHMENTS: Wording(
        "2026-12-07",
        N_(
            "I agree that the clinic may email me my invoices as attachments to an ordinary, "
            "unencrypted email. I know such an email can be read by others on its way, and that I "
            "can withdraw this consent at any time."
        ),
    ),
    ConsentChannel.SMS: Wording(
        "2026-12-07",
        N_(
            "I agree that the clinic may send me text messages about my invoices and payments (never "
            "a health detail). I can withdraw this consent at any time."
        ),
    ),
    ConsentChannel.EMAIL: Wording(
        "2026-12-07",
        N_(
            "I agree that the clinic may email me about my invoices and payments (never a health "
            "detail; documents by secure link). I can withdraw this consent at any time."
        ),
    ),
}

# the patient's column that holds each channel's current state, and what it holds when given
_STATE: dict[ConsentChannel, tuple[peewee.Field, bool]] = {
    ConsentChannel.ATTACHMENTS: (Patient.consent_email_attachments, True),
    ConsentChannel.SMS: (Patient.consent_sms, True),
    ConsentChannel.EMAIL: (Patient.email_withdrawn, False),
}


class ConsentRecord(BaseModel):
    patient = peewee.ForeignKeyField(Patient, backref="consents", on_delete="RESTRICT")
    channel = peewee.CharField(max_length=12, constraints=[one_of("channel", ConsentChannel)])
    given = peewee.BooleanField()  # False: withdrawn
    method = peewee.CharField(max_length=16, constraints=[one_of("method", ConsentMethod)])
    wording_version = peewee.CharField(max_length=32)
    recorded_by = peewee.ForeignKeyField(Staff, null=True, backref="+", on_delete="SET NULL")
    recorded_by_name = peewee.CharField(max_length=200, default="")  # kept if the staff row goes
    note = peewee.CharField(max_length=200, default="")
    recorded_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "consent_record"
        indexes = ((("patient", "channel", "recorded_at"), False),)


def parse_channel(value: str) -> ConsentChannel:
    try:
        return ConsentChannel(value.strip().lower())
    except ValueError:
        raise ValidationError(
            "channel",
            N_("{value} is not a consent channel; expected attachments, sms or email"),
            value=value,
        ) from None


# how staff say a consent was given (the other two are Facteur's own)
STAFF_METHODS = (ConsentMethod.IN_PERSON, ConsentMethod.FORM, ConsentMethod.PHONE, ConsentMethod.EMAIL)


def parse_method(value: str) -> ConsentMethod:
    """How staff say a consent was given or withdrawn: one of ``STAFF_METHODS``."""
    try:
        method = ConsentMethod(value.strip().lower())
        if method not in STAFF_METHODS:
            raise ValueError(method)
        return method
    except ValueError:
        raise ValidationError(
            "method",
            N_("{value} is not how a consent is given; expected in_person, form, phone or email"),
            value=value,
        ) from None


def record_consent(
    patient_id: int,
    channel: ConsentChannel,
    given: bool,
    method: ConsentMethod,
    *,
    staff: Staff | None,
    note: str = "",
    now: datetime | None = None,
) -> ConsentRecord:
    """Record that the patient gave (``given``) or withdrew consent to ``channel``, and make it their
    current state. A record never changes: a new one follows it."""
    check_plain_text(note, "note")  # a note is printed to terminals and screens: nothing hidden
    if len(note) > 200:
        raise ValidationError("note", N_("the note is too long (at most {max} characters)"), max=200)
    with db.atomic():
        if lock_patient(patient_id) is None:
            raise NotFoundError(N_("no patient #{id}"), id=patient_id)
        now = now or utcnow()  # taken under the lock: records of one patient follow their order
        record = ConsentRecord.create(
            patient=patient_id,
            channel=channel.value,
            given=given,
            method=method.value,
            # the box on the record shows no wording: its record claims none was read
            wording_version="" if method is ConsentMethod.UNSTATED else WORDING[channel].version,
            recorded_by=staff,
            recorded_by_name=staff.display_name if staff is not None else "",
            note=note.strip(),
            recorded_at=now,
        )
        column, when_given = _STATE[channel]
        value = when_given if given else not when_given
        Patient.update({column: value, Patient.updated_at: now}).where(Patient.id == patient_id).execute()
    return record


def lock_patient(patient_id: int) -> Patient | None:
    """The patient's row, locked until the transaction ends: a consent and an edit of the record
    never overwrite each other's state."""
    return locked(Patient.select().where(Patient.id == patient_id)).first()


def consent_history(patient_id: int) -> list[ConsentRecord]:
    """Every consent recorded for the patient, newest first."""
    return list(
        ConsentRecord.select()
        .where(ConsentRecord.patient == patient_id)
        .order_by(ConsentRecord.recorded_at.desc(), ConsentRecord.id.desc())
    )


def consented(patient: Patient, channel: ConsentChannel) -> bool:
    """The patient's current state for ``channel`` (email: True until withdrawn)."""
    column, when_given = _STATE[channel]
    return bool(getattr(patient, column.name)) == when_given

"""Version 22: consent a clinic can prove. ``consent_record`` keeps every consent given or withdrawn
(per patient and channel: when, by whom, how, the wording's version); the patient's row keeps the
current state of each channel (``consent_sms``, ``email_withdrawn`` join
``consent_email_attachments``). A patient whose attachment flag was on gets a first record saying
it was recorded before records were kept, dated from their row's last change; nobody starts with a
text-message consent."""

from __future__ import annotations

import peewee
from playhouse.migrate import SchemaMigrator, migrate

from models.database.base import UTCDateTimeField

VERSION = 22

_CHANNELS = "channel IN ('attachments', 'sms', 'email')"
_METHODS = "method IN ('in_person', 'form', 'phone', 'email', 'unstated', 'before_records')"


def apply(database: peewee.Database) -> None:
    # The tables as they were on the day this was written, not today's models.
    class Patient(peewee.Model):
        id = peewee.AutoField()
        consent_email_attachments = peewee.BooleanField()
        updated_at = UTCDateTimeField()

        class Meta:
            table_name = "patient"

    class Staff(peewee.Model):
        class Meta:
            table_name = "staff"

    class ConsentRecord(peewee.Model):
        patient = peewee.ForeignKeyField(Patient, on_delete="RESTRICT")
        channel = peewee.CharField(max_length=12, constraints=[peewee.Check(_CHANNELS)])
        given = peewee.BooleanField()
        method = peewee.CharField(max_length=16, constraints=[peewee.Check(_METHODS)])
        wording_version = peewee.CharField(max_length=32)
        recorded_by = peewee.ForeignKeyField(Staff, null=True, on_delete="SET NULL")
        recorded_by_name = peewee.CharField(max_length=200, default="")
        note = peewee.CharField(max_length=200, default="")
        recorded_at = UTCDateTimeField()

        class Meta:
            table_name = "consent_record"
            indexes = ((("patient", "channel", "recorded_at"), False),)

    database.bind([Patient, Staff, ConsentRecord])
    database.create_tables([ConsentRecord])
    migrator = SchemaMigrator.from_database(database)
    migrate(
        migrator.add_column("patient", "consent_sms", peewee.BooleanField(default=False)),
        migrator.add_column("patient", "email_withdrawn", peewee.BooleanField(default=False)),
    )
    given = Patient.select(Patient.id, Patient.updated_at).where(Patient.consent_email_attachments == True)  # noqa: E712
    rows = [
        {
            "patient": patient.id,
            "channel": "attachments",
            "given": True,
            "method": "before_records",
            "wording_version": "",
            "recorded_by": None,
            "recorded_by_name": "",
            "note": "",
            "recorded_at": patient.updated_at,
        }
        for patient in given
    ]
    for start in range(0, len(rows), 500):
        ConsentRecord.insert_many(rows[start : start + 500]).execute()

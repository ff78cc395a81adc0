"""Version 25: staff pause reminders. ``reminder_pause`` holds each pause of one invoice's or one
patient's payment reminders: the reason, the clinic's date they resume on, who paused and when, and
when and by whom it ended early (``models.workflow.reminder_pauses``). Exactly one of the patient and
the invoice is set."""

from __future__ import annotations

import peewee

from models.database.base import UTCDateTimeField

VERSION = 25

_ONE_TARGET = (
    "(patient_id IS NULL AND invoice_id IS NOT NULL) OR (patient_id IS NOT NULL AND invoice_id IS NULL)"
)


def apply(database: peewee.Database) -> None:
    # The tables as they were on the day this was written, not today's models.
    class Patient(peewee.Model):
        class Meta:
            table_name = "patient"

    class Invoice(peewee.Model):
        class Meta:
            table_name = "invoice"

    class Staff(peewee.Model):
        class Meta:
            table_name = "staff"

    class ReminderPause(peewee.Model):
        patient = peewee.ForeignKeyField(Patient, null=True, backref="+", on_delete="CASCADE")
        invoice = peewee.ForeignKeyField(Invoice, null=True, backref="+", on_delete="CASCADE")
        reason = peewee.CharField(max_length=200)
        resume_on = peewee.DateField()
        created_by = peewee.ForeignKeyField(Staff, null=True, backref="+", on_delete="SET NULL")
        created_at = UTCDateTimeField()
        ended_at = UTCDateTimeField(null=True)
        ended_by = peewee.ForeignKeyField(Staff, null=True, backref="+", on_delete="SET NULL")

        class Meta:
            table_name = "reminder_pause"
            constraints = (peewee.Check(_ONE_TARGET),)

    database.bind([Patient, Invoice, Staff, ReminderPause])
    database.create_tables([ReminderPause])

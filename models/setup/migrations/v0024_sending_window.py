"""Version 24: the clinic's sending window. ``clinic`` gains its sending hours, days and holiday
calendar (``models.messaging.sending_window``); a clinic upgraded here gets business hours, Monday to
Friday, 08:00 to 18:00, and the public holidays of its country and region where they are known.
``outbox_message.in_window`` marks a message that waits for the window (automatic ones, or staff
chose it); those already queued go as before."""

from __future__ import annotations

import peewee
from playhouse.migrate import SchemaMigrator, migrate

from models.messaging.sending_window import BUSINESS_HOURS, default_calendar

VERSION = 24


def apply(database: peewee.Database) -> None:
    migrator = SchemaMigrator.from_database(database)
    migrate(
        migrator.add_column("clinic", "send_opens", peewee.CharField(max_length=5, default="00:00")),
        migrator.add_column("clinic", "send_closes", peewee.CharField(max_length=5, default="24:00")),
        migrator.add_column("clinic", "send_days", peewee.CharField(max_length=20, default="1-7")),
        migrator.add_column("clinic", "holiday_calendar", peewee.CharField(max_length=10, default="")),
        migrator.add_column("outbox_message", "in_window", peewee.BooleanField(default=False)),
    )
    clinic = peewee.Table("clinic").bind(database)
    opens, closes, days = BUSINESS_HOURS
    for row in clinic.select(clinic.c.id, clinic.c.country, clinic.c.region).dicts():
        calendar = default_calendar(str(row["country"] or ""), str(row["region"] or "").upper())
        clinic.update(
            {
                clinic.c.send_opens: opens,
                clinic.c.send_closes: closes,
                clinic.c.send_days: days,
                clinic.c.holiday_calendar: calendar,
            }
        ).where(clinic.c.id == row["id"]).execute()

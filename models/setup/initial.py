"""Setting a database up: schema, the clinic's record and its first admin."""

from __future__ import annotations

from dataclasses import dataclass

import peewee

from models.core.config import ClinicSettings
from models.core.enums import Role
from models.core.validation import validate_country, validate_language, validate_login, validate_timezone
from models.database.db import db, serialize_writers
from models.messaging.sending_window import BUSINESS_HOURS, default_calendar
from models.people.clinic import Clinic, Staff
from models.people.staff_members import current_login
from models.setup.schema import ensure_schema


@dataclass(frozen=True)
class InitReport:
    version_before: int | None
    version_after: int
    clinic_created: bool
    admin_created: str | None  # the login added as the first admin


def init_database(
    database: peewee.Database, settings: ClinicSettings, *, first_admin: str | None = None
) -> InitReport:
    """Create or upgrade the schema and seed the clinic; safe to run again (idempotent). The
    first admin is ``first_admin``, else whoever runs it."""
    if first_admin is not None:
        first_admin = validate_login(first_admin)
    before, after = ensure_schema(database)
    clinic_created = False
    admin_created = None
    with db.atomic():
        serialize_writers("setup")  # two `db init` at once create one clinic and one admin
        if Clinic.select().count() == 0:
            country, region = validate_country(settings.country), settings.region.upper()
            opens, closes, days = BUSINESS_HOURS
            Clinic.create(
                name=settings.name,
                country=country,
                region=region,
                timezone=validate_timezone(settings.timezone),
                default_language=validate_language(settings.language),
                send_opens=opens,
                send_closes=closes,
                send_days=days,
                holiday_calendar=default_calendar(country, region),
            )
            clinic_created = True
        if not Staff.select().where(Staff.roles.contains(Role.ADMIN.value)).exists():
            login = first_admin or current_login()
            staff = Staff.get_or_none(Staff.login == login)
            if staff is None:
                Staff.create(
                    login=login, display_name=login, roles="admin,billing", language=settings.language
                )
            else:
                staff.roles = ",".join(sorted({*staff.roles.split(","), "admin"} - {""}))
                staff.save()
            admin_created = login
    return InitReport(before, after, clinic_created, admin_created)

"""The base model, UTC time fields and CHECK constraints for enum columns."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import peewee

from models.database.db import db


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTimeField(peewee.DateTimeField):
    """Stores naive UTC, returns aware UTC: times are UTC in the database, always."""

    def db_value(self, value: Any) -> Any:
        if isinstance(value, datetime):
            if value.tzinfo is None:
                raise ValueError("naive datetime given to a UTC field")
            value = value.astimezone(UTC).replace(tzinfo=None)
        return super().db_value(value)

    def python_value(self, value: Any) -> Any:
        value = super().python_value(value)
        if isinstance(value, datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


def one_of(column: str, choices: type[StrEnum]) -> peewee.SQL | peewee.NodeList:
    """A CHECK constraint keeping ``column`` within an enum's values."""
    values = ", ".join(f"'{choice.value}'" for choice in choices)
    return peewee.Check(f"{column} IN ({values})")


class BaseModel(peewee.Model):
    id = peewee.AutoField()

    class Meta:
        database = db
        legacy_table_names = False


def fk_id(row: peewee.Model, field: str) -> Any:
    """The id a foreign key holds, without loading the row (peewee's ``x_id``, typed)."""
    return row.__data__.get(field)

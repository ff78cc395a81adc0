"""The patient record: the administrative center staff search and edit."""

from __future__ import annotations

from typing import Any

import peewee

from models.core.text import name_key
from models.database.base import BaseModel, UTCDateTimeField, utcnow


class Patient(BaseModel):
    last_name = peewee.CharField(max_length=100)
    first_name = peewee.CharField(max_length=100)
    search_name = peewee.CharField(max_length=210, default="", index=True)  # since schema 2
    email = peewee.CharField(max_length=254, null=True, index=True)
    cell_phone = peewee.CharField(max_length=20, null=True, index=True)  # E.164
    language = peewee.CharField(max_length=2, null=True)  # None: the clinic's default
    health_insurance_number = peewee.CharField(max_length=32, null=True, index=True)
    receive_reminders = peewee.BooleanField(default=True)
    # a statement of account every period instead of each invoice's reminders (schema 21)
    receive_statements = peewee.BooleanField(default=False)
    # the current consent states; each change is a ``consent.ConsentRecord`` (schema 22)
    consent_email_attachments = peewee.BooleanField(default=False)
    consent_sms = peewee.BooleanField(default=False)
    email_withdrawn = peewee.BooleanField(default=False)
    created_at = UTCDateTimeField(default=utcnow)
    updated_at = UTCDateTimeField(default=utcnow)

    class Meta:
        indexes = ((("last_name", "first_name"), False),)

    def save(self, *args: Any, **kwargs: Any) -> Any:
        self.search_name = name_key(self.last_name, self.first_name)
        return super().save(*args, **kwargs)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

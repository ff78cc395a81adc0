"""The portal's own SQLite database: links, their encrypted documents and the events the agent pulls.

It never holds the clinic's data: a link is known by its token's hash, its PIN by a
keyed hash, its documents' names as ciphertext and their content as encrypted files
(``portal.blobs``). Nothing connects at import: ``open_portal_database(path)`` binds
``portal_db``. One portal per process, like ``models.database.db``.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import peewee
from peewee import DatabaseProxy
from playhouse.sqlite_ext import AutoIncrementField

from models.database.base import UTCDateTimeField

portal_db = DatabaseProxy()

SCHEMA_VERSION = 1
BUSY_TIMEOUT_SECONDS = 10
PRAGMAS = (
    ("journal_mode", "wal"),
    ("foreign_keys", 1),
    ("busy_timeout", BUSY_TIMEOUT_SECONDS * 1000),
    ("synchronous", 2),  # FULL: a lock written before the page said "locked" survives a power cut
    ("secure_delete", 1),  # deleted rows are overwritten, not left in free pages
)


class PortalModel(peewee.Model):
    class Meta:
        database = portal_db
        legacy_table_names = False


class Link(PortalModel):
    """One emailed link. The row outlives its documents, so a late visit can read "expired"."""

    id = peewee.AutoField()
    token_hash = peewee.CharField(max_length=64, unique=True)
    pin_hash = peewee.CharField(max_length=64)
    language = peewee.CharField(max_length=2)
    expires_at = UTCDateTimeField()
    clinic_name = peewee.CharField(max_length=200)
    clinic_phone = peewee.CharField(max_length=40, default="")
    clinic_email = peewee.CharField(max_length=254, default="")
    clinic_timezone = peewee.CharField(max_length=64, default="")
    clinic_country = peewee.CharField(max_length=2, default="")
    failed_attempts = peewee.IntegerField(default=0)
    locked_at = UTCDateTimeField(null=True)
    revoked_at = UTCDateTimeField(null=True)
    swept_at = UTCDateTimeField(null=True)  # documents deleted after expiry or revocation
    expired_visit_at = UTCDateTimeField(null=True)  # the last ``expired_visit`` event, to space them
    created_at = UTCDateTimeField()
    updated_at = UTCDateTimeField()


class Document(PortalModel):
    """Slot ``slot`` of a link: its encrypted name here, its encrypted content in a blob file."""

    id = peewee.AutoField()
    link = peewee.ForeignKeyField(Link, backref="documents", on_delete="CASCADE")
    slot = peewee.IntegerField()
    name = peewee.BlobField()  # nonce || AES-GCM ciphertext of the file name
    blob = peewee.CharField(max_length=64, null=True)  # a random file name under blobs/; None once swept
    size = peewee.IntegerField()  # of the encrypted content

    class Meta:
        indexes = ((("link", "slot"), True),)


class Event(PortalModel):
    """What patients did, for the agent to pull. AUTOINCREMENT: an id is never reused, even after pruning."""

    id = AutoIncrementField()
    token_hash = peewee.CharField(max_length=64)
    kind = peewee.CharField(max_length=16)
    document = peewee.IntegerField(null=True)
    at = UTCDateTimeField(index=True)


MODELS: tuple[type[PortalModel], ...] = (Link, Document, Event)


def _create_owner_only(path: Path) -> None:
    """Create ``path`` empty and 0600 if missing, so SQLite (and its -wal, -shm) inherit the mode."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


def open_portal_database(path: Path) -> peewee.SqliteDatabase:
    """Open (creating owner-only when new) the portal's database at ``path``, bind it, create tables."""
    _create_owner_only(path)
    database = peewee.SqliteDatabase(
        str(path), pragmas=PRAGMAS, timeout=BUSY_TIMEOUT_SECONDS, lock_type="IMMEDIATE"
    )
    portal_db.initialize(database)
    database.connect(reuse_if_open=True)
    version = database.execute_sql("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise RuntimeError(f"{path} was written by a newer portal (schema {version})")
    with database.atomic():
        database.create_tables(MODELS, safe=True)
        database.execute_sql(f"PRAGMA user_version = {SCHEMA_VERSION}")
    return database


def close_portal_database() -> None:
    if portal_db.obj is not None and not portal_db.is_closed():
        portal_db.close()

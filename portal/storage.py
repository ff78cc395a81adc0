"""The portal's own SQLite database: links, their encrypted documents and the events the agent pulls.

It never holds the clinic's data: a link is known by its token's hash, its PIN by a
keyed hash wrapped under the pepper (``portal.pepper``, kept elsewhere), the proof of its
token by a verifier, its documents' names as ciphertext and their content as encrypted files
(``portal.blobs``). Nothing connects at import: ``connect_portal_database(path)`` binds
``portal_db``, ``prepare_portal_schema`` creates or upgrades its tables
(``portal.storage_upgrade``). One portal per process, like ``models.database.db``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import peewee
from peewee import DatabaseProxy
from playhouse.sqlite_ext import AutoIncrementField

from models.database.base import UTCDateTimeField
from portal.storage_upgrade import upgrade

if TYPE_CHECKING:
    from portal.pepper import Peppers

portal_db = DatabaseProxy()

SCHEMA_VERSION = 7
DATABASE_FILE = "portal.db"  # in [portal] data_dir
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
    pin_hash = peewee.CharField(max_length=64)  # HMAC(pepper, the agent's pin_hash); "" for a tombstone
    pin_pepper = peewee.IntegerField(null=True)  # the pepper's version that wrapped it
    key_verifier = peewee.CharField(max_length=64, null=True)  # SHA-256 of the link key; None: a tombstone
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
    # why, set with revoked_at (schema 7): "replaced" by a newer link, or "clinic" (``links.RevokeReason``)
    revoked_reason = peewee.CharField(max_length=8, null=True)
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


class PepperCheck(PortalModel):
    """Which secret each pepper version had when the portal first met it (``Peppers.check``)."""

    version = peewee.IntegerField(primary_key=True)
    check = peewee.CharField(max_length=64)


class WebhookEvent(PortalModel):
    """A Stripe event its webhook brought, checked and kept for the agent to pull and apply (the
    portal never opens the clinic's database). AUTOINCREMENT: the agent's cursor is an id."""

    id = AutoIncrementField()
    event_id = peewee.CharField(max_length=255, unique=True)
    body = peewee.TextField()
    received_at = UTCDateTimeField(index=True)

    class Meta:
        table_name = "webhook_event"


class PayDoorRow(PortalModel):
    """An invoice's Pay page (``portal.pay``): what the agent last said of it, and the Checkout
    Session it sends the patient to. No health detail: a number, an amount, an account."""

    id = peewee.AutoField()
    token_hash = peewee.CharField(max_length=64, unique=True)
    tag = peewee.CharField(max_length=32, unique=True)
    sign_key = peewee.CharField(
        max_length=64
    )  # the agent's too: signs sessions, proves a change is the agent's
    account = peewee.CharField(max_length=64)
    currency = peewee.CharField(max_length=3)
    amount_cents = peewee.BigIntegerField()
    status = peewee.CharField(max_length=8)
    number = peewee.CharField(max_length=64)
    language = peewee.CharField(max_length=2)
    clinic = peewee.TextField()  # JSON: name, phone, email, timezone, country
    version = peewee.IntegerField()
    generation = peewee.IntegerField(default=0)  # sessions made for this version
    session_id = peewee.CharField(max_length=255, null=True)
    session_url = peewee.TextField(null=True)
    session_amount = peewee.BigIntegerField(null=True)
    session_expires_at = UTCDateTimeField(null=True)
    session_version = peewee.IntegerField(null=True)  # the version the session was asked for
    expires_at = UTCDateTimeField(null=True)  # past it the page says "expired" (schema 5; None: never)
    kind = peewee.CharField(max_length=9, default="invoice")  # or "statement" (schema 6)
    updated_at = UTCDateTimeField()

    class Meta:
        table_name = "pay_door"


class PaySession(PortalModel):
    """A Checkout Session the portal made, for the agent to pull. AUTOINCREMENT: its cursor is an id."""

    id = AutoIncrementField()
    door = peewee.ForeignKeyField(PayDoorRow, on_delete="CASCADE")
    session_id = peewee.CharField(max_length=255, unique=True)
    url = peewee.TextField()
    amount_cents = peewee.BigIntegerField()
    expires_at = UTCDateTimeField()
    created_at = UTCDateTimeField()

    class Meta:
        table_name = "pay_session"


MODELS: tuple[type[PortalModel], ...] = (
    Link,
    Document,
    Event,
    PepperCheck,
    WebhookEvent,
    PayDoorRow,
    PaySession,
)


def _create_owner_only(path: Path) -> None:
    """Create ``path`` empty and 0600 if missing, so SQLite (and its -wal, -shm) inherit the mode."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


def connect_portal_database(path: Path) -> peewee.SqliteDatabase:
    """Open (creating owner-only when new) the portal's database at ``path`` and bind it; its tables
    are left as they are (``prepare_portal_schema``). A database of a newer portal is refused."""
    _create_owner_only(path)
    database = peewee.SqliteDatabase(
        str(path), pragmas=PRAGMAS, timeout=BUSY_TIMEOUT_SECONDS, lock_type="IMMEDIATE"
    )
    portal_db.initialize(database)
    database.connect(reuse_if_open=True)
    version = schema_version(database)
    if version > SCHEMA_VERSION:
        raise RuntimeError(f"{path} was written by a newer portal (schema {version})")
    return database


def schema_version(database: peewee.SqliteDatabase) -> int:
    """0 for a new database."""
    return int(database.execute_sql("PRAGMA user_version").fetchone()[0])


def prepare_portal_schema(database: peewee.SqliteDatabase, peppers: Peppers) -> None:
    """Create the tables of a new database, or upgrade an older one (its PIN hashes wrapped under the
    current pepper), in one transaction."""
    with database.atomic():
        version = schema_version(database)
        if version:
            upgrade(database, version, peppers)
        database.create_tables(MODELS, safe=True)
        database.execute_sql(f"PRAGMA user_version = {SCHEMA_VERSION}")


def pepper_versions_in_use(database: peewee.SqliteDatabase, now: dt.datetime) -> set[int]:
    """The pepper versions of the links whose PIN can still be checked (not revoked, expired nor
    locked); none before schema 2."""
    if schema_version(database) < 2:
        return set()
    live = Link.revoked_at.is_null() & Link.locked_at.is_null() & (Link.expires_at > now)
    query = Link.select(Link.pin_pepper).distinct().where(Link.pin_pepper.is_null(False) & live)
    return {row.pin_pepper for row in query if row.pin_pepper is not None}


def recorded_pepper_checks() -> dict[int, str]:
    return {row.version: row.check for row in PepperCheck.select()}


def record_pepper_checks(checks: Mapping[int, str]) -> None:
    """Keep the checks of the versions met for the first time (a known version's stays as it was)."""
    rows = [{PepperCheck.version: v, PepperCheck.check: c} for v, c in checks.items()]
    if rows:
        PepperCheck.insert_many(rows).on_conflict_ignore().execute()


def close_portal_database() -> None:
    if portal_db.obj is not None and not portal_db.is_closed():
        portal_db.close()

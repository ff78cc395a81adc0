"""The schema's version, creating a new database, and upgrading an old one.

A new database is created from the current models and stamped with the latest
version. An existing one is upgraded by running, in order, the migrations above
its version (``models.setup.migrations``). Both happen inside one write transaction
(SQLite's ``BEGIN IMMEDIATE``, an advisory lock on PostgreSQL), so two processes
starting at once cannot both migrate.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import peewee

from locales import N_
from models.billing.credit_notes import CreditNote, CreditNoteLine, CreditNoteSequence
from models.billing.invoice import Invoice, InvoiceLine, InvoiceSequence, Payment
from models.billing.invoice_taxes import InvoiceTax
from models.billing.reversals import PaymentDispute, PaymentReversal, RefundRequest
from models.billing.statements import Statement, StatementItem
from models.billing.taxes import Tax
from models.core.errors import DatabaseError
from models.database.base import BaseModel, UTCDateTimeField, utcnow
from models.database.db import serialize_writers
from models.links.statement_doors import StatementDoor
from models.links.stripe_events import StripeEvent
from models.links.sync_cursor import SyncCursor
from models.links.tables import DownloadLink, PayDoor, PaymentLink
from models.messaging.agent_state import AgentHeartbeat
from models.messaging.system_templates import add_missing
from models.messaging.tables import Notification, OutboxMessage, ScheduledMessage, Template, Transmission
from models.people.clinic import BillingCompany, Clinic, Staff
from models.people.consent import ConsentRecord
from models.people.patient import Patient
from models.setup.migrations import MIGRATIONS, latest_version
from models.workflow.reminder_pauses import ReminderPause


class SchemaVersion(BaseModel):
    """One row per applied version; the highest is the database's."""

    version = peewee.IntegerField(primary_key=True)
    applied_at = UTCDateTimeField(default=utcnow)


ALL_MODELS: tuple[type[BaseModel], ...] = (
    SchemaVersion,
    Clinic,
    BillingCompany,
    Staff,
    Patient,
    ConsentRecord,
    Invoice,
    InvoiceLine,
    Payment,
    PaymentReversal,
    PaymentDispute,
    RefundRequest,
    InvoiceSequence,
    Tax,
    InvoiceTax,
    CreditNote,
    CreditNoteLine,
    CreditNoteSequence,
    Statement,
    StatementItem,
    StatementDoor,
    Template,
    OutboxMessage,
    Transmission,
    ScheduledMessage,
    ReminderPause,
    Notification,
    DownloadLink,
    PaymentLink,
    PayDoor,
    AgentHeartbeat,
    SyncCursor,
    StripeEvent,
)

LATEST_VERSION = latest_version()


def database_version(database: peewee.Database) -> int | None:
    """The schema version of ``database``; ``None`` when it holds no Facteur tables."""
    if not database.table_exists(SchemaVersion._meta.table_name):
        if database.table_exists(Invoice._meta.table_name):
            raise DatabaseError(N_("the database has Facteur tables but no schema version"))
        return None
    row = SchemaVersion.select(peewee.fn.MAX(SchemaVersion.version)).scalar()
    return int(row) if row is not None else None


def ensure_schema(database: peewee.Database) -> tuple[int | None, int]:
    """Create or upgrade the schema; returns (version before, version after)."""
    with _foreign_keys_off(database), database.atomic():
        serialize_writers("schema", database)
        before = database_version(database)
        if before is None:
            database.create_tables(ALL_MODELS)
            add_missing(Template, utcnow())  # the shipped templates, inactive
            SchemaVersion.create(version=LATEST_VERSION)
            return None, LATEST_VERSION
        _refuse_newer(before)
        for migration in sorted(MIGRATIONS, key=lambda m: m.version):
            if migration.version > before:
                migration.apply(database)
                SchemaVersion.create(version=migration.version)
        if isinstance(database, peewee.SqliteDatabase):
            broken = database.execute_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise DatabaseError(
                    N_("the migration broke {count} references; nothing was changed"), count=len(broken)
                )
        return before, LATEST_VERSION


@contextmanager
def _foreign_keys_off(database: peewee.Database) -> Iterator[None]:
    """SQLite rebuilds a table to alter it; the rebuild must not cascade or fail on
    references, so they are checked once, at the end, instead (SQLite's documented way)."""
    if not isinstance(database, peewee.SqliteDatabase):
        yield
        return
    database.execute_sql("PRAGMA foreign_keys = OFF")  # only effective outside a transaction
    try:
        yield
    finally:
        database.execute_sql("PRAGMA foreign_keys = ON")


def check_schema(database: peewee.Database) -> None:
    """Refuse to work on a database that is missing, older or newer than this program."""
    version = database_version(database)
    if version is None:
        raise DatabaseError(N_("the database is empty: run 'facteur db init' first"))
    _refuse_newer(version)
    if version < LATEST_VERSION:
        raise DatabaseError(
            N_(
                "the database schema is version {found}, this Facteur needs {needed}: "
                "run 'facteur db migrate'"
            ),
            found=version,
            needed=LATEST_VERSION,
        )


def _refuse_newer(version: int) -> None:
    if version > LATEST_VERSION:
        raise DatabaseError(
            N_("the database schema is version {found}, newer than this Facteur ({needed}): upgrade Facteur"),
            found=version,
            needed=LATEST_VERSION,
        )

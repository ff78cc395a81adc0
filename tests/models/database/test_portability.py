"""What must behave the same on SQLite and PostgreSQL, where the two engines differ underneath:
case rules of LIKE, writers that SQLite serializes and PostgreSQL runs side by side, row locks
(``SKIP LOCKED``), sequences after rows written with their ids, migrations."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import peewee
import pytest
from playhouse.migrate import SchemaMigrator, migrate

import models.setup.schema
from models.billing.invoice import Invoice
from models.billing.invoicing import LineInput, create_draft
from models.core.enums import MessageKind, OutboxStatus, TransmissionStatus
from models.core.errors import DatabaseError
from models.database.base import utcnow
from models.database.db import close_database, db, open_database
from models.messaging.outbox import claim, renew_leases, rescue
from models.messaging.tables import OutboxMessage, Transmission
from models.people.clinic import BillingCompany, Clinic
from models.people.patient import Patient
from models.people.patients import search_patients
from models.setup.demo import bulk_demo, seed_demo
from models.setup.migrations import Migration
from models.setup.schema import SchemaVersion, check_schema, database_version, ensure_schema
from models.workflow.sending import enqueue_invoice_email
from testbed.invoices import billed_invoice
from tests.conftest import Setup


def in_threads(*work: Callable[[], Any]) -> list[Any]:
    """Run each function in its own thread (its own connection); their results, or what they raised."""
    results: list[Any] = [None] * len(work)

    def run(index: int) -> None:
        try:
            results[index] = work[index]()
        except Exception as exc:
            results[index] = exc
        finally:
            db.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(work))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.parametrize("typed", ["élise", "ÉLISE", "Elise", "belanger el", "BÉLANGER"])
def test_patient_search_ignores_case_and_accents_on_both(setup: Setup, typed: str) -> None:
    Patient.create(last_name="Bélanger", first_name="Élise")
    Patient.create(last_name="Roy", first_name="Éloïse")
    assert [p.full_name for p in search_patients(typed)] == ["Élise Bélanger"]


def test_sequences_follow_rows_written_with_their_ids(database: peewee.Database) -> None:
    """The bulk demo writes invoices with their ids; a normal insert after it must not collide.
    (3,500 invoices: more values than one PostgreSQL statement binds, so it splits its INSERTs.)"""
    Clinic.create(name="Clinique du Parc")
    seed_demo()
    bulk_demo(5, 3500)
    highest = Invoice.select(peewee.fn.MAX(Invoice.id)).scalar()
    patient = Patient.create(last_name="Nouveau", first_name="Patient")
    company = BillingCompany.select().first()
    draft = create_draft(
        patient=patient, billing_company=company, lines=[LineInput("Consultation", Decimal(1), 8500)]
    )
    assert draft.id == highest + 1


def test_two_schema_creations_at_once_make_one_schema(database_url: str, backend: str) -> None:
    """SQLite's BEGIN IMMEDIATE, PostgreSQL's advisory lock: the second waits, then finds it made."""
    database = open_database(database_url)
    try:
        results = in_threads(lambda: ensure_schema(database), lambda: ensure_schema(database))
        latest = models.setup.schema.LATEST_VERSION
        assert set(results) == {(None, latest), (latest, latest)}, results  # one of them made it
        check_schema(database)
        assert SchemaVersion.select().count() == 1
    finally:
        close_database()


def test_a_new_migration_runs_on_both(database: peewee.Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """The mechanism future versions use (``playhouse.migrate`` in the schema transaction)."""

    def add_column(target: peewee.Database) -> None:
        migrator = SchemaMigrator.from_database(target)
        migrate(migrator.add_column("clinic", "fax", peewee.CharField(max_length=32, default="")))

    Clinic.create(name="Clinique du Parc")
    current = models.setup.schema.LATEST_VERSION
    upgrade = Migration(current + 1, "clinic.fax", add_column)
    monkeypatch.setattr(models.setup.schema, "MIGRATIONS", (*models.setup.schema.MIGRATIONS, upgrade))
    monkeypatch.setattr(models.setup.schema, "LATEST_VERSION", current + 1)
    with pytest.raises(DatabaseError):
        check_schema(database)  # older than this program: refused until migrated
    assert ensure_schema(database) == (current, current + 1)
    assert database_version(database) == current + 1
    assert database.execute_sql("SELECT fax FROM clinic").fetchall() == [("",)]
    assert ensure_schema(database) == (current + 1, current + 1)  # once only


def test_two_rescuers_at_once_rescue_each_message_once(setup: Setup) -> None:
    """The rescue is one guarded UPDATE: the second rescuer waits for the first, then finds nothing."""
    invoice = billed_invoice(setup.company)
    now = utcnow()
    for _ in range(5):
        enqueue_invoice_email(invoice, now=now)
    claim("dead:1", 5, 1, now)
    later = now + timedelta(seconds=5)
    inside, release = threading.Event(), threading.Event()

    def slow() -> int:
        with db.atomic():
            count = rescue(later)
            inside.set()
            release.wait(10)  # holds the rows until the other rescuer is waiting on them
        return count

    def fast() -> int:
        inside.wait(10)
        threading.Timer(0.5, release.set).start()
        return rescue(later)

    assert sorted(in_threads(slow, fast)) == [0, 5]
    unknown = Transmission.select().where(Transmission.status == TransmissionStatus.UNKNOWN)
    assert unknown.count() == 5
    assert {m.status for m in OutboxMessage.select()} == {OutboxStatus.PENDING}


def test_renewed_leases_are_not_rescued(setup: Setup) -> None:
    invoice = billed_invoice(setup.company)
    now = utcnow()
    mine, theirs = (enqueue_invoice_email(invoice, now=now) for _ in range(2))
    claim("alive:1", 1, 10, now)
    claim("dead:2", 1, 10, now)
    later = now + timedelta(seconds=8)
    assert renew_leases("alive:1", 10, [mine.id, theirs.id], later) == [mine.id]  # only its own
    assert rescue(now + timedelta(seconds=12)) == 1
    statuses = {m.id: (m.status, m.lease_owner) for m in OutboxMessage.select()}
    assert statuses == {mine.id: ("sending", "alive:1"), theirs.id: ("pending", None)}
    assert renew_leases("dead:2", 10, [theirs.id]) == []  # a rescued message is no longer its lease
    assert renew_leases("alive:1", 10, []) == []


@pytest.mark.postgresql_only
def test_claims_skip_rows_another_claim_holds(setup: Setup) -> None:
    """``FOR UPDATE SKIP LOCKED``: a second agent takes the next messages at once instead of
    waiting for the first one's transaction and then claiming the same rows again."""
    invoice = billed_invoice(setup.company)
    with db.atomic():
        for _ in range(6):
            enqueue_invoice_email(invoice)
    inside, release = threading.Event(), threading.Event()

    def first() -> list[int]:
        with db.atomic():
            claimed = [m.id for m in claim("agent:1", 3, 60)]
            inside.set()
            release.wait(10)
        return claimed

    def second() -> tuple[list[int], float]:
        inside.wait(10)
        started = time.monotonic()
        claimed = [m.id for m in claim("agent:2", 3, 60)]
        waited = time.monotonic() - started
        release.set()
        return claimed, waited

    (held, (taken, waited)) = in_threads(first, second)
    assert waited < 5  # it did not wait for the first transaction (which holds its rows 10 s)
    assert len(held) == len(taken) == 3 and not set(held) & set(taken)


def test_version_10_lets_a_message_be_replaced_on_both(setup: Setup, database: peewee.Database) -> None:
    """The status constraints widen in place; a message that failed on a revoked link was replaced."""
    from models.setup.migrations import v0010_replaced

    invoice = billed_invoice(setup.company)
    failed = enqueue_invoice_email(invoice)
    other = enqueue_invoice_email(invoice)
    OutboxMessage.update(
        status="failed", last_error="409 this link was revoked; publish a new link instead"
    ).where(OutboxMessage.id == failed.id).execute()
    OutboxMessage.update(status="failed", last_error="550 no such user").where(
        OutboxMessage.id == other.id
    ).execute()
    _narrow_to_version_9(database)
    with pytest.raises(peewee.IntegrityError), db.atomic():
        OutboxMessage.update(status="replaced").where(OutboxMessage.id == other.id).execute()

    v0010_replaced.apply(database)
    assert OutboxMessage.get_by_id(failed.id).status == OutboxStatus.REPLACED
    assert OutboxMessage.get_by_id(other.id).status == OutboxStatus.FAILED
    Transmission.create(invoice=invoice, message=other, channel="portal", status=TransmissionStatus.REPLACED)
    with pytest.raises(peewee.IntegrityError), db.atomic():
        OutboxMessage.update(status="lost").where(OutboxMessage.id == other.id).execute()


def _narrow_to_version_9(database: peewee.Database) -> None:
    """Today's tables with the status constraints as version 9 made them."""
    statuses = (
        ("outbox_message", v9_outbox(), OutboxStatus),
        ("transmission", v9_transmission(), TransmissionStatus),
    )
    for table, values, today in statuses:
        new = "status IN ({})".format(", ".join(f"'{status.value}'" for status in today))
        old = f"status IN ({values})"
        if isinstance(database, peewee.SqliteDatabase):
            (sql,) = database.execute_sql("SELECT sql FROM sqlite_master WHERE name = ?", (table,)).fetchone()
            (version,) = database.execute_sql("PRAGMA schema_version").fetchone()
            database.execute_sql("PRAGMA writable_schema = ON")
            database.execute_sql(
                "UPDATE sqlite_master SET sql = ? WHERE name = ?", (sql.replace(new, old), table)
            )
            database.execute_sql(f"PRAGMA schema_version = {version + 1}")
            database.execute_sql("PRAGMA writable_schema = OFF")
        else:
            database.execute_sql(f"ALTER TABLE {table} DROP CONSTRAINT {table}_status_check")
            database.execute_sql(f"ALTER TABLE {table} ADD CONSTRAINT {table}_status_check CHECK ({old})")


def v9_outbox() -> str:
    return "'pending', 'sending', 'sent', 'failed', 'cancelled'"


def v9_transmission() -> str:
    return "'sent', 'deferred', 'failed', 'unknown', 'published', 'downloaded', 'created', 'expired'"


def test_version_16_adds_receipts_on_both(setup: Setup, database: peewee.Database) -> None:
    """The clinic's receipts column comes with its default, and the message kinds widen in place."""
    from models.setup.migrations import v0016_receipts

    message = enqueue_invoice_email(billed_invoice(setup.company))
    database.execute_sql("ALTER TABLE clinic DROP COLUMN receipts")
    narrow_kinds(database, "kind IN ('invoice', 'reminder')")
    receipt = OutboxMessage.update(kind=MessageKind.RECEIPT.value).where(OutboxMessage.id == message.id)
    with pytest.raises(peewee.IntegrityError), db.atomic():
        receipt.execute()

    v0016_receipts.apply(database)
    assert database.execute_sql("SELECT receipts FROM clinic").fetchone() == ("online",)
    assert receipt.execute() == 1
    with pytest.raises(peewee.IntegrityError), db.atomic():
        database.execute_sql("UPDATE clinic SET receipts = 'some'")


def narrow_kinds(database: peewee.Database, narrow: str) -> None:
    """The outbox's kind CHECK as an older version had it (today's, from the model, narrowed)."""
    today = "kind IN (" + ", ".join(f"'{kind.value}'" for kind in MessageKind) + ")"
    if isinstance(database, peewee.SqliteDatabase):
        (sql,) = database.execute_sql(
            "SELECT sql FROM sqlite_master WHERE name = 'outbox_message'"
        ).fetchone()
        assert today in sql
        (version,) = database.execute_sql("PRAGMA schema_version").fetchone()
        database.execute_sql("PRAGMA writable_schema = ON")
        database.execute_sql(
            "UPDATE sqlite_master SET sql = ? WHERE name = 'outbox_message'", (sql.replace(today, narrow),)
        )
        database.execute_sql(f"PRAGMA schema_version = {version + 1}")
        database.execute_sql("PRAGMA writable_schema = OFF")
    else:
        database.execute_sql("ALTER TABLE outbox_message DROP CONSTRAINT outbox_message_kind_check")
        database.execute_sql(
            f"ALTER TABLE outbox_message ADD CONSTRAINT outbox_message_kind_check CHECK ({narrow})"
        )


@pytest.mark.postgresql_only
def test_version_17_adds_credit_notes_on_postgresql(setup: Setup, database: peewee.Database) -> None:
    """Credit notes' tables, the credited amount in the balance and its index, the status 'credited'.
    (SQLite: tests/models/setup/test_migrations.py migrates a version-1 database through it.)"""
    from models.billing.credit_notes import credit_invoice
    from models.setup.migrations import v0017_credit_notes

    invoice = billed_invoice(setup.company)
    for table in ("credit_note_line", "credit_note", "credit_note_sequence"):
        database.execute_sql(f"DROP TABLE {table}")
    database.execute_sql("DROP INDEX invoice_balance")
    database.execute_sql("ALTER TABLE invoice DROP COLUMN credited_cents")
    database.execute_sql("ALTER TABLE billing_company DROP COLUMN credit_prefix")
    database.execute_sql("ALTER TABLE invoice DROP CONSTRAINT invoice_status_check")
    database.execute_sql(
        "ALTER TABLE invoice ADD CONSTRAINT invoice_status_check "
        "CHECK (status IN ('draft', 'billed', 'paid', 'void'))"
    )
    database.execute_sql(
        'CREATE INDEX "invoice_balance" ON "invoice" '
        '((CASE WHEN "status" = \'void\' THEN 0 ELSE "total_cents" - "paid_cents" END))'
    )

    v0017_credit_notes.apply(database)
    credit_invoice(Invoice.get_by_id(invoice.id), "Séance annulée")
    credited = Invoice.get_by_id(invoice.id)
    assert (credited.status, credited.balance_cents) == ("credited", 0)
    with pytest.raises(peewee.IntegrityError), db.atomic():
        database.execute_sql("UPDATE invoice SET credited_cents = total_cents + 1")


@pytest.mark.postgresql_only
def test_version_20_adds_statements_on_postgresql(setup: Setup, database: peewee.Database) -> None:
    """Statements' tables come back, an outbox message may carry one and be of its kind. (SQLite
    cannot drop a referencing column to go back: tests/models/setup/test_migrations.py migrates a
    version-1 SQLite database through it and compares the schema with a fresh one.)"""
    from models.billing.statements import Account, make_statement
    from models.setup.migrations import v0020_statements

    message = enqueue_invoice_email(billed_invoice(setup.company))
    for table in ("statement_door", "statement_item"):
        database.execute_sql(f"DROP TABLE {table}")
    database.execute_sql("ALTER TABLE outbox_message DROP COLUMN statement_id")
    database.execute_sql("DROP TABLE statement")
    narrow_kinds(database, "kind IN ('invoice', 'reminder', 'receipt')")
    kind = OutboxMessage.update(kind=MessageKind.STATEMENT.value).where(OutboxMessage.id == message.id)
    with pytest.raises(peewee.IntegrityError), db.atomic():
        kind.execute()

    v0020_statements.apply(database)
    statement = make_statement(Account(message.invoice.patient.id, setup.company.id, "CAD"))
    assert kind.execute() == 1
    OutboxMessage.update(statement=statement.id).where(OutboxMessage.id == message.id).execute()
    assert OutboxMessage.get_by_id(message.id).statement.id == statement.id


def test_version_18_adds_named_taxes_on_both(setup: Setup, database: peewee.Database) -> None:
    """An invoice from before named taxes keeps its amounts; the new tables and column work."""
    from models.billing.invoice_taxes import invoice_taxes
    from models.billing.tax_definitions import load_preset
    from models.setup.migrations import v0018_named_taxes

    old = billed_invoice(setup.company)
    for sql in ("DROP TABLE invoice_tax", "DROP TABLE tax", "ALTER TABLE invoice_line DROP COLUMN tax_codes"):
        database.execute_sql(sql)

    v0018_named_taxes.apply(database)
    assert database.execute_sql("SELECT tax_codes, tax_cents FROM invoice_line").fetchall() == [("", 0)]
    assert invoice_taxes(old.id) == []  # exempt, as it printed
    load_preset(setup.company.id, "qc")
    line = LineInput("Massothérapie", Decimal(1), 10000, tax_codes=("GST", "QST"))
    draft = create_draft(patient=old.patient, billing_company=setup.company, lines=[line])
    assert [(t.code, t.tax_cents) for t in invoice_taxes(draft.id)] == [("GST", 500), ("QST", 998)]
    assert Invoice.get_by_id(old.id).total_cents == 8500

"""A clinic's database made by the first schema (version 1) survives the upgrade."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from models.billing.invoice import Invoice
from models.core.enums import PaymentMethod
from models.core.errors import DatabaseError
from models.database.db import close_database, open_database
from models.links.tables import DownloadLink
from models.messaging.secure_link import event_tag, legacy_link_key
from models.messaging.tables import OutboxMessage
from models.people.clinic import get_clinic
from models.people.patient import Patient
from models.people.patients import search_patients
from models.setup.schema import LATEST_VERSION, SchemaVersion, check_schema, database_version, ensure_schema
from models.workflow.lifecycle import record_payment

FIXTURE = Path(__file__).parent / "fixtures" / "schema_v1.sql"


def make_v1(path: Path) -> str:
    connection = sqlite3.connect(path)
    connection.executescript(FIXTURE.read_text(encoding="utf-8"))
    connection.close()
    return f"sqlite:///{path}"


def schema_of(path: Path) -> dict[str, object]:
    """Columns (name, type, not null) per table and index definitions, ignoring column order."""
    connection = sqlite3.connect(path)
    tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    shape: dict[str, object] = {}
    for table in tables:
        columns = connection.execute(f'PRAGMA table_info("{table}")').fetchall()
        shape[table] = sorted((c[1], c[2], c[3]) for c in columns)
        indexes = connection.execute(f'PRAGMA index_list("{table}")').fetchall()
        shape[f"{table} indexes"] = sorted(
            (bool(i[2]), tuple(c[2] or "(expr)" for c in connection.execute(f'PRAGMA index_info("{i[1]}")')))
            for i in indexes
        )
    connection.close()
    return shape


def test_v1_database_migrates_and_keeps_its_data(tmp_path: Path) -> None:
    database = open_database(make_v1(tmp_path / "clinic.db"))
    assert database_version(database) == 1
    with pytest.raises(DatabaseError, match="facteur db migrate"):
        check_schema(database)

    assert ensure_schema(database) == (1, LATEST_VERSION)
    check_schema(database)
    invoice = Invoice.get(Invoice.number == "CDP-2026-00001")
    assert (invoice.patient.full_name, invoice.total_cents, invoice.status) == (
        "Élise Bélanger",
        8500,
        "billed",
    )
    assert [p.full_name for p in search_patients("belanger el")] == ["Élise Bélanger"]
    assert get_clinic().receipts == "online"  # version 16: the clinic's receipts, as new ones have
    record_payment(invoice, 8500, PaymentMethod.STRIPE, reference="pi_old")  # a receipt fits the widened kind
    assert OutboxMessage.get().kind == "receipt"
    assert database.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
    assert ensure_schema(database) == (LATEST_VERSION, LATEST_VERSION)  # idempotent
    close_database()


def test_a_link_published_before_link_keys_gets_its_legacy_key_and_event_tag(tmp_path: Path) -> None:
    """The portal's own upgrade derives the same link's verifier from the same PIN hash."""
    url = make_v1(tmp_path / "clinic.db")
    connection = sqlite3.connect(tmp_path / "clinic.db")
    connection.execute(
        "INSERT INTO download_link VALUES(1, 1, NULL, ?, ?, 'sms', '2026-12-01 00:00:00', 0, NULL, NULL, 0, "
        "NULL, '2026-11-22 00:00:00')",
        ("a" * 64, "b" * 64),
    )
    connection.commit()
    connection.close()
    ensure_schema(open_database(url))
    (link,) = DownloadLink.select()
    assert (link.link_key, link.event_tag) == (legacy_link_key("b" * 64), event_tag("a" * 64))
    close_database()


def test_migrated_schema_equals_a_fresh_one(tmp_path: Path) -> None:
    """Models and migrations never drift: both roads lead to the same tables and indexes."""
    ensure_schema(open_database(make_v1(tmp_path / "old.db")))
    close_database()
    ensure_schema(open_database(f"sqlite:///{tmp_path / 'new.db'}"))
    close_database()
    assert schema_of(tmp_path / "old.db") == schema_of(tmp_path / "new.db")


def test_a_newer_database_is_refused(tmp_path: Path) -> None:
    database = open_database(f"sqlite:///{tmp_path / 'f.db'}")
    ensure_schema(database)
    SchemaVersion.create(version=LATEST_VERSION + 1)
    with pytest.raises(DatabaseError, match="newer"):
        check_schema(database)
    with pytest.raises(DatabaseError, match="newer"):
        ensure_schema(database)
    close_database()


def test_an_empty_database_asks_for_init(tmp_path: Path) -> None:
    database = open_database(f"sqlite:///{tmp_path / 'empty.db'}")
    with pytest.raises(DatabaseError, match="facteur db init"):
        check_schema(database)
    assert Patient.table_exists() is False
    close_database()

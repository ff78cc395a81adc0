"""``copy_database``: SQLite to PostgreSQL and back, every row the same, ids kept; refusals leave
the target as it was."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import peewee
import pytest

from models.billing.invoice import Invoice
from models.core.database_url import parse_url
from models.core.errors import DatabaseError
from models.database.base import utcnow
from models.database.db import close_database, make_database, open_database
from models.links.sync_cursor import write_cursor
from models.messaging.agent_state import beat
from models.messaging.outbox import Reply, RetryPolicy, claim, mark_deferred, mark_failed
from models.people.clinic import BillingCompany, Clinic, Staff
from models.people.patient import Patient
from models.setup.db_copy import COPY_ORDER, copy_database
from models.setup.demo import bulk_demo, seed_demo
from models.setup.schema import ALL_MODELS, database_version, ensure_schema
from models.workflow.sending import enqueue_invoice_email
from testbed.postgres import PostgresCluster

Snapshot = dict[str, list[tuple[Any, ...]]]


def fill(url: str) -> None:
    """A clinic with some of everything: demo invoices, sent and failed messages, a notification,
    an agent's heartbeat, a sync cursor; booleans, decimals, dates, times, NULLs, accents."""
    open_database(url)
    try:
        ensure_schema(open_database(url))
        Clinic.create(name="Clinique du Parc — Montréal")
        Staff.create(login="admin", display_name="Adèle Admin", roles="admin,billing")  # told of failures
        seed_demo()
        bulk_demo(10, 60)
        invoices = list(Invoice.select().where(Invoice.status == "billed").limit(3))
        now = utcnow()
        for invoice in invoices:
            enqueue_invoice_email(invoice, message="Voici votre facture « spéciale »", now=now)
        first, second, _ = claim("host:1", 3, 60, now, new_message_id=lambda m: f"<{m.id}@clinique.example>")
        mark_deferred(first, "host:1", Reply("451", "try later"), RetryPolicy(), now + timedelta(seconds=1))
        mark_failed(second, "host:1", Reply("550", "no such mailbox"), now + timedelta(seconds=2))
        beat("host:1", "host", 1, online=True, synced=True)
        write_cursor("stripe:acct_1", "evt_123")
    finally:
        close_database()


def snapshot(url: str) -> Snapshot:
    """Every row of every table, as Python values, in id order."""
    database = make_database(parse_url(url))
    database.connect()
    try:
        with database.bind_ctx(ALL_MODELS):
            return {
                model._meta.table_name: list(model.select().order_by(model._meta.primary_key).tuples())
                for model in ALL_MODELS
            }
    finally:
        database.close()


@pytest.fixture
def pg_url(pg_cluster: PostgresCluster) -> Iterator[str]:
    name = pg_cluster.create_database()
    yield pg_cluster.url(name)
    pg_cluster.drop_database(name)


def test_the_order_puts_parents_first() -> None:
    for index, model in enumerate(COPY_ORDER):
        for field in model._meta.refs:
            assert COPY_ORDER.index(field.rel_model) < index, (model, field.rel_model)


def test_sqlite_to_postgresql_and_back_keeps_every_row(tmp_path: Path, pg_url: str) -> None:
    source = f"sqlite:///{tmp_path / 'clinic.db'}"
    fill(source)
    before = snapshot(source)
    assert all(before[table] for table in ("invoice", "outbox_message", "transmission", "notification"))

    seen: list[str] = []
    copied = copy_database(source, pg_url, batch=7, progress=lambda done: seen.append(done.table))
    assert seen == [model._meta.table_name for model in COPY_ORDER]
    assert {done.table: done.rows for done in copied} == {table: len(rows) for table, rows in before.items()}
    assert snapshot(pg_url) == before

    back = f"sqlite:///{tmp_path / 'back' / 'clinic.db'}"
    copy_database(pg_url, back)
    assert snapshot(back) == before
    dump = lambda path: list(sqlite3.connect(path).iterdump())  # noqa: E731
    assert dump(tmp_path / "back" / "clinic.db") == dump(tmp_path / "clinic.db")  # to the byte

    open_database(pg_url)  # the sequences moved past the copied ids
    try:
        assert (
            Patient.create(last_name="Nouveau", first_name="Patient").id
            == max(p[0] for p in before["patient"]) + 1
        )
        company = BillingCompany.create(clinic=Clinic.select().get(), name="Autre", number_prefix="AUT")
        assert company.id == len(before["billing_company"]) + 1
    finally:
        close_database()


def test_a_target_with_rows_is_refused_and_left_alone(tmp_path: Path, pg_url: str) -> None:
    source = f"sqlite:///{tmp_path / 'clinic.db'}"
    fill(source)
    copy_database(source, pg_url)
    before = snapshot(pg_url)
    with pytest.raises(DatabaseError, match="not empty"):
        copy_database(source, pg_url)
    assert snapshot(pg_url) == before
    with pytest.raises(DatabaseError, match="same database"):
        copy_database(source, f"sqlite:///{tmp_path / '.' / 'clinic.db'}")


def test_an_old_source_is_refused(tmp_path: Path, pg_url: str) -> None:
    fixture = Path(__file__).parent / "fixtures" / "schema_v1.sql"
    with sqlite3.connect(tmp_path / "old.db") as connection:
        connection.executescript(fixture.read_text(encoding="utf-8"))
    with pytest.raises(DatabaseError, match="db migrate"):
        copy_database(f"sqlite:///{tmp_path / 'old.db'}", pg_url)


def test_a_refused_row_copies_nothing(tmp_path: Path, pg_url: str) -> None:
    """SQLite kept a name longer than its column; PostgreSQL refuses it: the whole copy rolls back,
    schema included, and once the row is fixed the copy goes through."""
    source = f"sqlite:///{tmp_path / 'clinic.db'}"
    fill(source)
    with sqlite3.connect(tmp_path / "clinic.db") as connection:
        connection.execute("UPDATE patient SET last_name = ? WHERE id = 3", ("X" * 150,))
    with pytest.raises(DatabaseError, match="cannot copy a row of patient") as refused:
        copy_database(source, pg_url)
    assert "nothing was copied" in str(refused.value)
    target = make_database(parse_url(pg_url))
    target.connect()
    try:
        assert database_version(target) is None and target.get_tables() == []
    finally:
        target.close()
    with sqlite3.connect(tmp_path / "clinic.db") as connection:
        connection.execute("UPDATE patient SET last_name = 'Tremblay' WHERE id = 3")
    copy_database(source, pg_url)
    assert snapshot(pg_url) == snapshot(source)


def test_an_unreachable_target_is_a_clear_error(tmp_path: Path, pg_cluster: PostgresCluster) -> None:
    source = f"sqlite:///{tmp_path / 'clinic.db'}"
    fill(source)
    with pytest.raises(DatabaseError, match="cannot open the database") as refused:
        copy_database(source, pg_cluster.url("no_such_database").replace("facteur@", "facteur:s3cret@"))
    assert "s3cret" not in str(refused.value)


def test_peewee_sees_the_same_types_on_both(tmp_path: Path, pg_url: str) -> None:
    """Booleans come back as booleans and dates as dates from either engine."""
    source = f"sqlite:///{tmp_path / 'clinic.db'}"
    fill(source)
    copy_database(source, pg_url)
    for url in (source, pg_url):
        open_database(url)
        try:
            patient = Patient.select().order_by(Patient.id).first()
            invoice = Invoice.select().where(Invoice.issue_date.is_null(False)).order_by(Invoice.id).first()
            assert patient.receive_reminders is True
            assert type(invoice.issue_date).__name__ == "date" and invoice.billed_at.tzinfo is not None
        finally:
            close_database()
    assert isinstance(make_database(parse_url(pg_url)), peewee.PostgresqlDatabase)

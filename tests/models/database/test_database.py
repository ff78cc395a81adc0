"""The database as configured: URLs, SQLite pragmas, IMMEDIATE transactions, online backup."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import peewee
import pytest

from models.core.database_url import parse_url
from models.core.errors import ConfigError, DatabaseError
from models.database.db import backup_sqlite, close_database, make_database, open_database, url_of
from models.people.patient import Patient
from models.setup.schema import ensure_schema
from testbed.postgres import PostgresCluster


def test_sqlite_urls_relative_and_absolute(tmp_path: Path) -> None:
    assert parse_url("sqlite:///var/facteur.db", tmp_path).path == tmp_path / "var" / "facteur.db"
    assert parse_url("sqlite:////srv/facteur/f.db").path == Path("/srv/facteur/f.db")
    assert parse_url("sqlite:///:memory:").path is None


def test_postgresql_urls_are_parsed() -> None:
    parsed = parse_url("postgresql://facteur:s%40cret@db.local:5433/clinic")
    assert (parsed.scheme, parsed.host, parsed.port, parsed.user, parsed.password, parsed.name) == (
        "postgresql",
        "db.local",
        5433,
        "facteur",
        "s@cret",
        "clinic",
    )


@pytest.mark.parametrize(
    "url",
    [
        "mysql://x/y",
        "sqlite://host/f.db",
        "sqlite:///",
        "postgresql://host/",
        "postgresql://h:port/db",
        "f.db",
    ],
)
def test_bad_urls_are_config_errors(url: str) -> None:
    with pytest.raises(ConfigError):
        parse_url(url)


@pytest.mark.sqlite_only
def test_sqlite_pragmas(database: peewee.Database) -> None:
    pragma = lambda name: database.execute_sql(f"PRAGMA {name}").fetchone()[0]  # noqa: E731
    assert pragma("journal_mode") == "wal"
    assert pragma("foreign_keys") == 1
    assert pragma("busy_timeout") >= 5000
    assert pragma("synchronous") == 2  # FULL


@pytest.mark.sqlite_only
def test_transactions_take_the_write_lock_at_begin(database: peewee.Database) -> None:
    """BEGIN IMMEDIATE: another writer is kept out from the first statement, even a read."""
    inside, release = threading.Event(), threading.Event()

    def hold() -> None:
        with database.atomic():
            Patient.select().count()  # only a read
            inside.set()
            release.wait(10)
        database.close()

    holder = threading.Thread(target=hold)
    holder.start()
    assert inside.wait(10)
    other = sqlite3.connect(database.database, timeout=0)
    try:
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
    finally:
        release.set()
        holder.join()
        other.close()


def test_foreign_keys_are_enforced(database: peewee.Database) -> None:
    with pytest.raises(peewee.IntegrityError):
        database.execute_sql(
            "INSERT INTO invoice_line (invoice_id, position, code, description, quantity, "
            "unit_price_cents, tax_rate, subtotal_cents, tax_cents) VALUES (999, 1, '', 'x', 1, 1, 0, 1, 0)"
        )


@pytest.mark.sqlite_only
def test_backup_while_another_connection_writes(database: peewee.Database, tmp_path: Path) -> None:
    for index in range(50):
        Patient.create(last_name=f"Patient{index}", first_name="Test")
    writer = sqlite3.connect(database.database, timeout=10)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute(
        "INSERT INTO patient (last_name, first_name, search_name, receive_reminders, receive_statements, "
        "consent_sms, email_withdrawn, consent_email_attachments, created_at, updated_at) "
        "VALUES ('Late', 'Row', 'late row', 1, 0, 0, 0, 0, '2026-01-01', '2026-01-01')"
    )
    target = tmp_path / "backups" / "copy.db"
    backup_sqlite(database, target)  # a reader: the open write transaction does not block it
    writer.commit()
    writer.close()
    copy = sqlite3.connect(target)
    assert copy.execute("SELECT count(*) FROM patient").fetchone()[0] == 50  # the snapshot before the commit
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    copy.close()
    assert not (tmp_path / "backups" / "copy.db.partial").exists()
    assert target.stat().st_mode & 0o777 == 0o600  # patients' data: owner only


@pytest.mark.sqlite_only
def test_backup_refuses_to_overwrite_the_database(database: peewee.Database) -> None:
    with pytest.raises(DatabaseError):
        backup_sqlite(database, Path(database.database))


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://facteur:s%40cret@db.local:5433/clinic",
        "postgresql://facteur@db.local/clinic?sslmode=require",
        "postgresql:///clinic?host=%2Fvar%2Frun%2Fpostgresql&port=5433",
        "postgresql:///clinic",
    ],
)
def test_postgresql_urls_survive_the_trip_to_another_process(url: str) -> None:
    """``url_of`` (what the PDF workers and the tests' agents open) gives back the same database."""
    database = make_database(parse_url(url))
    assert isinstance(database, peewee.PostgresqlDatabase)
    again = make_database(parse_url(url_of(database)))
    assert (again.database, again.connect_params) == (database.database, database.connect_params)


def test_libpq_options_come_from_the_query() -> None:
    database = make_database(parse_url("postgresql:///clinic?host=/var/run/postgresql&sslmode=require"))
    params = database.connect_params
    assert (params["host"], params["sslmode"], params["application_name"]) == (
        "/var/run/postgresql",
        "require",
        "facteur",
    )


def test_sqlite_url_of_is_absolute(tmp_path: Path) -> None:
    database = make_database(parse_url("sqlite:///f.db", tmp_path))
    assert url_of(database) == f"sqlite:///{tmp_path / 'f.db'}"
    with pytest.raises(DatabaseError):
        url_of(make_database(parse_url("sqlite:///:memory:")))


def test_an_unreachable_server_is_a_clear_error(pg_cluster: PostgresCluster) -> None:
    with pytest.raises(DatabaseError, match="cannot open the database") as refused:
        open_database(pg_cluster.url("missing").replace("facteur@", "facteur:s3cret@"))
    assert "s3cret" not in str(refused.value) and "***" in str(refused.value)


def test_a_server_restart_costs_one_statement(pg_cluster: PostgresCluster) -> None:
    """The statement that meets the lost connection fails (inside a transaction too); the next
    one reconnects. The agent's loop and the TUI carry on instead of failing forever."""
    name = pg_cluster.create_database()
    try:
        database = open_database(pg_cluster.url(name))
        ensure_schema(database)
        Patient.create(last_name="Avant", first_name="Redémarrage")
        pg_cluster.restart()
        with pytest.raises(peewee.OperationalError):
            Patient.select().count()
        assert Patient.select().count() == 1
        pg_cluster.restart()
        with pytest.raises(peewee.PeeweeException), database.atomic():
            Patient.create(last_name="Pendant", first_name="Transaction")
        with database.atomic():
            Patient.create(last_name="Après", first_name="Redémarrage")
        assert sorted(p.last_name for p in Patient.select()) == ["Après", "Avant"]
    finally:
        close_database()
        pg_cluster.drop_database(name)


@pytest.mark.sqlite_only
def test_a_new_database_is_its_owners_alone_whatever_the_umask(tmp_path: Path) -> None:
    import os
    import stat

    folder = tmp_path / "var"
    previous = os.umask(0o022)
    try:
        ensure_schema(open_database(f"sqlite:///{folder / 'facteur.db'}"))
        Patient.create(last_name="Roy", first_name="Luc")  # the -wal and -shm files exist now
        modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()}
    finally:
        os.umask(previous)
        close_database()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert modes == {"facteur.db": 0o600, "facteur.db-wal": 0o600, "facteur.db-shm": 0o600}


@pytest.mark.sqlite_only
def test_a_database_others_can_read_is_refused_until_its_owner_repairs_it(tmp_path: Path) -> None:
    import os
    import stat

    path = tmp_path / "var" / "facteur.db"
    ensure_schema(open_database(f"sqlite:///{path}"))
    close_database()
    for mode in (0o644, 0o660):  # as an older install left it; as the old group deployment did
        path.chmod(mode)
        path.parent.chmod(0o755)
        with pytest.raises(DatabaseError) as refused:
            open_database(f"sqlite:///{path}", create=False)
        assert refused.value.params["mode"] == f"{mode:04o}" and "facteur db migrate" in refused.value.message
        open_database(f"sqlite:///{path}", create=False, repair=True)  # db migrate, by its owner
        close_database()
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    if os.geteuid() == 0:  # another account's file is never changed, only refused
        path.chmod(0o644)
        os.chown(path, 65534, 65534)
        with pytest.raises(DatabaseError):
            open_database(f"sqlite:///{path}", create=False, repair=True)
        assert stat.S_IMODE(path.stat().st_mode) == 0o644

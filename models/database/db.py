"""The database: one proxy, bound at run time from a URL.

Nothing connects at import. ``open_database(url)`` builds the peewee database,
binds ``db`` to it and returns it. SQLite runs in WAL mode with foreign keys, a
busy timeout, ``synchronous=FULL`` and ``BEGIN IMMEDIATE`` for every transaction,
so two processes (the TUI and the agent) never deadlock upgrading a read lock.
PostgreSQL runs through psycopg 3, its transactions side by side: the few rules
that read then write take ``serialize_writers`` (an advisory lock) or row locks.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, urlencode, urlsplit

import peewee
from peewee import DatabaseProxy

from locales import N_
from models.core.database_url import DatabaseURL, parse_url
from models.core.errors import DatabaseError

db = DatabaseProxy()

DEFAULT_URL = "sqlite:///var/facteur.db"
BUSY_TIMEOUT_SECONDS = 10
PG_CONNECT_TIMEOUT_SECONDS = 10
SQLITE_PRAGMAS = (
    ("journal_mode", "wal"),
    ("foreign_keys", 1),
    ("busy_timeout", BUSY_TIMEOUT_SECONDS * 1000),
    ("synchronous", 2),  # FULL: a committed invoice number survives a power cut
)


class ReconnectingPostgresqlDatabase(peewee.PostgresqlDatabase):
    """PostgreSQL that opens a new connection when the server dropped the last one (a restart, the
    network): the statement that met the loss fails, as it must, and the next one, outside any
    transaction, reconnects, instead of every statement failing on the dead connection forever."""

    def cursor(self, named_cursor: Any = None) -> Any:
        state = self._state  # type: ignore[attr-defined]  # peewee's per-thread connection state
        if not state.closed and state.conn is not None and state.conn.closed and not state.transactions:
            state.reset()  # the connection is gone; peewee's autoconnect opens a new one
        return super().cursor(named_cursor)


_Row = TypeVar("_Row", bound=peewee.Model)


def _libpq_defaults() -> dict[str, Any]:
    return {"connect_timeout": PG_CONNECT_TIMEOUT_SECONDS, "application_name": "facteur"}


def make_database(parsed: DatabaseURL) -> peewee.Database:
    """Build (without connecting) the peewee database for a parsed URL."""
    if parsed.is_sqlite:
        name = str(parsed.path) if parsed.path else ":memory:"
        return peewee.SqliteDatabase(
            name,
            pragmas=SQLITE_PRAGMAS,
            timeout=BUSY_TIMEOUT_SECONDS,
            lock_type="IMMEDIATE",
        )
    # psycopg 3 (peewee 4 picks it with ``prefer_psycopg3``); peewee runs in autocommit and
    # opens a transaction only inside ``db.atomic()``, so an idle connection holds no snapshot.
    # Leave the password out of the URL: libpq reads PGPASSWORD or ~/.pgpass itself.
    libpq: dict[str, Any] = {
        "host": parsed.host,
        "port": parsed.port,
        "user": parsed.user,
        "password": parsed.password,
        **_libpq_defaults(),
        **dict(parsed.options),  # ?host=/var/run/postgresql&sslmode=require: libpq's own words win
    }
    return ReconnectingPostgresqlDatabase(parsed.name, prefer_psycopg3=True, **libpq)


def url_of(database: peewee.Database) -> str:
    """A URL another process can open to reach ``database`` (a file or a server, not memory)."""
    if isinstance(database, peewee.SqliteDatabase) and database.database not in ("", ":memory:"):
        return f"sqlite:///{Path(database.database).resolve()}"
    if isinstance(database, peewee.PostgresqlDatabase):
        defaults = _libpq_defaults()
        params = {
            key: value
            for key, value in database.connect_params.items()
            if value is not None and defaults.get(key) != value
        }
        auth = quote(str(params.pop("user", "")), safe="")
        if "password" in params:
            auth += ":" + quote(str(params.pop("password")), safe="")
        host = str(params.get("host", ""))
        netloc = (f"{auth}@" if auth else "") + ("" if host.startswith("/") else params.pop("host", ""))
        if "port" in params and not host.startswith("/"):
            netloc += f":{params.pop('port')}"
        query = urlencode({key: str(value) for key, value in params.items()})
        return f"postgresql://{netloc}/{quote(database.database, safe='')}" + (f"?{query}" if query else "")
    raise DatabaseError(N_("another process cannot open this database: it lives in memory"))


def current_url() -> str:
    """A URL another process (a render process, a test's agent) can open to reach the database
    ``db`` is bound to now."""
    return url_of(db.obj)


def open_database(
    url: str = DEFAULT_URL, base_dir: Path | None = None, *, create: bool = True, repair: bool | None = None
) -> peewee.Database:
    """Bind ``db`` to the database at ``url`` and connect to it. Without ``create``, a SQLite file
    that does not exist is refused before anything (its folder, an empty file) is made: only
    ``facteur db init`` creates a database.

    A SQLite file holds every patient's health data: it is made its owner's alone (its folder
    too, when this makes it), whatever the umask, and one that another account (a group's member
    too: staff reach the data through Facteur only) can open is refused, saying how to fix it;
    ``repair`` (``db init`` and ``db migrate``: ``create`` by default) takes the other accounts'
    access away instead, from the file and its folder, when this user owns them. SQLite gives its
    ``-wal`` and ``-shm`` files the database's mode."""
    parsed = parse_url(url, base_dir)
    if parsed.path is not None and not create and not parsed.path.exists():
        raise DatabaseError(
            N_("there is no database at {path}: run 'facteur db init' first"), path=str(parsed.path)
        )
    if parsed.path is not None:
        private_sqlite_file(parsed.path, create=create, repair=create if repair is None else repair)
    database = make_database(parsed)
    db.initialize(database)
    try:
        database.connect(reuse_if_open=True)
    except (peewee.OperationalError, peewee.ImproperlyConfigured) as exc:
        raise DatabaseError(
            N_("cannot open the database {url}: {reason}"), url=redacted(url), reason=str(exc)
        ) from exc
    return database


def private_sqlite_file(path: Path, *, create: bool, repair: bool) -> None:
    """A SQLite file (and a folder made for it) its owner's alone, or refused: see ``open_database``."""
    try:
        if create and not path.parent.exists():
            path.parent.mkdir(mode=0o700, parents=True)
            path.parent.chmod(0o700)  # whatever the umask
        if create and not path.exists():
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))  # an empty database
            path.chmod(0o600)
    except FileExistsError:
        pass  # made meanwhile by another process: checked below like any other
    except OSError as exc:
        raise DatabaseError(
            N_("cannot create the database {path}: {reason}"),
            path=str(path),
            reason=exc.strerror or str(exc),
        ) from exc
    try:
        found = path.stat()
    except FileNotFoundError:
        return
    if not found.st_mode & 0o077:
        return
    if repair and found.st_uid == os.geteuid():
        for part in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            with contextlib.suppress(FileNotFoundError):
                part.chmod(stat.S_IMODE(part.stat().st_mode) & ~0o077)
        folder = path.parent.stat()
        if folder.st_uid == os.geteuid() and folder.st_mode & 0o077:  # an older install's 0755 var/
            path.parent.chmod(stat.S_IMODE(folder.st_mode) & ~0o077)
        return
    raise DatabaseError(
        N_(
            "other accounts on this machine can open the database {path} (mode {mode}): as its owner, "
            "run 'facteur db migrate' or 'chmod go-rwx {path}*'"
        ),
        path=str(path),
        mode=f"{stat.S_IMODE(found.st_mode):04o}",
    )


def serialize_writers(key: str, database: peewee.Database | None = None) -> None:
    """Inside a transaction: wait until no other transaction holds ``key``, then hold it to the end.

    SQLite already runs one writer at a time (``BEGIN IMMEDIATE``), which the read-then-write
    rules (create the schema once, keep one admin) rely on; on PostgreSQL, whose transactions
    run side by side, this takes a transaction-scoped advisory lock named by ``key``.
    """
    database = database if database is not None else db.obj
    if isinstance(database, peewee.PostgresqlDatabase):
        digest = hashlib.blake2b(f"facteur:{key}".encode(), digest_size=8).digest()
        database.execute_sql(
            "SELECT pg_advisory_xact_lock(%s)", (int.from_bytes(digest, "big", signed=True),)
        )


def locked(query: peewee.ModelSelect[_Row]) -> peewee.ModelSelect[_Row]:
    """``query``'s rows locked until the transaction ends, where the database needs it: on SQLite,
    ``BEGIN IMMEDIATE`` already makes a write transaction the only one."""
    return query if isinstance(db.obj, peewee.SqliteDatabase) else query.for_update()


def reset_sequences(database: peewee.Database, tables: Iterable[str]) -> None:
    """After rows were written with their ids (a copy, the bulk demo): on PostgreSQL, move each
    table's ``id`` sequence past its highest id, so the next insert does not collide. SQLite
    needs nothing: its next id is always the highest plus one."""
    if not isinstance(database, peewee.PostgresqlDatabase):
        return
    for table in tables:
        database.execute_sql(
            f"SELECT setval(pg_get_serial_sequence(%s, 'id'), COALESCE(MAX(id), 0) + 1, false) "  # noqa: S608 (a table name of ours)
            f'FROM "{table}"',
            (f'"{table}"',),
        )


def close_database() -> None:
    if db.obj is not None and not db.is_closed():
        db.close()


def backup_sqlite(database: peewee.Database, target: Path) -> None:
    """Copy a live SQLite database to ``target`` with SQLite's online backup API.

    Readers and the writer keep working while it runs; the copy is written to a
    temporary file, checked, then renamed, so ``target`` is never half-written.
    """
    if not isinstance(database, peewee.SqliteDatabase):
        raise DatabaseError(N_("backup copies SQLite databases; use pg_dump for PostgreSQL"))
    target = target.expanduser().resolve()
    if target.is_dir():
        raise DatabaseError(N_("{path} is a folder; give a file name"), path=str(target))
    if database.database == str(target):
        raise DatabaseError(N_("the backup cannot overwrite the database itself"))
    partial = target.with_name(target.name + ".partial")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial.unlink(missing_ok=True)
        # Health data: the copy is readable by its owner only, from its first byte.
        os.close(os.open(partial, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        copy = sqlite3.connect(partial)
        try:
            # One step: a read snapshot under WAL, so writers go on meanwhile.
            database.connection().backup(copy)
            (verdict,) = copy.execute("PRAGMA integrity_check").fetchone()
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            copy.close()
        if verdict != "ok":
            raise DatabaseError(N_("the backup failed its integrity check: {detail}"), detail=verdict)
        partial.replace(target)
    except (OSError, sqlite3.Error) as exc:
        partial.unlink(missing_ok=True)
        raise DatabaseError(
            N_("cannot write the backup to {path}: {reason}"), path=str(target), reason=str(exc)
        ) from exc


def redacted(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@")
    return url

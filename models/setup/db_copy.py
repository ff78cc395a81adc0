"""``facteur db copy FROM_URL TO_URL``: every row of one database into another, ids kept.

For moving a clinic from SQLite to PostgreSQL (or back). The source must be at this
Facteur's schema version; the target must be empty (a new file, or a database just made
with ``createdb``): its schema is created here, then every table is copied in dependency
order (a row's references are there before it), in batches by id, through the models so
each value is converted for the other engine (SQLite's 0/1 become booleans, its text
dates become dates). The source is read in one snapshot and the target written in one
transaction: a copy that fails (a refused row, a count that does not match) leaves the
target as it was. PostgreSQL's id sequences are then moved past the copied ids.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import peewee

from locales import N_
from models.core.database_url import DatabaseURL, parse_url
from models.core.errors import DatabaseError
from models.database.base import BaseModel
from models.database.db import make_database, private_sqlite_file, redacted, reset_sequences
from models.messaging.tables import Template
from models.setup.schema import (
    ALL_MODELS,
    LATEST_VERSION,
    SchemaVersion,
    check_schema,
    database_version,
    ensure_schema,
)

COPY_BATCH = 500  # rows per INSERT: under SQLite's 32,766 parameters with the widest table
# ``ALL_MODELS`` lists parents before children (a test keeps it so): rows are copied in that order.
COPY_ORDER: tuple[type[BaseModel], ...] = ALL_MODELS


@dataclass(frozen=True)
class TableCopy:
    table: str
    rows: int


def copy_database(
    source_url: str,
    target_url: str,
    base_dir: Path | None = None,
    *,
    batch: int = COPY_BATCH,
    progress: Callable[[TableCopy], None] | None = None,
) -> list[TableCopy]:
    """Copy every row from ``source_url`` into the empty ``target_url``; the rows per table."""
    source_place, target_place = parse_url(source_url, base_dir), parse_url(target_url, base_dir)
    if _same_place(source_place, target_place):
        raise DatabaseError(N_("the source and the target are the same database"))
    if target_place.path is not None:  # health data: the copy is its owner's alone, like the original
        private_sqlite_file(target_place.path, create=True, repair=False)
    source = _connect(make_database(source_place), source_url)
    try:
        target = _connect(make_database(target_place), target_url)
        try:
            return _copy(source, target, redacted(target_url), batch, progress)
        finally:
            target.close()
    finally:
        source.close()


def _same_place(one: DatabaseURL, other: DatabaseURL) -> bool:
    if one.path is not None and other.path is not None:
        return one.path.resolve() == other.path.resolve()
    return (one.scheme, one.host, one.port, one.name) == (other.scheme, other.host, other.port, other.name)


def _connect(database: peewee.Database, url: str) -> peewee.Database:
    try:
        database.connect()
    except (peewee.OperationalError, peewee.ImproperlyConfigured) as exc:
        raise DatabaseError(
            N_("cannot open the database {url}: {reason}"), url=redacted(url), reason=str(exc)
        ) from exc
    return database


def _copy(
    source: peewee.Database,
    target: peewee.Database,
    target_name: str,
    batch: int,
    progress: Callable[[TableCopy], None] | None,
) -> list[TableCopy]:
    with source.bind_ctx(ALL_MODELS):
        check_schema(source)
    copied: list[TableCopy] = []
    with _snapshot(source), target.atomic():
        with target.bind_ctx(ALL_MODELS):
            _prepare_target(target, target_name)
        for model in COPY_ORDER:
            rows = _copy_table(model, source, target, batch)
            copied.append(TableCopy(model._meta.table_name, rows))
            if progress is not None:
                progress(copied[-1])
        for model, done in zip(COPY_ORDER, copied, strict=True):
            with source.bind_ctx(ALL_MODELS):
                expected = model.select().count()
            with target.bind_ctx(ALL_MODELS):
                found = model.select().count()
            if not expected == found == done.rows:
                raise DatabaseError(
                    N_(
                        "the copy of {table} does not add up ({source} rows read, {target} written); "
                        "nothing was copied"
                    ),
                    table=done.table,
                    source=expected,
                    target=found,
                )
        reset_sequences(
            target, [model._meta.table_name for model in COPY_ORDER if model is not SchemaVersion]
        )
    return copied


def _prepare_target(target: peewee.Database, target_name: str) -> None:
    """An empty target gets today's schema; one with any row, or another version, is refused."""
    version = database_version(target)
    if version is None:
        ensure_schema(target)
    elif version != LATEST_VERSION:
        raise DatabaseError(
            N_("the target {url} has schema version {found}, not {needed}: give an empty database"),
            url=target_name,
            found=version,
            needed=LATEST_VERSION,
        )
    for model in COPY_ORDER:
        rows = model.select()
        if model is Template:  # the schema seeds the shipped templates: they do not make it full
            rows = rows.where(Template.system_key.is_null())
        if model is not SchemaVersion and rows.exists():
            raise DatabaseError(
                N_("the target {url} is not empty ({table} has rows): give an empty database"),
                url=target_name,
                table=model._meta.table_name,
            )
    SchemaVersion.delete().execute()  # replaced by the source's history of versions
    Template.delete().execute()  # the seeded ones, replaced by the source's (with its wording)


@contextmanager
def _snapshot(source: peewee.Database) -> Iterator[None]:
    """Read the whole source as of one moment, without stopping its writers."""
    if isinstance(source, peewee.SqliteDatabase):
        with source.atomic(lock_type="DEFERRED"):  # a WAL read snapshot, not the write lock
            yield
    else:
        with source.atomic(isolation_level="REPEATABLE READ"):
            yield


def _copy_table(model: type[BaseModel], source: peewee.Database, target: peewee.Database, batch: int) -> int:
    """Keyset pages by primary key, each read as Python values and inserted as the target wants them."""
    key = model._meta.primary_key
    fields = model._meta.sorted_fields
    total, last = 0, None
    while True:
        with source.bind_ctx(ALL_MODELS):
            query = model.select(*fields).order_by(key).limit(batch)
            if last is not None:
                query = query.where(key > last)
            rows = cast("list[tuple[Any, ...]]", list(query.tuples()))  # the stubs type rows as models
        if not rows:
            return total
        with target.bind_ctx(ALL_MODELS):
            try:
                model.insert_many(rows, fields=fields).as_rowcount().execute()
            except peewee.DatabaseError as exc:
                raise DatabaseError(
                    N_("cannot copy a row of {table}: {reason}; nothing was copied"),
                    table=model._meta.table_name,
                    reason=str(exc).strip(),
                ) from exc
        total += len(rows)
        last = rows[-1][fields.index(key)]

"""The hot paths' small reads and writes as SQL text built once per shape: the agent's per-message
writes while it drains, the portal's per-link ones while it takes a batch of publications.

Peewee builds a query's SQL anew on every call, and for the small writes the agent makes for
each message that is most of their cost: an UPDATE of one row by its key takes about 95 µs
through the query builder and 15 µs as ready text; a ``Model.create`` of a transmission,
170 µs. Draining a backlog, the agent's database thread spent more time building SQL than
SQLite spent running it (``make bench``, the drain's secure half).

These helpers keep the statement text per (table, columns) and convert each value with its
field's own ``db_value`` (and each value read with its ``python_value``), so a row holds exactly
what peewee would have written, on SQLite or PostgreSQL: the database is the model's own (the
clinic's, or the portal's), the placeholder and the quotes its dialect's. They cover the plain
shapes only: equality conditions joined by AND, literal values.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import peewee


@functools.lru_cache(maxsize=256)
def _update_sql(table: str, columns: tuple[str, ...], keys: tuple[str, ...], param: str, quote: str) -> str:
    def name(column: str) -> str:
        return f"{quote[0]}{column}{quote[1]}"

    assignments = ", ".join(f"{name(column)} = {param}" for column in columns)
    conditions = " AND ".join(f"{name(column)} = {param}" for column in keys)
    # names from the models' metadata, every value a parameter
    return f"UPDATE {name(table)} SET {assignments} WHERE {conditions}"  # noqa: S608


@functools.lru_cache(maxsize=256)
def _insert_sql(table: str, columns: tuple[str, ...], param: str, quote: str, returning: str) -> str:
    names = ", ".join(f"{quote[0]}{column}{quote[1]}" for column in columns)
    params = ", ".join(param for _ in columns)
    sql = f"INSERT INTO {quote[0]}{table}{quote[1]} ({names}) VALUES ({params})"  # noqa: S608 (as above)
    return f"{sql} RETURNING {quote[0]}{returning}{quote[1]}" if returning else sql


@functools.lru_cache(maxsize=256)
def _select_sql(table: str, columns: tuple[str, ...], keys: tuple[str, ...], param: str, quote: str) -> str:
    def name(column: str) -> str:
        return f"{quote[0]}{column}{quote[1]}"

    conditions = " AND ".join(f"{name(column)} = {param}" for column in keys)
    return f"SELECT {', '.join(map(name, columns))} FROM {name(table)} WHERE {conditions}"  # noqa: S608


@functools.lru_cache(maxsize=256)
def _delete_sql(table: str, keys: tuple[str, ...], param: str, quote: str) -> str:
    conditions = " AND ".join(f"{quote[0]}{column}{quote[1]} = {param}" for column in keys)
    return f"DELETE FROM {quote[0]}{table}{quote[1]} WHERE {conditions}"  # noqa: S608 (as above)


def _database(model: type[peewee.Model]) -> peewee.Database:
    """The database ``model`` is bound to (through its proxy, when it has one)."""
    database = model._meta.database
    return database.obj if isinstance(database, peewee.DatabaseProxy) else database


def _dialect(database: peewee.Database) -> tuple[str, str]:
    return str(database.param), str(database.quote)


def _columns(fields: Iterable[peewee.Field]) -> tuple[str, ...]:
    return tuple(field.column_name for field in fields)


def update_where(
    model: type[peewee.Model], values: Mapping[peewee.Field, Any], where: Mapping[peewee.Field, Any]
) -> int:
    """``UPDATE model SET values WHERE field = value AND …``; the number of rows changed."""
    if not values or not where:
        raise ValueError("an update needs values and conditions")
    database = _database(model)
    sql = _update_sql(model._meta.table_name, _columns(values), _columns(where), *_dialect(database))
    params = [field.db_value(value) for field, value in values.items()]
    params += [field.db_value(value) for field, value in where.items()]
    cursor = database.execute_sql(sql, params)
    return int(cursor.rowcount)


def insert_row(model: type[peewee.Model], values: Mapping[peewee.Field, Any]) -> Any:
    """``INSERT`` one row of ``model``: the given values, the fields' defaults for the rest; the new
    row's key when the database chose it (an auto-increment key left out of ``values``)."""
    row = dict(values)
    for field in model._meta.sorted_fields:
        if field not in row and field.default is not None:
            row[field] = field.default() if callable(field.default) else field.default
    database = _database(model)
    key = model._meta.primary_key
    chosen = key if isinstance(key, peewee.AutoField) and key not in row else None  # by the database
    returning = chosen.column_name if chosen is not None and database.returning_clause else ""
    sql = _insert_sql(model._meta.table_name, _columns(row), *_dialect(database), returning)
    cursor = database.execute_sql(sql, [field.db_value(value) for field, value in row.items()])
    if chosen is None:
        return None
    return cursor.fetchone()[0] if returning else cursor.lastrowid


def select_where(
    model: type[peewee.Model], fields: Sequence[peewee.Field], where: Mapping[peewee.Field, Any]
) -> list[tuple[Any, ...]]:
    """``SELECT fields FROM model WHERE field = value AND …``: each row's values, read as the
    fields read them (``python_value``)."""
    if not fields or not where:
        raise ValueError("a select needs fields and conditions")
    database = _database(model)
    sql = _select_sql(model._meta.table_name, _columns(fields), _columns(where), *_dialect(database))
    cursor = database.execute_sql(sql, [field.db_value(value) for field, value in where.items()])
    return [tuple(f.python_value(v) for f, v in zip(fields, row, strict=True)) for row in cursor.fetchall()]


def delete_where(model: type[peewee.Model], where: Mapping[peewee.Field, Any]) -> int:
    """``DELETE FROM model WHERE field = value AND …``; the number of rows deleted."""
    if not where:
        raise ValueError("a delete needs conditions")
    database = _database(model)
    sql = _delete_sql(model._meta.table_name, _columns(where), *_dialect(database))
    cursor = database.execute_sql(sql, [field.db_value(value) for field, value in where.items()])
    return int(cursor.rowcount)

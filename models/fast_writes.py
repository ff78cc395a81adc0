"""The agent's per-message writes as SQL text built once per shape, for the drain's hot path.

Peewee builds a query's SQL anew on every call, and for the small writes the agent makes for
each message that is most of their cost: an UPDATE of one row by its key takes about 95 µs
through the query builder and 15 µs as ready text; a ``Model.create`` of a transmission,
170 µs. Draining a backlog, the agent's database thread spent more time building SQL than
SQLite spent running it (``make bench``, the drain's secure half).

These helpers keep the statement text per (table, columns) and convert each value with its
field's own ``db_value``, so a row holds exactly what peewee would have written, on SQLite
or PostgreSQL (the placeholder and the quotes come from the bound database). They cover the
plain shapes only: equality conditions joined by AND, literal values.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import peewee

from models.db import db


@functools.lru_cache(maxsize=256)
def _update_sql(table: str, columns: tuple[str, ...], keys: tuple[str, ...], param: str, quote: str) -> str:
    def name(column: str) -> str:
        return f"{quote[0]}{column}{quote[1]}"

    assignments = ", ".join(f"{name(column)} = {param}" for column in columns)
    conditions = " AND ".join(f"{name(column)} = {param}" for column in keys)
    # names from the models' metadata, every value a parameter
    return f"UPDATE {name(table)} SET {assignments} WHERE {conditions}"  # noqa: S608


@functools.lru_cache(maxsize=256)
def _insert_sql(table: str, columns: tuple[str, ...], param: str, quote: str) -> str:
    names = ", ".join(f"{quote[0]}{column}{quote[1]}" for column in columns)
    params = ", ".join(param for _ in columns)
    return f"INSERT INTO {quote[0]}{table}{quote[1]} ({names}) VALUES ({params})"  # noqa: S608 (as above)


def _dialect() -> tuple[str, str]:
    database = db.obj
    return str(database.param), str(database.quote)


def update_where(
    model: type[peewee.Model], values: Mapping[peewee.Field, Any], where: Mapping[peewee.Field, Any]
) -> int:
    """``UPDATE model SET values WHERE field = value AND …``; the number of rows changed."""
    if not values or not where:
        raise ValueError("an update needs values and conditions")
    sql = _update_sql(
        model._meta.table_name,
        tuple(field.column_name for field in values),
        tuple(field.column_name for field in where),
        *_dialect(),
    )
    params = [field.db_value(value) for field, value in values.items()]
    params += [field.db_value(value) for field, value in where.items()]
    cursor = db.execute_sql(sql, params)
    return int(cursor.rowcount)


def insert_row(model: type[peewee.Model], values: Mapping[peewee.Field, Any]) -> None:
    """``INSERT`` one row of ``model``: the given values, the fields' defaults for the rest."""
    row = dict(values)
    for field in model._meta.sorted_fields:
        if field not in row and field.default is not None:
            row[field] = field.default() if callable(field.default) else field.default
    sql = _insert_sql(model._meta.table_name, tuple(field.column_name for field in row), *_dialect())
    db.execute_sql(sql, [field.db_value(value) for field, value in row.items()])

"""Widening a CHECK constraint on SQLite, for the migrations that let a column take one more value."""

from __future__ import annotations

import peewee


def widen_sqlite_check(database: peewee.Database, table: str, old: str, new: str) -> None:
    """SQLite cannot alter a constraint; a CHECK that only accepts more leaves every stored row valid,
    so the table's definition is edited in place (SQLite's documented way for CHECK constraints)
    rather than the table copied with its indexes and references."""
    (sql,) = database.execute_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).fetchone()
    if old not in sql:
        raise peewee.DatabaseError(f"{table}: its constraint is not the one this version widens ({old})")
    (version,) = database.execute_sql("PRAGMA schema_version").fetchone()
    database.execute_sql("PRAGMA writable_schema = ON")
    try:
        database.execute_sql(
            "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?",
            (sql.replace(old, new), table),
        )
        database.execute_sql(f"PRAGMA schema_version = {int(version) + 1}")
    finally:
        database.execute_sql("PRAGMA writable_schema = OFF")

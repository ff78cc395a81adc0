"""A portal database from before Pay pages expired (schema 4) takes their end date in place, and
their kind (schema 6: every page kept before was an invoice's)."""

from __future__ import annotations

from pathlib import Path

from portal.pepper import Peppers
from portal.storage import (
    SCHEMA_VERSION,
    close_portal_database,
    connect_portal_database,
    prepare_portal_schema,
    schema_version,
)


def test_a_schema_4_database_gets_the_pay_pages_end_date(tmp_path: Path) -> None:
    peppers = Peppers({1: b"p" * 32})
    database = connect_portal_database(tmp_path / "portal.db")
    prepare_portal_schema(database, peppers)
    database.execute_sql("ALTER TABLE pay_door DROP COLUMN expires_at")  # as schema 4 made it
    database.execute_sql("ALTER TABLE pay_door DROP COLUMN kind")
    database.execute_sql("ALTER TABLE link DROP COLUMN revoked_reason")  # schema 7's
    database.execute_sql(
        "INSERT INTO pay_door (token_hash, tag, sign_key, account, currency, amount_cents, status, number, "
        "language, clinic, version, generation, updated_at) VALUES ('h', 't', 'k', '', 'CAD', 8500, 'open', "
        "'CDP-2026-00001', 'fr', '{}', 1, 0, '2026-11-22 15:00:00')"
    )
    database.execute_sql("PRAGMA user_version = 4")
    close_portal_database()

    database = connect_portal_database(tmp_path / "portal.db")
    prepare_portal_schema(database, peppers)
    assert schema_version(database) == SCHEMA_VERSION == 7
    assert database.execute_sql("SELECT number, expires_at, kind FROM pay_door").fetchall() == [
        ("CDP-2026-00001", None, "invoice")  # until the agent's next push: no end the portal could invent
    ]
    close_portal_database()

"""``facteur db copy FROM_URL TO_URL`` as users run it: SQLite to PostgreSQL and back, refusals.

The CLI's own database (the ``cli`` fixture's SQLite file) is the source; the target is a fresh
database on the session's PostgreSQL, so these run once (``sqlite_only``), not once per backend.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from locales import translator
from testbed.postgres import PostgresCluster
from tests.conftest import CliResult

Cli = Callable[..., CliResult]
pytestmark = pytest.mark.sqlite_only


@pytest.fixture
def pg_url(pg_cluster: PostgresCluster) -> Iterator[str]:
    name = pg_cluster.create_database()
    yield pg_cluster.url(name)
    pg_cluster.drop_database(name)


def test_copy_to_postgresql_and_back(cli: Cli, tmp_path: Path, pg_url: str) -> None:
    assert cli("db", "init", "--demo").code == 0
    invoices = cli("invoice", "list", "--json").out

    to_pg = cli("db", "copy", "sqlite:///facteur.db", pg_url)
    assert (to_pg.code, to_pg.err) == (0, "")
    lines = to_pg.out.splitlines()
    assert lines[0] == "schema_version: 1 row" and "invoice: 60 rows" in lines
    assert lines[-1].startswith("Copied ") and lines[-1].endswith("; the counts match.")

    (tmp_path / "pg.toml").write_text(f'[database]\nurl = "{pg_url}"\n', encoding="utf-8")
    on_pg = cli("--config", str(tmp_path / "pg.toml"), "invoice", "list", "--json")
    assert (on_pg.code, on_pg.out) == (0, invoices)  # the TUI's and CLI's queries read the same rows

    back = cli("db", "copy", pg_url, "sqlite:///back/facteur.db")
    assert back.code == 0, back.err
    (tmp_path / "back.toml").write_text('[database]\nurl = "sqlite:///back/facteur.db"\n', encoding="utf-8")
    assert cli("--config", str(tmp_path / "back.toml"), "invoice", "list", "--json").out == invoices


def test_a_full_target_is_one_localized_line(cli: Cli, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert cli("db", "init", "--demo").code == 0
    assert cli("db", "copy", "sqlite:///facteur.db", pg_url).code == 0
    monkeypatch.setenv("FACTEUR_LANG", "fr")
    again = cli("db", "copy", "sqlite:///facteur.db", pg_url)
    fr = translator("fr")
    expected = fr.format(
        "facteur: {message}",
        message=fr.format(
            "the target {url} is not empty ({table} has rows): give an empty database",
            url=pg_url,
            table="clinic",
        ),
    )
    assert (again.code, again.out, again.err) == (1, "", expected + "\n")


def test_backup_names_pg_dump_on_postgresql(cli: Cli, tmp_path: Path, pg_url: str) -> None:
    (tmp_path / "pg.toml").write_text(f'[database]\nurl = "{pg_url}"\n', encoding="utf-8")
    assert cli("--config", str(tmp_path / "pg.toml"), "db", "init").code == 0
    result = cli("--config", str(tmp_path / "pg.toml"), "backup", str(tmp_path / "copy.db"))
    assert result.code == 1 and "pg_dump" in result.err
    assert not (tmp_path / "copy.db").exists()

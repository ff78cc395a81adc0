"""Shared fixtures: a real database per test, a seeded clinic, and the CLI as users run it.

The database is a temp SQLite file; the tests under ``ON_POSTGRESQL`` run twice, once more
against a fresh database on a throwaway PostgreSQL server (``testbed/postgres.py``), one per
xdist worker, started at the first test that needs it. Mark a test ``sqlite_only`` where it
checks something only SQLite has (pragmas, the file backup), ``postgresql_only`` where only
PostgreSQL has it (``SKIP LOCKED``). Without PostgreSQL installed,
the ``[postgresql]`` runs skip, saying why.
"""

from __future__ import annotations

import io
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import peewee
import pytest

from models.database.db import close_database, open_database
from models.people.clinic import BillingCompany, Clinic, Staff
from models.setup.schema import ensure_schema
from testbed import postgres

# Tests (path prefixes from the rootdir) that run on both backends; the rest run on SQLite only.
# The CLI is a thin layer over the models (run on both): its tests run on SQLite, and
# ``facteur db copy`` is tried against the session's PostgreSQL (tests/cli/test_cli_db_copy.py).
ON_POSTGRESQL = (
    "tests/models/",
    "tests/agent/test_multi_agent",  # and test_multi_agent_kill
)


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto``: one worker more than the cores. Many tests wait on other processes (agents,
    the portal, sshd, PostgreSQL) and sockets; a third worker on two cores uses that idle time
    (400 s → 337 s on a 2-core machine)."""
    return len(os.sched_getaffinity(0)) + 1


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """``backend`` is ``sqlite``, and also ``postgresql`` for the tests under ``ON_POSTGRESQL``."""
    if "backend" not in metafunc.fixturenames or metafunc.definition.get_closest_marker("sqlite_only"):
        return
    if metafunc.definition.get_closest_marker("postgresql_only"):
        metafunc.parametrize("backend", ["postgresql"])
        return
    path = metafunc.definition.path.relative_to(metafunc.config.rootpath).as_posix()
    if path.startswith(ON_POSTGRESQL):
        metafunc.parametrize("backend", ["sqlite", "postgresql"])


@pytest.fixture
def backend() -> str:
    """The database engine of this test run (parametrized by ``pytest_generate_tests``)."""
    return "sqlite"


@pytest.fixture(scope="session")
def pg_cluster(worker_id: str) -> Iterator[postgres.PostgresCluster]:
    """This worker's throwaway PostgreSQL, started once; the tests skip, saying why, without one."""
    reason = postgres.unavailable()
    if reason is not None:
        if os.environ.get("FACTEUR_PG_TESTS") == "require":
            pytest.fail(f"FACTEUR_PG_TESTS=require: {reason}")
        pytest.skip(reason)
    cluster = postgres.PostgresCluster(f"facteur-{worker_id}")
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def database_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """This test's database: ``tmp_path/facteur.db``, or a database of its own on PostgreSQL
    (a copy of the migrated template when the test also asks for ``database``, else empty)."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'facteur.db'}"
        return
    cluster: postgres.PostgresCluster = request.getfixturevalue("pg_cluster")
    name = cluster.create_database(migrated="database" in request.fixturenames)
    try:
        yield cluster.url(name)
    finally:
        close_database()
        cluster.drop_database(name)


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A freshly migrated SQLite database, made once per worker; tests start from a copy of it
    (2 ms instead of the 20 a migration takes)."""
    path = tmp_path_factory.mktemp("migrated") / "facteur.db"
    ensure_schema(open_database(f"sqlite:///{path}"))
    close_database()
    return path


def start_from(template: Path, database_url: str) -> None:
    """Copy the migrated ``template`` to where ``database_url`` (SQLite) points, owner-only."""
    target = Path(database_url.removeprefix("sqlite:///"))
    if not target.exists():
        shutil.copyfile(template, target)
        target.chmod(0o600)


@pytest.fixture
def database(database_url: str, request: pytest.FixtureRequest) -> Iterator[peewee.Database]:
    """A fresh, migrated database: a temp SQLite file (not :memory:, see STYLE.md) or PostgreSQL."""
    if database_url.startswith("sqlite:///"):
        start_from(request.getfixturevalue("migrated_sqlite"), database_url)
    db = open_database(database_url)
    ensure_schema(db)
    yield db
    close_database()


@dataclass
class Setup:
    clinic: Clinic
    company: BillingCompany
    other_company: BillingCompany
    provider: Staff


@pytest.fixture
def setup(database: peewee.Database) -> Setup:
    clinic = Clinic.create(name="Clinique du Parc", country="CA", region="QC", timezone="America/Toronto")
    company = BillingCompany.create(
        clinic=clinic, name="Clinique du Parc inc.", currency="CAD", number_prefix="CDP"
    )
    other = BillingCompany.create(clinic=clinic, name="Physio Plateau", currency="CAD", number_prefix="PPL")
    provider = Staff.create(login="dr.roy", display_name="Dre Julie Roy", roles="provider,billing")
    return Setup(clinic, company, other, provider)


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def override_catalogs(tmp_path: Path) -> Iterator[Path]:
    """A site override folder the process's catalogs layer on (``tests.catalog_helpers.write_override``
    writes an admin's edit there); the shipped catalogs alone again afterwards."""
    import locales

    folder = tmp_path / "override-locales"
    folder.mkdir()
    locales.configure(folder)
    yield folder
    locales.configure(None)


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str):  # type: ignore[no-untyped-def]
    """Run ``facteur ARGS`` in-process against a config in ``tmp_path``; returns a ``CliResult``.

    On SQLite the database is ``tmp_path/facteur.db`` (the config's relative URL names it)."""
    from cli import main

    url = "sqlite:///facteur.db" if database_url.startswith("sqlite:") else database_url
    config = tmp_path / "facteur.toml"
    config.write_text(f'[database]\nurl = "{url}"\n', encoding="utf-8")
    monkeypatch.setenv("FACTEUR_CONFIG", str(config))
    monkeypatch.setenv("FACTEUR_LANG", "en")
    monkeypatch.chdir(tmp_path)

    def run(*args: str) -> CliResult:
        out, err = io.StringIO(), io.StringIO()
        code = main(list(args), out=out, err=err)
        close_database()
        return CliResult(code, out.getvalue(), err.getvalue())

    run.url = url  # type: ignore[attr-defined]  # for a test that opens the CLI's database itself
    return run


_started = time.monotonic()  # the controller imports this conftest as the session starts


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    """The suite's wall time against its budget (``FACTEUR_TEST_BUDGET`` seconds, set by ``make test``)."""
    budget = os.environ.get("FACTEUR_TEST_BUDGET")
    if not budget:
        return
    took = time.monotonic() - _started
    over = "" if took <= float(budget) else ", OVER BUDGET"
    terminalreporter.write_line(f"tests: {took:.0f} s (budget {budget} s){over}")

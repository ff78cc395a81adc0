"""A throwaway PostgreSQL cluster for the tests and the benchmarks: Debian's server binaries, a temp
folder, a free port.

``PostgresCluster.start()`` runs ``initdb`` and ``pg_ctl`` from ``/usr/lib/postgresql/*/bin``
(installed by ``make test`` through ``testbed/install_postgres.sh``) in a temp folder, listening on
127.0.0.1 only, with fsync off (the data dies with the test run). PostgreSQL refuses to run as
root: as root the cluster runs as the ``postgres`` user the Debian package creates. Each test
gets its own database (``create_database``), cloned from a migrated template when it asks for one.

``unavailable()`` says why there is no server to start (the tests skip with that reason);
``FACTEUR_PG_TESTS=require`` turns that skip into a failure, ``off`` skips on purpose;
``FACTEUR_PG_LIB`` names another folder than ``/usr/lib/postgresql`` to look in.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pwd
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg

USER = "facteur"
TEMPLATE = "facteur_template"
SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "fsync": "off",  # a test cluster: speed over durability
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "shared_buffers": "32MB",
    "max_connections": "200",  # three agents with their threads, the tests, the copies
    "log_min_messages": "warning",
}


def server_bindir() -> Path | None:
    """The newest ``/usr/lib/postgresql/N/bin`` that holds ``initdb`` and ``pg_ctl``."""
    found = []
    for candidate in Path(os.environ.get("FACTEUR_PG_LIB", "/usr/lib/postgresql")).glob("*/bin"):
        if (candidate / "initdb").exists() and (candidate / "pg_ctl").exists():
            version = re.sub(r"\D", "", candidate.parent.name) or "0"
            found.append((int(version), candidate))
    return max(found)[1] if found else None


def run_as() -> pwd.struct_passwd | None:
    """The user the server runs as: ourselves, or ``postgres`` when we are root."""
    if os.geteuid() != 0:
        return None
    return pwd.getpwnam("postgres")


def unavailable() -> str | None:
    """Why no throwaway PostgreSQL can be started here, or None when it can."""
    mode = os.environ.get("FACTEUR_PG_TESTS", "auto")
    if mode == "off":
        return "FACTEUR_PG_TESTS=off: the PostgreSQL tests are turned off"
    if server_bindir() is None:
        return (
            "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb); `make test` installs "
            "Debian's postgresql package when it runs as root with apt-get"
        )
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no 'postgres' user to run the server as"
    return None


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PostgresCluster:
    """One ``initdb``-made cluster in a temp folder; ``stop()`` removes it."""

    def __init__(self, name: str = "facteur") -> None:
        bindir = server_bindir()
        if bindir is None:
            raise RuntimeError(unavailable())
        self.bindir = bindir
        self.owner = run_as()
        self.root = Path(tempfile.mkdtemp(prefix=f"{name}-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = 0
        self._names = itertools.count(1)

    def _run(self, *args: str, timeout: float = 120) -> None:
        """A server binary as the cluster's owner; its output is kept for the error."""
        extra: dict[str, Any] = {}
        if self.owner is not None:
            extra = {"user": self.owner.pw_uid, "group": self.owner.pw_gid, "extra_groups": []}
        done = subprocess.run(  # noqa: S603 (PostgreSQL's own binaries, our arguments)
            [str(self.bindir / args[0]), *args[1:]],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=self.root,
            check=False,
            **extra,
        )
        if done.returncode != 0:
            log = self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""
            raise RuntimeError(f"{args[0]} failed ({done.returncode}): {done.stdout}{done.stderr}{log}")

    def start(self) -> PostgresCluster:
        if self.owner is not None:
            os.chown(self.root, self.owner.pw_uid, self.owner.pw_gid)
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            USER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",  # sorts like SQLite (by code point), what the README recommends
            "--no-sync",
        )
        for attempt in range(5):
            self.port = _free_port()
            options = " ".join(f"-c {key}={value}" for key, value in SETTINGS.items())
            options += f" -p {self.port} -k {self.root}"
            try:
                self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")
                break
            except RuntimeError:
                if attempt == 4:  # the port was taken between the probe and the start, five times
                    raise
        self._make_template()
        return self

    def restart(self) -> None:
        """A server restart (maintenance, a crash): every client loses its connection."""
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-m", "fast", "-w", "restart")

    def stop(self) -> None:
        if self.data.exists():
            with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):  # already gone: remove anyway
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop", timeout=60)
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str) -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}"

    @contextmanager
    def admin(self) -> Iterator[psycopg.Connection[Any]]:
        with psycopg.connect(self.url("postgres"), autocommit=True) as connection:
            yield connection

    def create_database(self, *, migrated: bool = False) -> str:
        """A new, uniquely named database: empty, or a copy of the migrated template."""
        name = f"test_{os.getpid()}_{next(self._names)}"
        template = TEMPLATE if migrated else "template0"
        with self.admin() as connection:
            for attempt in range(50):
                try:
                    connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
                    break
                except psycopg.errors.ObjectInUse:  # a copy from a template being read: wait a moment
                    if attempt == 49:
                        raise
                    time.sleep(0.1)
        return name

    def drop_database(self, name: str) -> None:
        with self.admin() as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _make_template(self) -> None:
        """``facteur_template``: the schema as ``ensure_schema`` makes it, cloned per test."""
        import peewee

        from models.database.db import close_database, open_database
        from models.setup.schema import ensure_schema

        with self.admin() as connection:
            connection.execute(f'CREATE DATABASE "{TEMPLATE}" TEMPLATE template0')
        database: peewee.Database = open_database(self.url(TEMPLATE))
        try:
            ensure_schema(database)
        finally:
            close_database()

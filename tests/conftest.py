"""Shared fixtures: a real SQLite file per test, a seeded clinic, and the CLI as users run it."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import peewee
import pytest

from models.clinic import BillingCompany, Clinic, Staff
from models.db import close_database, open_database
from models.schema import ensure_schema


@pytest.fixture
def database(tmp_path: Path) -> Iterator[peewee.Database]:
    """A fresh, migrated SQLite database in a temp file (not :memory:, see STYLE.md)."""
    db = open_database(f"sqlite:///{tmp_path / 'facteur.db'}")
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
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Run ``facteur ARGS`` in-process against a config in ``tmp_path``; returns a ``CliResult``."""
    from tui.cli import main

    config = tmp_path / "facteur.toml"
    config.write_text('[database]\nurl = "sqlite:///facteur.db"\n', encoding="utf-8")
    monkeypatch.setenv("FACTEUR_CONFIG", str(config))
    monkeypatch.setenv("FACTEUR_LANG", "en")
    monkeypatch.chdir(tmp_path)

    def run(*args: str) -> CliResult:
        out, err = io.StringIO(), io.StringIO()
        code = main(list(args), out=out, err=err)
        close_database()
        return CliResult(code, out.getvalue(), err.getvalue())

    return run

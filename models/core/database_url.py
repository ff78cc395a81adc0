"""Database URLs: ``sqlite:///path`` or ``postgresql://user:pw@host:port/name``, parsed and checked."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from locales import N_
from models.core.errors import ConfigError


@dataclass(frozen=True)
class DatabaseURL:
    """A parsed ``sqlite:///path`` or ``postgresql://user:pw@host:port/name``."""

    scheme: str
    path: Path | None = None  # SQLite file; None for ``:memory:``
    host: str | None = None
    port: int | None = None
    user: str | None = None
    password: str | None = None
    name: str | None = None
    options: tuple[tuple[str, str], ...] = ()  # libpq parameters from the query: sslmode=require, …

    @property
    def is_sqlite(self) -> bool:
        return self.scheme == "sqlite"


def parse_url(url: str, base_dir: Path | None = None) -> DatabaseURL:
    """Parse a database URL; a relative SQLite path is relative to ``base_dir`` (or cwd).

    As with SQLAlchemy and peewee, ``sqlite:///var/f.db`` is relative and
    ``sqlite:////srv/f.db`` absolute.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "sqlite":
        if parts.netloc:
            raise ConfigError(N_("database URL {url!r}: expected sqlite:///path/to/file.db"), url=url)
        raw = unquote(parts.path)[1:] if parts.path.startswith("/") else unquote(parts.path)
        if not raw:
            raise ConfigError(N_("database URL {url!r}: the SQLite file path is missing"), url=url)
        if raw == ":memory:":
            return DatabaseURL("sqlite")
        path = Path(raw).expanduser()
        if not path.is_absolute():
            path = (base_dir or Path.cwd()) / path
        return DatabaseURL("sqlite", path=path)
    if scheme in ("postgresql", "postgres"):
        name = unquote(parts.path.lstrip("/"))
        if not name:
            raise ConfigError(N_("database URL {url!r}: the database name is missing"), url=url)
        try:
            port = parts.port
        except ValueError:
            raise ConfigError(N_("database URL {url!r}: the port is not a number"), url=url) from None
        return DatabaseURL(
            "postgresql",
            host=unquote(parts.hostname) if parts.hostname else None,  # %2Frun%2Fpostgresql: a socket
            port=port,
            user=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            name=name,
            options=tuple(parse_qsl(parts.query)),
        )
    raise ConfigError(N_("database URL {url!r}: expected sqlite:///path or postgresql://host/name"), url=url)

"""What every CLI command gets: the configuration, the reader's translator and streams."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from typing import IO, Any

import peewee

from locales import N_, Translator
from models.core.config import Config
from models.core.errors import FacteurError


@dataclass
class Context:
    config: Config
    tr: Translator
    out: IO[str] = field(default_factory=lambda: sys.stdout)
    err: IO[str] = field(default_factory=lambda: sys.stderr)
    door: str | None = None  # how a staff member came in (cli.doors): files through stdin/stdout only
    system: bool = False  # root, or the install's owner at its own terminal: no staff record needed
    _database: peewee.Database | None = None
    _checked: bool = False

    def database(self, *, check: bool = True, create: bool = False, repair: bool = False) -> peewee.Database:
        """Open the configured database; unless ``check`` is off (``db init``/``migrate``,
        which fix it), refuse one whose schema is not this program's. Only with ``create``
        (``db init``) may a SQLite file be created; with it or ``repair`` (``db migrate``) one that
        other accounts can read is made private rather than refused."""
        if self._database is None:
            from models.database.db import open_database

            self._database = open_database(
                self.config.database.url, self.config.base_dir, create=create, repair=create or repair
            )
        if check and not self._checked:
            from models.setup.schema import check_schema

            check_schema(self._database)
            self._checked = True
        return self._database

    def print(self, text: str = "") -> None:
        print(text, file=self.out)

    def print_json(self, value: Any) -> None:
        json.dump(value, self.out, ensure_ascii=False, indent=2)
        self.out.write("\n")

    def close(self) -> None:
        if self._database is not None and not self._database.is_closed():
            self._database.close()


class PermissionDenied(FacteurError):
    """The Unix user may not do this (no staff record, or not the right role)."""


def require_staff(ctx: Context) -> Any:
    """The Staff record acting, whatever its roles: what every read needs, as the TUI asks a staff
    record to open at all; the system (root, the data's owner) acts as itself. Refused otherwise,
    saying who can fix it."""
    return require_role(ctx, None)


def require_role(ctx: Context, role: str | None) -> Any:
    """The Staff record acting, if it has ``role``; the system (root, or the install's owner
    outside a door) may act without one.

    Everyone else must be a staff member with the role, so the CLI grants nothing the TUI
    would refuse.
    """
    from models.people.staff_members import current_login, staff_for_login

    ctx.database()
    login = current_login()
    staff = staff_for_login(login)
    if ctx.system:
        return staff  # credited when the person is staff; never refused: the system owns the data
    if staff is None:
        raise PermissionDenied(
            N_(
                "{login} is not a Facteur staff member; an admin can add them with: facteur staff add {login}"
            ),
            login=login,
        )
    if role is not None and not any(part == role for part in staff.roles.split(",")):
        raise PermissionDenied(
            N_("{login} does not have the {role} role needed for this"), login=login, role=role
        )
    return staff

"""Staff records: who may use Facteur, in which roles and language."""

from __future__ import annotations

import os
import pwd

from locales import N_
from models.core.errors import ValidationError
from models.core.validation import validate_language, validate_login, validate_name, validate_roles
from models.database.db import db, serialize_writers
from models.people.clinic import Staff

_acting: str | None = None


def act_as(login: str | None) -> None:
    """Who this process acts for, once its door said so (``cli.doors``): a staff member who came
    in through sudo or SSH, whose process runs as the data's owner. None: the Unix user."""
    global _acting  # noqa: PLW0603 (one process, one person acting)
    _acting = login


def current_login() -> str:
    """The person acting: the one a door named, else the Unix user running this process, from
    the kernel, not from $USER (which anyone can set)."""
    return _acting or pwd.getpwuid(os.geteuid()).pw_name


def staff_for_login(login: str) -> Staff | None:
    return Staff.get_or_none((Staff.login == login) & (Staff.active == True))  # noqa: E712


def add_staff(login: str, display_name: str, roles: str, language: str = "fr") -> Staff:
    login = validate_login(login)
    values = {
        "display_name": validate_name(display_name, "display_name", max_length=200),
        "roles": validate_roles(roles),
        "language": validate_language(language),
    }
    with db.atomic():
        serialize_writers("staff")
        if Staff.select().where(Staff.login == login).exists():
            raise ValidationError("login", N_("{login} is already a staff member"), login=login)
        return Staff.create(login=login, **values)

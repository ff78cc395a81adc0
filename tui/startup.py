"""Who is starting the TUI: the database opened and checked, the Unix user mapped to a staff member.

Everything here runs before the app draws its first frame, so a missing database or an
unknown user ends as one line on stderr (the CLI's usual errors), never a half-drawn screen.
"""

from __future__ import annotations

from locales import N_
from models.core.config import Config
from models.core.errors import FacteurError
from tui.session import StaffSession


class NotStaff(FacteurError):
    """The Unix user has no active staff record; the message names the command that adds them."""


def configure_wording(config: Config) -> None:
    """Layer the clinic's override catalogs (``[locales] override_dir``) over the shipped ones."""
    from locales import configure

    override = config.locales.override_dir
    configure(config.resolve(override) if override else None, log_language=config.clinic.language)


def open_session(config: Config, login: str | None = None) -> StaffSession:
    """Open and check the database, then find the staff member for ``login`` (default: the Unix user)."""
    from models.database.db import open_database
    from models.people.clinic import get_clinic
    from models.people.staff_members import current_login, staff_for_login
    from models.setup.schema import check_schema

    database = open_database(config.database.url, config.base_dir, create=False)
    check_schema(database)
    login = login or current_login()
    staff = staff_for_login(login)
    if staff is None:
        raise NotStaff(
            N_(
                "{login} is not a Facteur staff member; an admin can add them with: "
                'facteur staff add {login} --name "Their Name" --roles billing'
            ),
            login=login,
        )
    return StaffSession(config, staff, get_clinic())

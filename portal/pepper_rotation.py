"""Rotating the PIN pepper (``portal.pepper``): a new version for new links, old ones dropped when unused.

A stored PIN hash cannot be re-wrapped (the portal never has the hash it wrapped), so a rotation
adds a version rather than replacing one:

1. ``rotate_pepper`` appends version *n + 1* to the pepper file; once the portal restarts, new
   publications use it and older links keep the version they were wrapped with;
2. ``prune_peppers``, once those links have ended (a link lives 31 days at most), drops every
   version no live link uses, never the current one.

A pepper held by the environment is rotated there, by hand, the same way: add an entry
(``new_entry``), restart, and remove the entries ``unused_peppers`` names (``rotate_pepper`` and
``prune_peppers`` refuse to touch a variable).
"""

from __future__ import annotations

import datetime as dt

from locales import N_
from models.core.errors import ConfigError
from portal.pepper import Peppers, new_entry, parse_peppers, read_pepper_file, write_pepper_file
from portal.services import PortalOptions
from portal.storage import (
    DATABASE_FILE,
    close_portal_database,
    connect_portal_database,
    pepper_versions_in_use,
)


def rotate_pepper(options: PortalOptions) -> int:
    """Add a new current version to the pepper file; the new version's number. Restart the portal after."""
    peppers = _file_peppers(options)
    version = peppers.current + 1
    write_pepper_file(options.pepper_path, [*_entries(peppers, peppers.versions), new_entry(version)])
    return version


def unused_peppers(options: PortalOptions, now: dt.datetime) -> list[int]:
    """The versions no live link uses, but the current one, from the file or the variable."""
    if options.pepper:
        peppers = parse_peppers(options.pepper, options.pepper_env)
    else:
        peppers = read_pepper_file(options.pepper_path)
    in_use = _versions_in_use(options, now)
    return sorted(v for v in peppers.versions if v != peppers.current and v not in in_use)


def prune_peppers(options: PortalOptions, now: dt.datetime) -> list[int]:
    """Drop from the pepper file the versions no live link uses (never the current one); those dropped."""
    peppers = _file_peppers(options)
    dropped = unused_peppers(options, now)
    if dropped:
        write_pepper_file(options.pepper_path, _entries(peppers, peppers.versions - set(dropped)))
    return dropped


def _file_peppers(options: PortalOptions) -> Peppers:
    if options.pepper:
        raise ConfigError(
            N_("the PIN pepper comes from the variable {variable}: rotate it there"),
            variable=options.pepper_env,
        )
    return read_pepper_file(options.pepper_path)


def _entries(peppers: Peppers, versions: frozenset[int] | set[int]) -> list[str]:
    return [f"{v}:{peppers.by_version[v].hex()}" for v in sorted(versions)]


def _versions_in_use(options: PortalOptions, now: dt.datetime) -> set[int]:
    path = options.data_dir / DATABASE_FILE
    if not path.exists():
        return set()
    database = connect_portal_database(path)
    try:
        return pepper_versions_in_use(database, now)
    finally:
        close_portal_database()

"""How a person comes into Facteur, and who acts once inside.

A clinic's install (``deploy/install.sh``) gives the data one owner, a system user (``facteur``),
and names it in ``facteur-install.toml`` beside the installed program. Staff have no access to
the data files; they come in through two doors, each run as the owner:

- **sudo**, at a local terminal: ``facteur`` run by a staff member re-executes itself as
  ``sudo -n -u facteur …`` (the shipped sudoers rule allows exactly that program), and the staff
  member is sudo's ``SUDO_USER``, which sudo sets itself, whatever the caller's environment;
- **SSH**, the way gitolite does it: each staff key in the owner's ``authorized_keys`` carries a
  forced command, ``facteur tui --staff LOGIN``, that names who they are; a command given to
  ``ssh`` arrives in ``SSH_ORIGINAL_COMMAND`` and runs as a Facteur command, never through a shell.

Through a door, the settings are the owner's (``--config`` is refused), the owner's own
commands (the agent, the portal, the database's upkeep, backups) are refused, and files are
read from standard input and written to standard output only: the program runs as the data's
owner, so a path the caller names could be the database itself.

Without an install file (``make run``, a developer's checkout) whoever runs Facteur owns the
data, as before: they act as themselves (root as the system).
"""

from __future__ import annotations

import argparse
import grp
import os
import pwd
import shlex
import shutil
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

from locales import N_
from models.core.errors import ConfigError, FacteurError

INSTALL_FILE = "facteur-install.toml"
SUDO = "sudo"
SSH = "ssh"
# What only the data's owner runs (a service, cron, an upgrade): never through a door.
OWNER_COMMANDS = frozenset({"agent", "portal", "db", "backup"})
SAFE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


class DoorRefused(FacteurError):
    """What a door does not let through."""


@dataclass(frozen=True)
class Installation:
    """A clinic's install: who owns the data, where the settings are, who may come in by sudo."""

    prefix: Path
    owner: str
    config: Path
    staff_group: str

    @property
    def program(self) -> Path:
        return self.prefix / "bin" / "facteur"

    @property
    def owner_uid(self) -> int:
        return pwd.getpwnam(self.owner).pw_uid


@dataclass(frozen=True)
class Entry:
    """Who acts in this process and how they came in."""

    argv: list[str]
    login: str  # the Unix login acting (a staff member's, or the owner's own)
    door: str | None = None  # SUDO, SSH, or None for the owner (or root) at their own terminal
    config: Path | None = None  # the install's settings, when there is an install
    system: bool = False  # root, or the install's owner outside a door: needs no staff record


def installation(prefix: Path | None = None) -> Installation | None:
    """The install file beside this program, if Facteur was installed for a clinic. It is trusted
    only when root owns it and nobody else may write it (whoever could would name the owner)."""
    path = (prefix or Path(sys.prefix)) / INSTALL_FILE
    try:
        found = path.stat()
    except FileNotFoundError:
        return None
    if found.st_uid != 0 or found.st_mode & 0o022:
        raise ConfigError(
            N_("{file} must belong to root and be writable by root only (chown root: and chmod 644 it)"),
            file=str(path),
        )
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        install = Installation(
            prefix=path.parent,
            owner=str(raw["owner"]),
            config=Path(str(raw["config"])),
            staff_group=str(raw.get("staff_group", "facteur-staff")),
        )
        pwd.getpwnam(install.owner)
    except (OSError, tomllib.TOMLDecodeError, KeyError) as exc:
        raise ConfigError(N_("{file}: cannot read it: {reason}"), file=str(path), reason=str(exc)) from None
    return install


def kernel_login() -> str:
    """The Unix user running this process, from the kernel, not from $USER (which anyone can set)."""
    return pwd.getpwuid(os.geteuid()).pw_name


def enter(argv: list[str]) -> Entry:
    """Who acts, through which door, with which arguments; may re-execute this program through
    sudo (a staff member at the local terminal) or drop root's privileges to the owner's."""
    install = installation()
    if install is None:
        return _outside_install(argv)
    euid = os.geteuid()
    if euid == 0:
        # Root is the system; --staff or sudo's SUDO_USER only names who to credit (the first
        # admin of `sudo facteur db init`, say). Files the system writes stay the owner's.
        login = _staff_argument(argv) or os.environ.get("SUDO_USER") or install.owner
        _become(install.owner)
        return Entry(argv, login, config=_owner_config(install), system=True)
    if euid != install.owner_uid:
        _through_sudo(install, argv)  # does not return
    sudo_user = os.environ.get("SUDO_USER")
    if sudo_user and sudo_user != install.owner:
        return _through_door(Entry(argv, sudo_user, SUDO, install.config))
    return _owner(argv, _owner_config(install), system=True)


def _owner_config(install: Installation) -> Path | None:
    """The owner's settings: its own ``FACTEUR_CONFIG`` when set (the portal's service names its
    own file), else the install's."""
    return None if os.environ.get("FACTEUR_CONFIG") else install.config


def _outside_install(argv: list[str]) -> Entry:
    """No install: whoever runs Facteur owns the data (root acts as the system); the SSH door
    works for them too."""
    return _owner(argv, None, system=os.geteuid() == 0)


def _owner(argv: list[str], config: Path | None, *, system: bool) -> Entry:
    """The owner at their terminal, or the SSH door's forced command (``tui --staff LOGIN``)."""
    staff = _staff_argument(argv)
    if staff is None:
        return Entry(argv, kernel_login(), config=config, system=system)
    if "SSH_CONNECTION" not in os.environ:
        return Entry(argv, staff, config=config)  # the owner may act as anyone: it owns the data
    original = os.environ.get("SSH_ORIGINAL_COMMAND", "").strip()
    try:
        words = shlex.split(original) if original else ["tui"]
    except ValueError as exc:
        raise DoorRefused(
            N_("cannot read the command {command}: {reason}"), command=original, reason=str(exc)
        ) from None
    if words and words[0] == "facteur":
        words = words[1:]  # `ssh facteur@host facteur invoice list` reads as well
    return _through_door(Entry(words or ["tui"], staff, SSH, config))


def _staff_argument(argv: list[str]) -> str | None:
    """The login of ``tui --staff LOGIN`` (what the SSH door's forced command says), if given."""
    for index, word in enumerate(argv):
        if word == "--staff" and index + 1 < len(argv):
            return argv[index + 1]
        if word.startswith("--staff="):
            return word.partition("=")[2]
    return None


def _through_door(entry: Entry) -> Entry:
    """A door's process: what it runs by name comes from the system's folders, never the caller's."""
    os.environ["PATH"] = SAFE_PATH
    return entry


def check_parsed(entry: Entry, args: argparse.Namespace) -> None:
    """Refuse what a door does not let through, judged on what argparse understood, before
    anything is read."""
    if entry.door is None:
        return
    if args.config is not None:
        raise DoorRefused(N_("through sudo or SSH, Facteur uses its owner's settings: --config is refused"))
    if args.command in OWNER_COMMANDS:
        raise DoorRefused(
            N_("'facteur {command}' is for Facteur's owner (a service, or root), not through sudo or SSH"),
            command=args.command,
        )
    if getattr(args, "staff", None) is not None:
        if entry.door == SUDO:
            raise DoorRefused(N_("--staff is for the SSH door; through sudo you act as yourself"))
        raise DoorRefused(N_("--staff is set by the SSH key; it cannot be given again"))


def _through_sudo(install: Installation, argv: list[str]) -> None:
    """Re-execute as the owner through sudo, after a clear refusal for those not in the staff group."""
    login = kernel_login()
    if not _in_group(login, install.staff_group):
        raise DoorRefused(
            N_(
                "{login} may not use Facteur on this machine: an administrator adds them to the "
                "{group} group (sudo usermod -aG {group} {login}) and as staff (facteur staff add {login})"
            ),
            login=login,
            group=install.staff_group,
        )
    sudo = shutil.which("sudo")
    if sudo is None:
        raise DoorRefused(N_("sudo is not installed: staff reach Facteur through sudo or SSH"))
    # The program the shipped sudoers rule names, with the caller's words as its arguments only.
    os.execv(sudo, [sudo, "-n", "-u", install.owner, "--", str(install.program), *argv])  # noqa: S606


def _in_group(login: str, group: str) -> bool:
    try:
        found = grp.getgrnam(group)
    except KeyError:
        return False
    return login in found.gr_mem or pwd.getpwnam(login).pw_gid == found.gr_gid


def _become(owner: str) -> None:
    """Root runs Facteur as the data's owner: a database file or cache root made would lock the
    owner out of its own data."""
    account = pwd.getpwnam(owner)
    os.initgroups(owner, account.pw_gid)
    os.setgid(account.pw_gid)
    os.setuid(account.pw_uid)
    os.environ["HOME"] = account.pw_dir


def refuse_path_through_door(door: str | None, given: str, option: str) -> None:
    """Through a door Facteur runs as the data's owner: a file the caller names could be the
    database itself, so files come through standard input and output only."""
    if door is not None and given != "-":
        raise DoorRefused(
            N_("through sudo or SSH, files go through standard input and output: give {option} -"),
            option=option,
        )

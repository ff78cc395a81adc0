"""Staff reach the data only through Facteur: real Unix users, the real sudo and a real sshd.

Facteur is installed by the shipped ``deploy/install.sh`` (``testbed/doors.py``) with a system
owner; a billing-only member, a provider and an account that is no staff try, at the local
terminal and over SSH, what the issue's attacker did.
"""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest

from testbed import doors

pytestmark = pytest.mark.skipif(doors.unavailable() is not None, reason=str(doors.unavailable()))


@dataclass
class Clinic:
    install: doors.ClinicInstall
    admin: str
    billing: str
    provider: str
    stranger: str

    def staff_roles(self) -> dict[str, str]:
        """Who has which roles, read as root straight from the file (what an attacker would change)."""
        with sqlite3.connect(self.install.database) as connection:
            return dict(connection.execute("SELECT login, roles FROM staff"))


@pytest.fixture
def clinic() -> Iterator[Clinic]:
    install = doors.ClinicInstall()
    try:
        install.install(first_admin=f"{install.owner}-admin")
        admin = install.add_user("admin", staff_group=True)
        billing = install.add_user("billing", staff_group=True)
        provider = install.add_user("provider", staff_group=True)
        stranger = install.add_user("stranger", staff_group=False)
        assert install.facteur("db", "init", "--demo").returncode == 0
        for login, roles in ((billing, "billing"), (provider, "provider")):
            added = install.facteur("staff", "add", login, "--name", login, "--roles", roles)
            assert added.returncode == 0, added.stderr
        yield Clinic(install, admin, billing, provider, stranger)
    finally:
        install.remove()


def refused(done: subprocess.CompletedProcess[str], *words: str) -> None:
    assert done.returncode != 0, done.stdout
    for word in words:
        assert word in done.stderr, done.stderr


def test_staff_reach_the_data_only_through_facteur(clinic: Clinic) -> None:
    """One install for the three (an install takes seconds, and one test runs on one worker)."""
    the_data_is_the_owner_s_alone(clinic)
    at_the_terminal_staff_come_in_through_sudo_with_their_own_roles(clinic)
    over_ssh_a_key_names_its_staff_member(clinic)


def the_data_is_the_owner_s_alone(clinic: Clinic) -> None:
    """The files: no staff account opens the database, so no SQL edit reaches a role or a payment."""
    install = clinic.install
    assert oct(install.database.stat().st_mode & 0o777) == "0o600"
    assert oct(install.data.stat().st_mode & 0o777) == "0o700"
    edit = "import sqlite3; sqlite3.connect({!r}).execute(\"UPDATE staff SET roles='admin'\")"
    for login in (clinic.billing, clinic.stranger):
        tried = install.as_user(login, str(doors.SYSTEM_PYTHON), "-c", edit.format(str(install.database)))
        refused(tried, "unable to open database file")
    assert clinic.staff_roles()[clinic.billing] == "billing"


def at_the_terminal_staff_come_in_through_sudo_with_their_own_roles(clinic: Clinic) -> None:
    install, facteur = clinic.install, str(clinic.install.program)
    invoices = json.loads(install.facteur("invoice", "list", "--json").stdout)
    billed = next(i["number"] for i in invoices if i["status"] == "billed" and not i["paid_cents"])
    tries = {
        "list": (clinic.billing, facteur, "invoice", "list", "--json"),
        "pdf": (clinic.billing, facteur, "invoice", "pdf", billed, "-o", "-"),
        "pdf to a path": (clinic.billing, facteur, "invoice", "pdf", billed, "-o", str(install.database)),
        "role": (clinic.billing, facteur, "staff", "add", "eve", "--name", "Eve", "--roles", "admin"),
        "forged sudo": (clinic.billing, "env", f"SUDO_USER={clinic.admin}", facteur, "staff", "list"),
        "settings": (clinic.billing, facteur, "--config", "/tmp/mine.toml", "invoice", "list"),
        "settings, abbreviated": (
            clinic.billing,
            facteur,
            "--conf",
            "/tmp/mine.toml",
            "db",
            "copy",
            "a",
            "b",
        ),
        "someone else": (clinic.billing, facteur, "tui", "--staff", clinic.admin),
        "upkeep": (clinic.billing, facteur, "db", "migrate"),
        "payment": (clinic.provider, facteur, "payment", "add", billed, "1"),
        "stranger": (clinic.stranger, facteur, "patient", "list"),
        "stranger's sudo": (clinic.stranger, "sudo", "-n", "-u", install.owner, facteur, "patient", "list"),
    }
    with ThreadPoolExecutor(4) as pool:
        done = dict(zip(tries, pool.map(lambda t: install.as_user(*t), tries.values()), strict=True))
    assert done["list"].returncode == 0 and billed in done["list"].stdout
    assert done["pdf"].stdout.startswith("%PDF")
    refused(done["pdf to a path"], "give --output -")
    refused(done["role"], "does not have the admin role")
    refused(done["forged sudo"], "does not have the admin role")  # sudo says who it is, not the caller
    refused(done["settings"], "--config is refused")
    refused(done["settings, abbreviated"], "facteur: ")  # argparse takes no prefix for --config
    refused(done["someone else"], "--staff is for the SSH door")
    refused(done["upkeep"], "is for Facteur's owner")
    refused(done["payment"], "does not have the billing role")
    refused(done["stranger"], "may not use Facteur on this machine", install.staff_group)
    refused(done["stranger's sudo"])  # sudo's own refusal: the rule is the staff group's
    assert "eve" not in clinic.staff_roles()
    assert json.loads(install.facteur("invoice", "show", billed, "--json").stdout)["paid_cents"] == 0


def over_ssh_a_key_names_its_staff_member(clinic: Clinic) -> None:
    install = clinic.install
    key = install.ssh_key(clinic.billing)
    added = install.facteur("staff", "key", clinic.billing, "-", stdin=key.read_text())
    assert added.returncode == 0, added.stderr
    install.start_sshd()
    ssh = install.ssh_command(key)
    tries = {
        "list": "invoice list --json",
        "role": "staff add eve --name Eve --roles admin",
        "shell": "invoice list; id",
        "no shell": "sh -c id",
        "service": "agent --once",
        "someone else": f"tui --staff {clinic.admin}",
    }
    with ThreadPoolExecutor(3) as pool:
        runs = pool.map(lambda words: install.as_user(clinic.billing, *ssh, words), tries.values())
        done = dict(zip(tries, runs, strict=True))
    assert done["list"].returncode == 0 and json.loads(done["list"].stdout)
    refused(done["role"], f"{clinic.billing} does not have the admin role")
    refused(done["shell"], "invalid choice: 'list;'")
    refused(done["no shell"], "invalid choice: 'sh'")
    refused(done["service"], "is for Facteur's owner")
    refused(done["someone else"], "--staff is set by the SSH key")
    assert "eve" not in clinic.staff_roles()
    assert f"Clinique Facteur — {clinic.billing}" in _tui_first_screen(install, [*ssh[:1], "-tt", *ssh[1:]])


def _tui_first_screen(install: doors.ClinicInstall, ssh: list[str]) -> str:
    """The TUI over ``ssh -tt`` in a real terminal, until its header is drawn; then Ctrl+Q."""
    pid, terminal = pty.fork()
    if pid == 0:  # the child: the staff member's terminal
        os.execvp("runuser", ["runuser", "-u", ssh_user(install), "--", "env", "TERM=xterm-256color", *ssh])
    seen = b""
    try:
        while b"\xe2\x80\x94" not in seen or b"F2" not in seen:  # "—" in "Clinic — Name", and the tabs
            ready, _, _ = select.select([terminal], [], [], 30)
            assert ready, seen.decode(errors="replace")[-500:]
            seen += os.read(terminal, 65536)
        assert _quit(pid, terminal), "the TUI did not quit on Ctrl+Q within a minute"
    except BaseException:
        os.kill(pid, signal.SIGKILL)  # don't leave the session behind a failed test
        os.waitpid(pid, 0)
        raise
    finally:
        os.close(terminal)
    return _plain(seen)


def _quit(pid: int, terminal: int) -> bool:
    """Ctrl+Q until the TUI has gone (True), reading what it draws meanwhile; False after a minute.

    The header can be drawn before the app reads keys, so one Ctrl+Q may go unseen on a loaded
    machine; and a terminal nobody reads stops the program that writes to it.
    """
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        os.write(terminal, b"\x11")
        ready, _, _ = select.select([terminal], [], [], 5)
        try:
            while ready and os.read(terminal, 65536):
                ready, _, _ = select.select([terminal], [], [], 1)
        except OSError:  # EIO: the other side closed, the session is over
            pass
        if os.waitpid(pid, os.WNOHANG) != (0, 0):
            return True
    return False


def ssh_user(install: doors.ClinicInstall) -> str:
    return next(login for login in install.users if login.endswith("-billing"))


def _plain(raw: bytes) -> str:
    """The terminal's bytes without escape sequences, spaces collapsed."""
    import re

    text = re.sub(
        r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>]", " ", raw.decode(errors="replace")
    )
    return re.sub(r"\s+", " ", text)

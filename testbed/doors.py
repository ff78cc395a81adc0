"""A clinic's install on this machine, for the tests and the benchmark of the staff's doors.

``ClinicInstall`` runs the shipped ``deploy/install.sh`` (a real install of this checkout, copied
where other accounts can run it) with names of its own (an owner, a staff
group, an admin group, a prefix and a data folder under a fresh ``/tmp`` folder other accounts
can traverse), adds real Unix users, and starts a real ``sshd`` on a free loopback port whose
only door is the owner's ``authorized_keys``. Everything it made is removed by ``remove()``:
users, groups, the sudo rule, the folders. It needs root (CI runs as root), Debian's ``sudo``
and ``openssh-server`` (``testbed/install_doors.sh``) and a system Python other accounts may run.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SYSTEM_PYTHON = Path("/usr/bin/python3")
SSHD = Path("/usr/sbin/sshd")
UV = ROOT / ".tools" / "bin" / "uv"


def unavailable() -> str | None:
    """Why the doors cannot be tried here, or None."""
    if os.geteuid() != 0:
        return "creating Unix users and a sudo rule needs root"
    for needed in (SSHD, Path("/usr/bin/sudo"), Path("/usr/bin/ssh"), SYSTEM_PYTHON, UV):
        if not needed.exists():
            return f"{needed} is missing (make setup installs it)"
    return None


def _run(*command: str | Path, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(c) for c in command], check=True, capture_output=True, text=True, **kwargs)  # type: ignore[call-overload]  # noqa: S603


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ClinicInstall:
    """Facteur installed as the operations manual says, with test names; ``remove()`` undoes it."""

    def __init__(self) -> None:
        tag = secrets.token_hex(3)
        self.top = Path(tempfile.mkdtemp(prefix="facteur-doors-"))
        self.top.chmod(0o755)  # staff must reach the program (not the data, which is 0700)
        self.prefix = self.top / "opt"
        self.data = self.top / "data"
        self.owner = f"fct-{tag}"
        self.staff_group = f"fct-{tag}-staff"
        self.admin_group = f"fct-{tag}-admins"
        self.sudoers = Path(f"/etc/sudoers.d/facteur-test-{tag}")
        self.users: list[str] = []
        self.sshd: subprocess.Popen[str] | None = None
        self.ssh_port = 0

    @property
    def program(self) -> Path:
        return self.prefix / "bin" / "facteur"

    @property
    def database(self) -> Path:
        return self.data / "var" / "facteur.db"

    def install(self, first_admin: str) -> None:
        env = {
            **os.environ,
            "PREFIX": str(self.prefix),
            "OWNER": self.owner,
            "DATA": str(self.data),
            "STAFF_GROUP": self.staff_group,
            "ADMIN_GROUP": self.admin_group,
            "WORDING": str(self.top / "etc" / "locales"),
            "SUDOERS": str(self.sudoers),
            "BIN": str(self.top / "bin"),
            "FIRST_ADMIN": first_admin,
            "PYTHON": str(SYSTEM_PYTHON),
            "UV": str(UV),
            "LANG": "C.UTF-8",
        }
        env.pop("FACTEUR_CONFIG", None)
        # One build at a time in this checkout's build/ (two test workers may install at once).
        with Path(tempfile.gettempdir(), "facteur-doors-install.lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            _run("sh", ROOT / "deploy" / "install.sh", env=env, cwd=self.top)

    def add_user(self, name: str, *, staff_group: bool) -> str:
        """A Unix account (``fct-<tag>-<name>``), in the staff group or not."""
        login = f"{self.owner}-{name}"
        _run("useradd", "--create-home", "--base-dir", self.top / "home", "--shell", "/bin/sh", login)
        self.users.append(login)  # before anything else can fail: ``remove`` takes it away
        if staff_group:
            _run("usermod", "-aG", self.staff_group, login)
        return login

    def facteur(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        """``facteur ARGS`` as root (the system, which runs as the owner)."""
        return subprocess.run(  # noqa: S603
            [str(self.program), *args],
            check=False,
            capture_output=True,
            text=True,
            input=stdin,
            env=_plain_env(),
            cwd=self.top,
        )

    def as_user(
        self, login: str, *command: str, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        """``command`` run by ``login`` from their own shell's environment (as at a terminal)."""
        return subprocess.run(  # noqa: S603
            ["runuser", "-u", login, "--", *command],  # noqa: S607
            check=False,
            capture_output=True,
            text=True,
            errors="replace",  # a PDF on stdout
            input=stdin,
            env=_plain_env(),
            cwd="/",
        )

    def ssh_key(self, login: str) -> Path:
        """A fresh ed25519 key pair in ``login``'s home; the public half's path."""
        home = self.top / "home" / login
        key = home / "id_ed25519"
        _run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"{login}@desk", "-f", key)
        _run("chown", f"{login}:", key, key.with_suffix(".pub"))
        return key.with_suffix(".pub")

    def start_sshd(self) -> None:
        """A real sshd on loopback: keys only, the owner only, forced commands from its keys."""
        folder = self.top / "sshd"
        folder.mkdir(mode=0o700)
        _run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", folder / "host_key")
        self.ssh_port = free_port()
        config = folder / "sshd_config"
        config.write_text(
            "\n".join(
                [
                    f"Port {self.ssh_port}",
                    "ListenAddress 127.0.0.1",
                    f"HostKey {folder / 'host_key'}",
                    f"PidFile {folder / 'sshd.pid'}",
                    f"AllowUsers {self.owner}",
                    "AuthenticationMethods publickey",
                    "PasswordAuthentication no",
                    "KbdInteractiveAuthentication no",
                    "UsePAM no",
                    "StrictModes yes",
                    "AcceptEnv LANG LC_*",
                    "",
                ]
            )
        )
        Path("/run/sshd").mkdir(exist_ok=True)  # its privilege separation folder
        self.sshd = subprocess.Popen(  # noqa: S603
            [str(SSHD), "-D", "-e", "-f", str(config)], stderr=subprocess.PIPE, text=True
        )
        assert self.sshd.stderr is not None
        for line in self.sshd.stderr:  # waits on sshd's own word, not on a clock
            if "Server listening" in line:
                return
        raise RuntimeError("sshd did not start")

    def ssh_command(self, key: Path, *options: str) -> list[str]:
        return [
            "ssh",
            "-i",
            str(key.with_suffix("")),
            "-p",
            str(self.ssh_port),
            "-o",
            "BatchMode=yes",
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "LogLevel=ERROR",
            *options,
            f"{self.owner}@127.0.0.1",
        ]

    def remove(self) -> None:
        """Undo everything: sshd, users, groups, the sudo rule, the folders."""
        if self.sshd is not None:
            self.sshd.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.sshd.wait(timeout=10)
        for login in [*self.users, self.owner]:
            subprocess.run(["pkill", "-KILL", "-u", login], capture_output=True, check=False)  # noqa: S603, S607
            # --force: a process of theirs just killed may not be reaped yet (a TUI over SSH)
            subprocess.run(["userdel", "--force", login], capture_output=True, check=False)  # noqa: S603, S607
        for group in (self.staff_group, self.admin_group, self.owner):
            subprocess.run(["groupdel", group], capture_output=True, check=False)  # noqa: S603, S607
        self.sudoers.unlink(missing_ok=True)
        shutil.rmtree(self.top, ignore_errors=True)


def _plain_env() -> dict[str, str]:
    """What a staff member's terminal has: no FACTEUR_* settings, no Python of the tests."""
    keep = ("PATH", "TERM", "HOME")
    env = {name: os.environ[name] for name in keep if name in os.environ}
    return {**env, "LANG": "en_CA.UTF-8"}  # sudo keeps LANG: the refusals read in English

"""Startup: ``facteur --help`` and ``facteur tui`` ready for input, each under one second.

The TUI is started in a real pseudo-terminal, as a person starts it; it is ready when
its main screen has drawn the first rows of the patient list. The baseline is the
same interpreter starting a minimal Textual app in the same pseudo-terminal.

Facteur's own modules are compiled to bytecode first, as an installed copy has them (pip
compiles a wheel's modules when it installs it; a checkout writes them at its first start,
unless ``PYTHONDONTWRITEBYTECODE`` is set, as on the machines this runs on, where every start
would otherwise compile every module again: about a tenth of a second). The catalogs are
parsed once by the set-up commands and kept (``locales.catalog_cache``), as after a first start.
"""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

from bench.common import ROOT, Result, limit_row, median, scratch

PACKAGES = ("cli", "models", "locales", "tui", "agent", "portal")

MINIMAL_APP = """
from textual.app import App
from textual.widgets import Label
class Minimal(App):
    def compose(self):
        yield Label("READY-MARK")
Minimal().run()
"""


def _time_until(command: list[str], marker: bytes, env: dict[str, str], timeout: float = 20.0) -> float:
    """Seconds from spawn until ``marker`` appears on the pseudo-terminal's screen."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: becomes the command, its terminal 120x40
        os.execvpe(command[0], command, env)  # noqa: S606
    started = time.perf_counter()
    seen = b""
    try:
        import fcntl
        import struct
        import termios

        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        deadline = started + timeout
        while time.perf_counter() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.05)
            if ready:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:
                    break
                seen += chunk
                if marker in seen:
                    return time.perf_counter() - started
        raise RuntimeError(f"{command[0]} never showed {marker!r}: {seen[-400:]!r}")
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(fd)


def _time_command(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
    return time.perf_counter() - started


def run(rounds: int = 5) -> list[Result]:
    work = scratch("startup")
    config = work / "facteur.toml"
    config.write_text(
        f'[database]\nurl = "sqlite:///{work / "facteur.db"}"\n[locales]\nwatch = false\n', encoding="utf-8"
    )
    facteur = str(Path(sys.executable).with_name("facteur"))
    env = {**os.environ, "FACTEUR_CONFIG": str(config), "TERM": "xterm-256color", "LANG": "C.UTF-8"}
    user = os.environ.get("USER") or os.environ.get("LOGNAME") or "root"
    subprocess.run([facteur, "db", "init", "--demo"], env=env, check=True, capture_output=True)  # noqa: S603
    subprocess.run(  # noqa: S603 (the person running the bench is staff, as at a clinic)
        [facteur, "staff", "add", user, "--name", "Bench", "--roles", "admin,billing"],
        env=env,
        capture_output=True,
        check=False,
    )
    subprocess.run(  # noqa: S603 (our own interpreter and folders)
        [sys.executable, "-m", "compileall", "-q", *PACKAGES], cwd=ROOT, check=True, capture_output=True
    )
    python = [sys.executable, "-c", "pass"]
    help_times = [_time_command([facteur, "--help"], env) for _ in range(rounds)]
    bare = [_time_command(python, env) for _ in range(rounds)]
    minimal = [_time_until([sys.executable, "-c", MINIMAL_APP], b"READY-MARK", env) for _ in range(rounds)]
    # the main screen's first rows: the demo's first patient in the patient list
    tui = [_time_until([facteur, "tui"], b"Tremblay", env) for _ in range(rounds)]
    return [
        limit_row(
            "startup",
            "facteur --help (median s)",
            median(help_times),
            "s",
            at_most=1.0,
            baseline=median(bare),
        ),
        limit_row(
            "startup",
            "facteur tui ready for input (median s)",
            median(tui),
            "s",
            at_most=1.0,
            baseline=median(minimal),
        ),
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
    print(ROOT)

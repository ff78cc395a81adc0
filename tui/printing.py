"""Printing a PDF the TUI made (a PIN slip) with the configured command, default ``lp``.

The file is written owner-only into ``[print] folder`` first (a PIN slip names a patient).
Printed, it is deleted (``lp`` keeps its own copy in the spool); when the command is
missing or fails, the file stays and the caller says where it is.
"""

from __future__ import annotations

import contextlib
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path

PRINT_TIMEOUT = 30.0


@dataclass(frozen=True)
class Printed:
    """``path`` is where the PDF was kept when it could not be printed (``reason`` says why)."""

    printed: bool
    path: Path | None = None
    reason: str = ""


def save_private(data: bytes, folder: Path, name: str) -> Path:
    """``data`` in ``folder/name``, the folder 0700 and the file 0600 from the first byte."""
    from agent.pdf.cache import write_private

    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    target = folder / name
    write_private(target, data)
    return target


def print_pdf(data: bytes, *, command: str, folder: Path, name: str) -> Printed:
    """Save ``data``, then run ``command FILE``; see the module's docstring."""
    path = save_private(data, folder, name)
    arguments = shlex.split(command)
    if not arguments:
        return Printed(False, path, "no print command")
    try:
        done = subprocess.run(  # noqa: S603 (the clinic's own configured command, no shell)
            [*arguments, str(path)], capture_output=True, text=True, timeout=PRINT_TIMEOUT, check=False
        )
    except FileNotFoundError:
        return Printed(False, path, f"{arguments[0]}: command not found")
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Printed(False, path, str(exc))
    if done.returncode != 0:
        reason = (done.stderr or done.stdout).strip().splitlines()
        return Printed(False, path, reason[0] if reason else f"exit status {done.returncode}")
    with contextlib.suppress(OSError):
        path.unlink()
    return Printed(True)

"""What every benchmark shares: a result row, a throw-away clinic database, servers on loopback."""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Result:
    """One line of the table: what was measured against what, and whether the goal holds."""

    bench: str
    figure: str
    value: float
    unit: str
    baseline: float | None = None  # the same run's reference, in the same unit
    ratio: float | None = None  # value / baseline (or baseline / value for times: see ``faster``)
    goal: str = ""
    ok: bool | None = None  # None: reported only, no goal

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def ratio_row(
    bench: str, figure: str, value: float, baseline: float, unit: str, *, at_least: float | None = None
) -> Result:
    """A rate or speed-up: higher is better; ``ratio = value / baseline``."""
    ratio = value / baseline if baseline else float("inf")
    return Result(
        bench,
        figure,
        value,
        unit,
        baseline,
        ratio,
        goal=f"ratio >= {at_least:g}" if at_least is not None else "",
        ok=None if at_least is None else ratio >= at_least,
    )


def limit_row(
    bench: str, figure: str, value: float, unit: str, *, at_most: float, baseline: float | None = None
) -> Result:
    """A time or size with an absolute ceiling; the baseline, when given, puts it in context."""
    ratio = value / baseline if baseline else None
    return Result(
        bench, figure, value, unit, baseline, ratio, goal=f"<= {at_most:g} {unit}", ok=value <= at_most
    )


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_port(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


class SinkSmtp:
    """aiosmtpd's Sink in its own process, as a real server would be (it does not share our GIL)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
            [
                sys.executable,
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                f"127.0.0.1:{self.port}",
                "-c",
                "aiosmtpd.handlers.Sink",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port)

    def close(self) -> None:
        self.process.terminate()
        self.process.wait()

    def __enter__(self) -> SinkSmtp:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def scratch(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"facteur-bench-{prefix}-"))


def demo_database(folder: Path, *, patients: int, invoices: int) -> str:
    """A clinic with demo data in ``folder/bench.db``, bound to ``models.db.db``; returns its URL."""
    from models.config import ClinicSettings
    from models.db import open_database
    from models.demo import bulk_demo, seed_demo
    from models.setup import init_database

    url = f"sqlite:///{folder / 'bench.db'}"
    database = open_database(url)
    init_database(database, ClinicSettings())
    seed_demo()
    if patients or invoices:
        bulk_demo(patients=patients, invoices=invoices)
    return url


def facteur_env(config: Path) -> dict[str, str]:
    return {**os.environ, "FACTEUR_CONFIG": str(config), "PYTHONPATH": str(ROOT)}

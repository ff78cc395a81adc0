"""What every benchmark shares: a result row, a throw-away clinic database, servers on loopback
(SMTP, the SMS gateway, the portal), each in a process of its own as the real ones would be."""

from __future__ import annotations

import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Self

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


class Server:
    """A server in a process of its own (it does not share our GIL), stopped on exit."""

    def __init__(self, command: list[str], port: int, env: dict[str, str] | None = None) -> None:
        self.port = port
        self.process = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT
        )
        try:
            wait_for_port(self.port)
        except RuntimeError:
            self.close()
            raise

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self.process.terminate()
        self.process.wait()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class SinkSmtp(Server):
    """aiosmtpd's Sink: takes every message and drops it."""

    def __init__(self) -> None:
        port = free_port()
        sink = ["-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}", "-c", "aiosmtpd.handlers.Sink"]
        super().__init__([sys.executable, *sink], port)


class SmsGateway(Server):
    """The tests' fake SMS gateway (``testbed/sms_gateway.py``): accepts every SMS, keep-alive."""

    token = "bench-sms-token"  # noqa: S105 (a throw-away gateway's)

    def __init__(self) -> None:
        port = free_port()
        gateway = ["-m", "testbed.sms_gateway", "--port", str(port), "--token", self.token]
        super().__init__([sys.executable, *gateway], port, env={**os.environ, "PYTHONPATH": str(ROOT)})


class Portal(Server):
    """``facteur portal`` as a clinic runs it, its data in ``folder``; ``token`` is its API token."""

    def __init__(self, folder: Path) -> None:
        port = free_port()
        self.token = secrets.token_urlsafe(32)
        config = folder / "portal.toml"
        config.write_text(
            f'[portal]\nurl = "http://127.0.0.1:{port}"\ndata_dir = "{folder / "portal"}"\n'
            "[locales]\nwatch = false\n",
            encoding="utf-8",
        )
        env = {**facteur_env(config), "FACTEUR_PORTAL_TOKEN": self.token}
        facteur = str(Path(sys.executable).with_name("facteur"))
        super().__init__([facteur, "portal", "--listen", f"127.0.0.1:{port}"], port, env=env)


def scratch(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"facteur-bench-{prefix}-"))


def demo_database(folder: Path, *, patients: int, invoices: int) -> str:
    """A clinic with demo data in ``folder/bench.db``, bound to ``models.database.db.db``; returns its URL."""
    from models.core.config import ClinicSettings
    from models.database.db import open_database
    from models.setup.demo import bulk_demo, seed_demo
    from models.setup.initial import init_database

    url = f"sqlite:///{folder / 'bench.db'}"
    database = open_database(url)
    init_database(database, ClinicSettings())
    seed_demo()
    if patients or invoices:
        bulk_demo(patients=patients, invoices=invoices)
    return url


def facteur_env(config: Path) -> dict[str, str]:
    return {**os.environ, "FACTEUR_CONFIG": str(config), "PYTHONPATH": str(ROOT)}

"""Messages per second of three ``facteur agent`` processes on one outbox, against one agent.

    .venv/bin/python bench/multi_agent.py [--messages 2000] [--agents 3] [--concurrency 4]
                                          [--smtp-delay 0.05] [--backend postgresql|sqlite]

Both runs happen in the same invocation, on the same machine, so the ratio is what counts.
PostgreSQL is a throwaway cluster (``testbed/postgres.py``: Debian's server, a temp folder, fsync
off); the SMTP server is aiosmtpd in a process of its own that accepts every message, after
``--smtp-delay`` seconds per message (a real server's round trips; 0 measures the CPU alone).
Each run: the agents start (service mode) on an empty outbox, N messages are queued in one
transaction once all of them beat, and the clock stops when the last one is ``sent``.

``measure(...)`` returns one run's figures for other benchmarks to reuse.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

FACTEUR = Path(sys.executable).parent / "facteur"


@dataclass(frozen=True)
class Run:
    backend: str
    agents: int
    messages: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.messages / self.seconds


def serve_smtp(port: int, delay: float) -> None:
    """The sink: accept every message after ``delay`` seconds (runs in its own process)."""
    from aiosmtpd.controller import Controller

    class Handler:
        async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
            if delay:
                await asyncio.sleep(delay)
            return "250 2.0.0 OK queued"

    stop = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop)  # the server's thread inherits the mask
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    signal.sigwait(stop)
    controller.stop()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for_port(port: int) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError("the SMTP sink did not start")


def measure(url: str, *, agents: int, messages: int, concurrency: int, smtp_port: int, folder: Path) -> Run:
    """One run on the empty, migrated database at ``url``: ``agents`` processes, ``messages`` queued."""
    from models.database.db import close_database, db, open_database
    from models.messaging.agent_state import AgentHeartbeat
    from models.messaging.tables import OutboxMessage
    from models.people.clinic import BillingCompany, Clinic
    from models.setup.schema import ensure_schema
    from testbed.invoices import billed_invoice

    ensure_schema(open_database(url))
    clinic = Clinic.create(name="Clinique du Parc")
    company = BillingCompany.create(clinic=clinic, name="Clinique du Parc inc.", number_prefix="CDP")
    invoice = billed_invoice(company)
    config = folder / f"agents-{agents}.toml"
    config.write_text(
        f'[database]\nurl = "{url}"\n'
        f'[email]\nbackend = "smtp"\nhost = "127.0.0.1"\nport = {smtp_port}\nsecurity = "none"\n'
        f'from_address = "facturation@clinique.example"\n'
        f"[agent]\nconcurrency = {concurrency}\npoll_seconds = 0.2\n"
        f'[clinic]\nlanguage = "en"\n[locales]\nwatch = false\n',
        encoding="utf-8",
    )
    env = {**os.environ, "FACTEUR_CONFIG": str(config)}
    processes = [
        subprocess.Popen([str(FACTEUR), "agent"], env=env, stderr=subprocess.DEVNULL)  # noqa: S603
        for _ in range(agents)
    ]
    try:
        deadline = time.monotonic() + 60
        while AgentHeartbeat.select().count() < agents:  # every agent is up and polling
            if time.monotonic() > deadline:
                raise RuntimeError("the agents did not start")
            time.sleep(0.05)
        rows = [
            {
                "kind": "invoice",
                "invoice": invoice.id,
                "recipient_email": f"p{n}@example.org",
                "language": "fr",
                "attach_pdf": False,
                "personal_message": "Bonjour",
            }
            for n in range(messages)
        ]
        with db.atomic():
            for start in range(0, messages, 500):
                OutboxMessage.insert_many(rows[start : start + 500]).execute()
        started = time.perf_counter()
        sent = OutboxMessage.select().where(OutboxMessage.status == "sent")
        while sent.count() < messages:
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(timeout=60)
        close_database()
    return Run("postgresql" if url.startswith("postgresql") else "sqlite", agents, messages, elapsed)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--agents", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--smtp-delay", type=float, default=0.05, help="seconds the server takes per message")
    parser.add_argument("--backend", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--serve-smtp", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_smtp:
        serve_smtp(args.serve_smtp, args.smtp_delay)
        return

    from testbed.postgres import PostgresCluster, unavailable

    folder = Path(tempfile.mkdtemp(prefix="facteur-bench-"))
    cluster = None
    if args.backend == "postgresql":
        reason = unavailable()
        if reason:
            sys.exit(f"no PostgreSQL: {reason}")
        cluster = PostgresCluster("facteur-bench").start()
    port = _free_port()
    sink = subprocess.Popen(  # noqa: S603 (our own interpreter and script)
        [sys.executable, __file__, "--serve-smtp", str(port), "--smtp-delay", str(args.smtp_delay)]
    )
    try:
        _wait_for_port(port)
        runs = []
        for agents in (1, args.agents):
            url = (
                cluster.url(cluster.create_database()) if cluster else f"sqlite:///{folder / f'{agents}.db'}"
            )
            runs.append(
                measure(
                    url,
                    agents=agents,
                    messages=args.messages,
                    concurrency=args.concurrency,
                    smtp_port=port,
                    folder=folder,
                )
            )
    finally:
        sink.send_signal(signal.SIGTERM)
        sink.wait(timeout=30)
        if cluster is not None:
            cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)
    one, many = runs
    for run in runs:
        print(
            f"{run.backend}, {run.agents} agent(s) x concurrency {args.concurrency}, "
            f"SMTP delay {args.smtp_delay * 1000:.0f} ms: {run.messages} messages in {run.seconds:.1f} s, "
            f"{run.per_second:.0f} messages/s"
        )
    print(f"ratio {many.agents} agents / 1 agent: {many.per_second / one.per_second:.2f}")


if __name__ == "__main__":
    main()

"""Contention: a TUI-like writer every 50 ms while a real ``facteur agent`` drains 2,000 messages
from the same SQLite file. Zero lock errors; the writer's p99 latency is reported against the same
writer on a quiet database."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

from bench.common import Result, SinkSmtp, facteur_env, percentile, scratch
from bench.outbox_load import agent_config_text, queue_emails, warm_pdf_cache

WRITE_EVERY = 0.05


def _writer(stop: threading.Event, latencies: list[float], errors: list[str]) -> None:
    """What a person at the TUI does: edit a patient and note a payment, each in its own transaction."""
    from models.billing.invoice import Invoice
    from models.core.enums import InvoiceStatus
    from models.database.base import utcnow
    from models.database.db import db
    from models.people.patient import Patient

    patients = [p.id for p in Patient.select(Patient.id).limit(50)]
    turn = 0
    while not stop.is_set():
        started = time.perf_counter()
        try:
            with db.atomic():
                Patient.update(updated_at=utcnow(), receive_reminders=bool(turn % 2)).where(
                    Patient.id == patients[turn % len(patients)]
                ).execute()
                Invoice.select(Invoice.id).where(Invoice.status == InvoiceStatus.BILLED).limit(20).execute()
        except Exception as exc:  # a lock error is what this benchmark looks for
            errors.append(f"{type(exc).__name__}: {exc}")
        latencies.append(time.perf_counter() - started)
        turn += 1
        stop.wait(max(0.0, WRITE_EVERY - (time.perf_counter() - started)))


def _writes_during(
    seconds: float | None, until: subprocess.Popen[bytes] | None
) -> tuple[list[float], list[str]]:
    latencies: list[float] = []
    errors: list[str] = []
    stop = threading.Event()
    thread = threading.Thread(target=_writer, args=(stop, latencies, errors))
    thread.start()
    if until is not None:
        until.wait()
    else:
        time.sleep(seconds or 0)
    stop.set()
    thread.join()
    return latencies, errors


def run(count: int = 2000) -> list[Result]:
    from models.messaging.tables import OutboxMessage

    work = scratch("contention")
    url = queue_emails(work, count)
    warm_pdf_cache(work / "cache")
    quiet, quiet_errors = _writes_during(5.0, None)
    with SinkSmtp() as smtp:
        config = work / "facteur.toml"
        config.write_text(agent_config_text(url, smtp.port, work / "cache"), encoding="utf-8")
        agent = subprocess.Popen(  # noqa: S603
            [str(Path(sys.executable).with_name("facteur")), "agent", "--once"],
            env=facteur_env(config),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        busy, errors = _writes_during(None, agent)
    sent = OutboxMessage.select().where(OutboxMessage.status == "sent").count()
    if agent.returncode != 0 or sent != count:
        raise RuntimeError(f"the agent ended with {agent.returncode} after sending {sent} of {count}")
    p99_busy, p99_quiet = percentile(busy, 0.99) * 1000, percentile(quiet, 0.99) * 1000
    all_errors = quiet_errors + errors
    return [
        Result(
            "contention",
            f"lock errors over {len(busy)} writes during the drain",
            len(all_errors),
            "errors",
            goal="= 0",
            ok=not all_errors,
        ),
        Result(
            "contention",
            "writer p99 latency during the drain",
            p99_busy,
            "ms",
            p99_quiet,
            p99_busy / p99_quiet if p99_quiet else None,
        ),
    ]

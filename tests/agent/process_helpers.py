"""Run ``facteur agent`` as a process against a config written for the test, and fill its outbox."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import peewee

from locales import translator
from models.database.db import current_url
from models.messaging.tables import OutboxMessage
from testbed.invoices import billed_invoice
from tests.conftest import Setup

CONCURRENCY = 4


def queue_many(setup: Setup, count: int, *, attach_pdf: bool = False) -> None:
    """``count`` messages for one invoice; with ``attach_pdf`` the process renders it once (cached)."""
    invoice = billed_invoice(setup.company)
    rows = [
        {
            "kind": "invoice",
            "invoice": invoice.id,
            "recipient_email": f"patient{n}@example.org",
            "language": "fr",
            "attach_pdf": attach_pdf,
            "personal_message": f"message {n}",
        }
        for n in range(count)
    ]
    with setup.clinic._meta.database.atomic():
        for start in range(0, count, 200):
            OutboxMessage.insert_many(rows[start : start + 200]).execute()


def statuses() -> Counter[str]:
    return Counter(m.status for m in OutboxMessage.select(OutboxMessage.status))


def write_config(tmp_path: Path, database: peewee.Database, port: int, **agent: object) -> Path:
    """A config for ``database`` (the one ``db`` is bound to: a SQLite file or PostgreSQL)."""
    settings = {
        "concurrency": CONCURRENCY,
        "poll_seconds": 0.2,
        "retry_base_seconds": 0.05,
        "cache_dir": '"pdf-cache"',  # beside the config: the PDF cache is shared by restarts
        **agent,
    }
    lines = "\n".join(f"{key} = {value}" for key, value in settings.items())
    config = tmp_path / "agent.toml"
    config.write_text(
        f'[database]\nurl = "{current_url()}"\n'
        f'[email]\nbackend = "smtp"\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\ntimeout = 5\n'
        f'from_address = "facturation@clinique.example"\n[agent]\n{lines}\n',
        encoding="utf-8",
    )
    return config


def start_agent(config: Path, *args: str, lang: str = "en") -> subprocess.Popen[str]:
    env = {**os.environ, "FACTEUR_CONFIG": str(config), "FACTEUR_LANG": lang}
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "facteur"), "agent", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


AGENTS = 3
# The agents log in the clinic's language (French by default): "message 12 de la facture no 3 envoyé".
SENT_LINE = re.compile(
    re.escape(translator("fr").gettext("message {id} of invoice #{invoice} sent"))
    .replace(re.escape("{id}"), r"(?P<id>\d+)")
    .replace(re.escape("{invoice}"), r"\d+")
)


def sent_ids(log: str) -> set[int]:
    return {int(match["id"]) for match in SENT_LINE.finditer(log)}


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def finish(agents: list[subprocess.Popen[str]], timeout: float = 120) -> list[str]:
    """Each agent's stderr once it has exited (after ``--once``, or SIGTERM)."""
    logs = []
    for agent in agents:
        _, err = agent.communicate(timeout=timeout)
        assert agent.returncode in (0, -signal.SIGKILL), err[-2000:]
        logs.append(err)
    return logs

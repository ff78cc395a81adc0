"""Memory: the agent's peak RSS while draining 10,000 messages, at most 200 MB. The baseline is the
peak RSS of ``facteur --help`` (the interpreter and Facteur's command line, nothing else)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bench.common import Result, SinkSmtp, facteur_env, limit_row, scratch
from bench.outbox_load import agent_config_text, queue_emails, warm_pdf_cache


def _peak_rss_mb(command: list[str], env: dict[str, str]) -> tuple[float, int]:
    """The command's own peak resident set (``wait4`` reports it for that child alone), and its exit code."""
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_maxrss / 1024, process.returncode  # ru_maxrss is in KiB on Linux


def run(count: int = 10_000) -> list[Result]:
    from models.db import close_database
    from models.messaging import OutboxMessage

    work = scratch("memory")
    url = queue_emails(work, count, invoices=300)
    warm_pdf_cache(work / "cache", limit=50)  # some cached, most rendered in the drain
    close_database()
    facteur = str(Path(sys.executable).with_name("facteur"))
    with SinkSmtp() as smtp:
        config = work / "facteur.toml"
        config.write_text(agent_config_text(url, smtp.port, work / "cache"), encoding="utf-8")
        env = facteur_env(config)
        baseline, _ = _peak_rss_mb([facteur, "--help"], env)
        peak, code = _peak_rss_mb([facteur, "agent", "--once"], env)
    from models.db import open_database

    open_database(url)
    sent = OutboxMessage.select().where(OutboxMessage.status == "sent").count()
    close_database()
    if code != 0 or sent != count:
        raise RuntimeError(f"the agent ended with {code} after sending {sent} of {count}")
    return [
        limit_row(
            "memory", f"agent peak RSS draining {count} messages", peak, "MB", at_most=200, baseline=baseline
        )
    ]

"""Memory: the agent's peak RSS while draining 10,000 messages, at most 200 MB. The baseline is the
peak RSS of ``facteur --help`` (the interpreter and Facteur's command line, nothing else).

A fifth of the messages are secure links (the portal and the SMS gateway on loopback), the others
carry the PDF attached; most PDFs are rendered during the drain, by the agent's render processes.
Three figures:

- the goal: the peak resident set ``wait4`` reports for ``facteur agent --once``, which is the
  largest of the agent's and of each render process it started (the kernel keeps the largest);
- the agent process alone, and all of them together at their fullest moment (proportional set
  sizes summed, so pages they share count once), sampled every 0.1 s: what the machine gives up.

Each command is started by a small launcher process, since a child forked from this (large) one
would report this one's resident set as its own peak.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bench.common import Portal, Result, SinkSmtp, SmsGateway, facteur_env, limit_row, scratch
from bench.outbox_load import agent_config_text, agent_env, queue_emails, warm_pdf_cache

# Runs in a fresh, small interpreter: starts the command, samples its process tree, prints the figures.
LAUNCHER = r"""
import json, os, subprocess, sys, time

def children(pid):  # of every thread: a pool's processes are started by whichever thread submits
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                found += [int(c) for c in f.read().split()]
    except OSError:
        pass
    return found

def kib(pid, path, key):
    try:
        with open(f"/proc/{pid}/{path}") as f:
            for line in f:
                if line.startswith(key):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0

process = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
agent_rss = tree_pss = 0
while True:
    pid, status, usage = os.wait4(process.pid, os.WNOHANG)
    if pid:
        break
    tree, todo = [], [process.pid]
    while todo:
        tree.append(todo.pop())
        todo += children(tree[-1])
    agent_rss = max(agent_rss, kib(process.pid, "status", "VmHWM:"))
    tree_pss = max(tree_pss, sum(kib(p, "smaps_rollup", "Pss:") for p in tree))
    time.sleep(0.1)
print(json.dumps({"peak": usage.ru_maxrss, "agent": agent_rss, "tree": tree_pss,
                  "code": os.waitstatus_to_exitcode(status)}))
"""


def _measure(command: list[str], env: dict[str, str]) -> dict[str, float]:
    """Peak figures of ``command`` in MB (see the module's docstring), and its exit code."""
    done = subprocess.run(  # noqa: S603 (our own interpreter and code)
        [sys.executable, "-c", LAUNCHER, *command], env=env, capture_output=True, text=True, check=True
    )
    figures = json.loads(done.stdout)
    return {key: value / 1024 if key != "code" else value for key, value in figures.items()}


def run(count: int = 10_000) -> list[Result]:
    from models.database.db import close_database, open_database
    from models.messaging.tables import OutboxMessage

    work = scratch("memory")
    url = queue_emails(work, count, invoices=300, secure=count // 5)
    warm_pdf_cache(work / "cache", limit=50)  # some cached, most rendered in the drain
    close_database()
    facteur = str(Path(sys.executable).with_name("facteur"))
    with SinkSmtp() as smtp, SmsGateway() as sms, Portal(work) as portal:
        config = work / "facteur.toml"
        text = agent_config_text(url, smtp.port, work / "cache", portal=portal, sms=sms)
        config.write_text(text, encoding="utf-8")
        env = {**facteur_env(config), **agent_env(portal, sms)}
        baseline = _measure([facteur, "--help"], env)["peak"]
        figures = _measure([facteur, "agent", "--once"], env)
    open_database(url)
    sent = OutboxMessage.select().where(OutboxMessage.status == "sent").count()
    close_database()
    if figures["code"] != 0 or sent != count:
        raise RuntimeError(f"the agent ended with {figures['code']} after sending {sent} of {count}")
    return [
        limit_row(
            "memory",
            f"agent peak RSS draining {count} messages (largest process)",
            figures["peak"],
            "MB",
            at_most=200,
            baseline=baseline,
        ),
        Result("memory", "  the agent process alone", figures["agent"], "MB", baseline),
        Result("memory", "  agent and render processes together (PSS)", figures["tree"], "MB"),
    ]

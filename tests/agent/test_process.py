"""``facteur agent`` as a process: --once, SIGTERM finishing in-flight sends, kill -9 mid-drain."""

from __future__ import annotations

import signal
import time
from collections import Counter
from pathlib import Path

import peewee

from models.messaging.agent_state import AgentHeartbeat
from models.messaging.tables import OutboxMessage
from tests.agent.conftest import pdf_text
from tests.agent.process_helpers import CONCURRENCY, queue_many, start_agent, statuses, write_config
from tests.agent.smtp_server import SmtpServer
from tests.conftest import Setup


def test_once_drains_and_exits_0(
    setup: Setup, database: peewee.Database, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    queue_many(setup, 5, attach_pdf=True)
    agent = start_agent(write_config(tmp_path, database, smtp_server.port), "--once")
    _, err = agent.communicate(timeout=60)
    assert agent.returncode == 0, err
    assert statuses() == {"sent": 5}
    number = OutboxMessage.select().first().invoice.number
    for received in smtp_server.handler.received:
        (attachment,) = list(received.email.iter_attachments())
        assert number in pdf_text(attachment.get_content())
    assert len(list((tmp_path / "pdf-cache").glob("*.pdf"))) == 1  # rendered once for five messages
    assert "message 0" not in err and "patient0@" not in err  # no bodies, no addresses in the log
    (beat,) = AgentHeartbeat.select()
    assert beat.stopped_at is not None


def test_once_offline_exits_1_and_keeps_the_messages(
    setup: Setup, database: peewee.Database, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    queue_many(setup, 2)
    smtp_server.stop()
    agent = start_agent(write_config(tmp_path, database, smtp_server.port), "--once")
    _, err = agent.communicate(timeout=60)
    assert agent.returncode == 1 and "offline" in err.splitlines()[-1]
    assert statuses() == {"pending": 2}
    assert {m.attempts for m in OutboxMessage.select()} == {0}


def test_sigterm_finishes_in_flight_sends(
    setup: Setup, database: peewee.Database, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    queue_many(setup, 20)
    smtp_server.handler.script(*["stall"] * CONCURRENCY)
    agent = start_agent(write_config(tmp_path, database, smtp_server.port))
    smtp_server.wait_for(CONCURRENCY, timeout=30)  # the server holds them: they are in flight
    agent.send_signal(signal.SIGTERM)
    _, err = agent.communicate(timeout=60)
    assert agent.returncode == 0, err
    counts = statuses()
    assert counts["sent"] == CONCURRENCY, counts
    assert counts["pending"] == 20 - CONCURRENCY and counts["sending"] == 0
    assert {m.attempts for m in OutboxMessage.select().where(OutboxMessage.status == "pending")} == {0}


def test_kill_9_mid_drain_loses_nothing(
    setup: Setup, database: peewee.Database, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    total = 250  # a quarter sent, then the kill: mid-drain whatever the machine's speed
    queue_many(setup, total, attach_pdf=True)
    config = write_config(tmp_path, database, smtp_server.port)
    agent = start_agent(config)
    deadline = time.monotonic() + 60
    while len(smtp_server.handler.received) < total // 4 and time.monotonic() < deadline:
        time.sleep(0.01)
    agent.send_signal(signal.SIGKILL)
    agent.communicate(timeout=30)
    sent_before = statuses()["sent"]
    assert sent_before < total  # killed mid-drain

    again = start_agent(config, "--once")
    _, err = again.communicate(timeout=120)
    assert again.returncode == 0, err
    assert statuses() == {"sent": total}
    ids = Counter(smtp_server.handler.message_ids())
    assert len(ids) == total  # every message arrived
    duplicates = sum(ids.values()) - total
    assert duplicates <= CONCURRENCY, duplicates
    stored = {m.message_id for m in OutboxMessage.select(OutboxMessage.message_id)}
    assert stored == set(ids)


def test_edited_wording_reaches_the_next_email_without_a_restart(
    setup: Setup, database: peewee.Database, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    po_dir = tmp_path / "overrides" / "fr" / "LC_MESSAGES"
    po_dir.mkdir(parents=True)
    config = write_config(tmp_path, database, smtp_server.port)
    config.write_text(config.read_text() + '[locales]\noverride_dir = "overrides"\n', encoding="utf-8")
    agent = start_agent(config)
    try:
        queue_many(setup, 1)
        (first,) = smtp_server.wait_for(1)
        assert first.email.get_body(("plain",)).get_content().startswith("Bonjour ")  # type: ignore[union-attr]
        (po_dir / "facteur.po").write_text(
            'msgid ""\nmsgstr ""\n"Language: fr\\n"\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
            'msgid "Hello {name},"\nmsgstr "Allô {name},"\n',
            encoding="utf-8",
        )
        deadline = time.monotonic() + 10
        body = ""
        while not body.startswith("Allô") and time.monotonic() < deadline:
            time.sleep(0.5)
            queue_many(setup, 1)
            received = smtp_server.wait_for(len(smtp_server.handler.received) + 1, timeout=5)
            body = received[-1].email.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert body.startswith("Allô Marie Tremblay,")
    finally:
        agent.send_signal(signal.SIGTERM)
        agent.communicate(timeout=30)
    assert agent.returncode == 0


def test_a_looping_template_fails_alone_and_sigterm_still_stops_the_agent(
    setup: Setup, database: peewee.Database, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    """An admin's template that never ends, against the agent as a process: the other messages go,
    and SIGTERM stops the agent while the render runs (in a helper on a budget, never in a thread
    that cannot be stopped)."""
    from models.core.enums import MessageKind
    from models.messaging.tables import Template
    from models.workflow.sending import enqueue_invoice_email
    from testbed.invoices import billed_invoice

    looping = Template.create(
        kind="reminder",
        name="Relance maison",
        subject_fr="Facture",
        body_fr="{% for a in 'x' * 1000 %}{% for b in 'x' * 1000 %}{% for c in 'x' * 1000 %}"
        "{% for d in 'x' * 1000 %}{% endfor %}{% endfor %}{% endfor %}{% endfor %}",  # CPU, no output
        subject_en="Invoice",
        body_en="Hello",
        attach_invoice=False,
    )
    stuck = enqueue_invoice_email(
        billed_invoice(setup.company),
        message="",
        kind=MessageKind.REMINDER,
        template=looping,
        attach_pdf=False,
    )
    others = [enqueue_invoice_email(billed_invoice(setup.company), attach_pdf=False).id for _ in range(3)]
    config = write_config(tmp_path, database, smtp_server.port)
    config.write_text(
        config.read_text(encoding="utf-8") + "[templates]\nrender_seconds = 20\n", encoding="utf-8"
    )
    agent = start_agent(config)
    smtp_server.wait_for(3, timeout=60)  # the others went while the loop runs
    assert OutboxMessage.get_by_id(stuck.id).status == "sending"
    started = time.monotonic()
    agent.send_signal(signal.SIGTERM)
    _, err = agent.communicate(timeout=60)
    stopped_in = time.monotonic() - started
    assert agent.returncode == 0, err[-2000:]
    assert stopped_in < 10, f"SIGTERM took {stopped_in:.1f} s while a template rendered"
    assert {OutboxMessage.get_by_id(i).status for i in others} == {"sent"}
    waiting = OutboxMessage.get_by_id(stuck.id)  # its render stopped: back in the queue, nothing spent
    assert (waiting.status, waiting.attempts) == ("pending", 0)

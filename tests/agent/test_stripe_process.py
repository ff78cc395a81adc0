"""``facteur agent`` killed (-9) while Stripe is answering the session it asked for: the next
agent sends the same request with the same idempotency key, and one session exists."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import peewee

from models.core.enums import OutboxStatus
from models.links.tables import PaymentLink
from models.messaging.tables import OutboxMessage
from tests.agent.smtp_server import SmtpServer
from tests.agent.stripe_fixtures import KEY_ENV, fake_stripe, reload, rows, send_with_link, stripe_setup
from tests.conftest import Setup
from tests.stripe_fake import API_KEY, FakeStripe

__all__ = ["fake_stripe", "stripe_setup"]  # fixtures


def write_config(tmp_path: Path, database: peewee.Database, smtp_port: int, fake: FakeStripe) -> Path:
    config = tmp_path / "agent.toml"
    config.write_text(
        f'[database]\nurl = "sqlite:///{database.database}"\n'
        f'[email]\nbackend = "smtp"\nhost = "127.0.0.1"\nport = {smtp_port}\nsecurity = "none"\ntimeout = 5\n'
        'from_address = "facturation@clinique.example"\n'
        f'[stripe]\napi_key_env = "{KEY_ENV}"\napi_base = "{fake.url}"\ntimeout = 60\n'
        "[agent]\npoll_seconds = 0.2\nretry_base_seconds = 0.05\n[locales]\nwatch = false\n",
        encoding="utf-8",
    )
    return config


def start_agent(config: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "FACTEUR_CONFIG": str(config), "FACTEUR_LANG": "en", KEY_ENV: API_KEY}
    command = [str(Path(sys.executable).parent / "facteur"), "agent", "--once"]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_kill_9_while_stripe_answers_then_the_retry_gets_the_same_session(
    stripe_setup: Setup,
    database: peewee.Database,
    smtp_server: SmtpServer,
    fake_stripe: FakeStripe,
    tmp_path: Path,
) -> None:
    message = send_with_link(stripe_setup)
    OutboxMessage.update(attach_pdf=False).where(OutboxMessage.id == message.id).execute()
    config = write_config(tmp_path, database, smtp_server.port, fake_stripe)
    fake_stripe.fail_next("hold", path="/v1/checkout/sessions", seconds=30)  # made, answer held back
    agent = start_agent(config)
    deadline = time.monotonic() + 30
    while not fake_stripe.posts() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(fake_stripe.sessions) == 1, agent.stderr.read() if agent.poll() is not None else "no POST"
    agent.send_signal(signal.SIGKILL)
    agent.wait(timeout=10)
    assert reload(message).status == OutboxStatus.SENDING and not PaymentLink.select().exists()

    again = start_agent(config)
    _, err = again.communicate(timeout=60)
    assert again.returncode == 0, err
    first, second = fake_stripe.posts()
    assert first.idempotency_key == second.idempotency_key and first.body == second.body
    assert len(fake_stripe.sessions) == 1
    assert PaymentLink.get().session_id == next(iter(fake_stripe.sessions))
    assert reload(message).status == OutboxStatus.SENT
    assert rows(message) == [("email", "unknown"), ("stripe", "created"), ("email", "sent")]
    assert len(smtp_server.handler.received) == 1

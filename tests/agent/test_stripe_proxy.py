"""Behind a clinic's HTTP proxy: Stripe is reachable through the proxy only (its name resolves there
alone), over TLS from a test authority (``trustme``). The agent's probe takes the same road as its
requests, so once the proxy is back the agent is back online by itself."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import trustme

from agent.service import build_agent
from models.core.config import StripeSettings
from models.core.enums import OutboxStatus
from models.links.tables import PaymentLink
from testbed.connect_proxy import ConnectProxy
from testbed.doors import free_port
from tests.agent.conftest import agent_config
from tests.agent.smtp_server import SmtpServer
from tests.agent.stripe_fixtures import KEY_ENV, reload, send_with_link, stripe_setup
from tests.agent.test_blocked import wait_until
from tests.agent.test_delivery import real_pdfs
from tests.conftest import Setup
from tests.stripe_fake import FakeStripe

__all__ = ["stripe_setup"]  # fixtures
HOST = "api.stripe.test"  # no resolver knows it but the proxy's


@pytest.fixture
def tls_stripe(tmp_path: Path) -> Iterator[tuple[FakeStripe, Path]]:
    authority = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert(HOST).configure_cert(context)
    ca_file = tmp_path / "proxy-authority.pem"
    authority.cert_pem.write_to_path(str(ca_file))
    fake = FakeStripe().start(tls=context, host=HOST)
    yield fake, ca_file
    fake.stop()


async def test_the_agent_goes_back_online_through_the_proxy_by_itself(
    stripe_setup: Setup,
    smtp_server: SmtpServer,
    tls_stripe: tuple[FakeStripe, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake, ca_file = tls_stripe
    port = free_port()
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{port}")
    config = agent_config(smtp_server.port, tmp_path)
    config = replace(
        config,
        stripe=StripeSettings(api_key_env=KEY_ENV, api_base=fake.url, timeout=2, ca_file=str(ca_file)),
    )
    config = replace(config, agent=replace(config.agent, offline_probe_max_seconds=0.5, poll_seconds=0.1))
    message = send_with_link(stripe_setup)
    agent = build_agent(config, pdfs=real_pdfs(tmp_path))
    running = asyncio.create_task(agent.run())  # a serving agent, as at the clinic
    proxy = ConnectProxy({HOST: "127.0.0.1"}, port)
    try:
        # the proxy is down: Stripe cannot be reached, the message waits with no attempt spent
        await wait_until(lambda: bool(reload(message).last_error), "the agent offline")
        waiting = reload(message)
        assert waiting.status == OutboxStatus.PENDING and waiting.attempts == 0
        proxy.start()  # back: the next probe (through the proxy, as the requests go) finds Stripe
        await wait_until(lambda: reload(message).status == OutboxStatus.SENT, "the message sent")
    finally:
        agent.stop()
        await running
        proxy.stop()
    assert reload(message).status == OutboxStatus.SENT
    assert proxy.tunnels and all(t == f"{HOST}:{fake.port}" for t in proxy.tunnels)
    (link,) = PaymentLink.select()
    assert link.session_id in fake.sessions

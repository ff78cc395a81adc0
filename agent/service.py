"""Building and running the agent from the configuration: ``facteur agent [--once]``.

Logs go to stderr (journald under systemd), never a message body or a secret.
SIGTERM and SIGINT stop claiming and let in-flight sends finish. A serving agent watches its
settings file: once it changes, the sends in flight finish and an agent built from the new
settings goes on (``reloaded``).
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from agent.channels import EmailChannel
from agent.compose import Composer
from agent.loop import Agent, AgentOptions
from agent.pacing import Pace
from agent.pdfs import PdfProvider
from agent.steps import DeliveryStep, SyncJob
from locales import N_, translator
from models.core.config import Config, load_config
from models.core.logs import OneLineFormatter
from models.database.base import utcnow
from models.messaging.outbox import RetryPolicy

log = logging.getLogger("facteur.agent")


def build_channel(config: Config) -> EmailChannel:
    """The ``[email] backend``: a Maildir folder, or SMTP with the password from ``password_env``."""
    email = config.email
    if email.backend == "maildir":
        from agent.channels.maildir import MaildirChannel

        return MaildirChannel(config.resolve(email.path))
    from agent.channels.smtp import SmtpChannel, SmtpOptions

    return SmtpChannel(
        SmtpOptions(
            host=email.host,
            port=email.port,
            security=email.security,
            username=email.username or None,
            password=config.secret(email.password_env),
            from_address=email.from_address,
            timeout=email.timeout,
            pool_size=config.agent.concurrency,
        )
    )


def build_agent(
    config: Config,
    *,
    pdfs: PdfProvider | None = None,
    channel: EmailChannel | None = None,
    steps: Sequence[DeliveryStep] | None = None,
    syncs: Sequence[SyncJob] | None = None,
    minute: float = 60.0,
    clock: Callable[[], datetime] = utcnow,
) -> Agent:
    """The agent as the CLI runs it; tests pass their own ``pdfs``, ``channel``, steps or jobs.

    By default the steps are secure delivery's (publish to the portal, text the PIN) and the
    job pulls the portal's events (``agent.delivery``)."""
    settings = config.agent
    options = AgentOptions(
        concurrency=settings.concurrency,
        in_flight=settings.in_flight,
        lease_seconds=settings.lease_seconds,
        poll_seconds=settings.poll_seconds,
        probe_max_seconds=settings.offline_probe_max_seconds,
        policy=RetryPolicy(
            base=timedelta(seconds=settings.retry_base_seconds),
            cap=timedelta(seconds=settings.retry_cap_seconds),
            give_up=timedelta(days=settings.give_up_days),
        ),
        log_language=config.clinic.language,
        email_per_minute=config.email.max_per_minute,
        email_per_day=config.email.max_per_day,
        minute=minute,  # tests shorten it, to pace in seconds what a clinic paces in minutes
        clock=clock,
    )
    if pdfs is None:  # PDFs rendered in child processes: WeasyPrint never loads in the agent
        from agent.render_pool import RenderPool

        pdfs = RenderPool(
            config.resolve(config.agent.cache_dir),
            max_bytes=config.agent.cache_max_mb * 2**20,
            pay_base=config.portal.url,  # the QR code on paper leads to the invoice's Pay page there
        )
    provider = pdfs
    composer = Composer(provider, config.email.from_address, pay_base=config.portal.url)
    if steps is None or syncs is None:
        from agent.delivery import build_secure_steps, build_secure_syncs
        from agent.delivery.build import build_pay_pages_sync, build_text_step

        stripe_steps, stripe_syncs = _stripe_parts(config)
        sms_pace = Pace(config.sms.max_per_minute)  # PIN texts and patients' texts: one gateway
    return Agent(
        channel if channel is not None else build_channel(config),
        composer,
        options,
        steps=steps
        if steps is not None
        else [
            *build_secure_steps(config, provider, sms_pace=sms_pace),
            *stripe_steps,
            build_text_step(config, sms_pace=sms_pace),
        ],
        syncs=syncs
        if syncs is not None
        else [
            *default_syncs(config, clock=clock),
            *build_secure_syncs(config),
            *stripe_syncs,
            build_pay_pages_sync(config),
        ],
    )


def _stripe_parts(config: Config) -> tuple[list[DeliveryStep], list[SyncJob]]:
    """Stripe's step and job (``agent.stripe.setup``): none without a key (no platform key, no keys
    folder), and then the ``stripe`` library (some 20 MB) is not even imported."""
    from models.core.stripe_keys import stripe_keys

    if not stripe_keys(config).configured():
        return [], []
    from agent.stripe.setup import stripe_parts

    return stripe_parts(config)


def reloaded(config: Config) -> tuple[Config, Agent]:
    """The settings as ``config``'s file now says (else, when they no longer load, ``config``,
    said in the log), and an agent built from them watching the file. The database stays the
    one the agent opened: a change to ``[database]`` waits for a restart."""
    from models.core.errors import ConfigError

    tr = translator(config.clinic.language)
    fresh = config
    if config.source is not None:
        try:
            fresh = load_config(config.source)
        except ConfigError as exc:
            log.error(tr.format(N_("the settings did not change: {reason}"), reason=exc.render(tr)))
    if fresh.database != config.database:
        log.warning(tr.gettext(N_("a change to [database] takes effect when the agent restarts")))
        fresh = replace(fresh, database=config.database)
    agent = build_agent(fresh)
    agent.config_file = fresh.source
    return fresh, agent


def default_syncs(config: Config, *, clock: Callable[[], datetime] = utcnow) -> list[SyncJob]:
    """The feeds the agent pulls while online: the scheduler (reminders, delayed emails)."""
    from agent.scheduler import SchedulerJob

    return [SchedulerJob(config.reminders.late_days, clock=clock, log_language=config.clinic.language)]


def configure_logging(level: int = logging.INFO) -> None:
    """One line per event on stderr; journald adds the time and the unit."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(OneLineFormatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("facteur")
    root.handlers[:] = [handler]
    root.setLevel(level)


def run_agent(
    agent: Agent, *, once: bool = False, watch: bool = True, reload: Callable[[], Agent] | None = None
) -> bool:
    """Run until SIGTERM/SIGINT (or, with ``once``, until drained); False if it ended offline.
    When the settings file changes, the run ends and ``reload`` builds the agent that goes on.

    Refuses (``AgentRefused``) to share a SQLite file with an agent on another machine.
    """
    from models.database.db import db
    from models.messaging.agent_state import check_can_join

    check_can_join(db.obj, agent.hostname)
    watcher = None
    if watch:
        from locales.watch import CatalogWatcher

        watcher = CatalogWatcher().start()

    async def main() -> bool:
        current = agent

        def stop() -> None:  # whichever agent runs by then
            current.stop()

        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop)
        try:
            while True:
                online = await current.run(once=once)
                if not current.reload_asked or reload is None:
                    return online
                current = reload()
        finally:
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(signum)

    try:
        return asyncio.run(main())
    finally:
        if watcher is not None:
            watcher.stop()

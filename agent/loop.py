"""The agent's loop: claim due messages, hand each to its delivery, pull the feeds, stay alive.

Like huey's consumer and arq's worker: one bad message is logged and marked, never
kills the loop; with nothing due it sleeps ``poll_seconds`` between cheap indexed
reads; ``stop()`` (SIGTERM, SIGINT) stops claiming and lets in-flight sends finish;
``run(once=True)`` drains what is due and returns. When no server can be reached the
agent is offline: it gives the attempts back, probes with a doubling delay and
records the state in its heartbeat. A server that refuses the agent's configuration (TLS,
a password, a token: ``BlockedError``) blocks the same way, said once in the log, the heartbeat
and to the admins; since only a send can tell that a setting was fixed, the agent waits a doubling
delay between tries, and is unblocked by the first message that goes. Database work runs on one
thread of its own, the writes of many messages committed together (``agent.writer``); a claim reads its
messages' rows and cached PDFs in the same step, so composing them is pure computation,
done on the loop (a message still waiting for its rows or its PDF is composed on a small
pool; PDFs render in child processes). The event loop otherwise only waits on the network.
One message's delivery is ``agent.message_delivery``; the sync jobs' turns, ``agent.syncs``.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import socket
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import peewee

from agent.channels import EmailChannel
from agent.compose import Composer, message_id_domain, new_message_id, wants_pdf
from agent.errors import BlockedError, OfflineError, PausedError
from agent.facts import MessageFacts, load_facts
from agent.leases import LeaseKeeper
from agent.message_delivery import Deliverer, Stats
from agent.pacing import DAY_MINUTES, Pace
from agent.pdfs import PdfPrefetcher
from agent.render_ahead import waiting_pdfs
from agent.steps import DeliveryStep, SyncJob
from agent.syncs import SyncJobs
from agent.writer import GroupWriter
from locales import N_, translator
from models.core.enums import Channel
from models.database.base import fk_id, utcnow
from models.messaging import agent_state, outbox
from models.messaging.notifications import notify_agent_blocked
from models.messaging.outbox import RetryPolicy
from models.messaging.tables import OutboxMessage
from models.messaging.template_budget import shared_budget

log = logging.getLogger("facteur.agent")
CONFIG_CHECK_SECONDS = 1.0  # a stat of facteur.toml: a fixed setting is taken within a second or two
T = TypeVar("T")


@dataclass(frozen=True)
class AgentOptions:
    concurrency: int = 4  # emails (SMTP connections) and SMS at once
    in_flight: int = 32  # messages worked on at once; never fewer than ``concurrency``
    lease_seconds: float = 600.0
    poll_seconds: float = 1.0
    probe_max_seconds: float = 60.0
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    log_language: str | None = None
    email_per_minute: int = 0  # the provider's limits (``agent.pacing``); 0: none
    email_per_day: int = 0
    minute: float = 60.0  # the pace's minute, in seconds: tests scale it down
    # what is due, and whether the sending window is open: tests put the agent in a weekend
    clock: Callable[[], datetime] = utcnow


class Agent:
    """Drains the outbox through one email channel, after the delivery steps each message needs,
    and pulls the sync jobs' feeds while online. Build it with ``agent.service.build_agent``."""

    def __init__(
        self,
        channel: EmailChannel,
        composer: Composer,
        options: AgentOptions,
        *,
        steps: Sequence[DeliveryStep] = (),
        syncs: Sequence[SyncJob] = (),
    ) -> None:
        self.channel = channel
        self.composer = composer
        self.options = options
        self.steps = tuple(steps)
        self.syncs = tuple(syncs)
        # told to the TUI through the heartbeat: it offers what this agent can do (a payment link)
        self.channels = ",".join(
            dict.fromkeys([Channel.EMAIL.value, *(step.channel.value for step in steps)])
        )
        # what went unreachable last (the email server, the portal, …): the offline probe asks it
        self._offline_probe: Callable[[], Awaitable[None]] = channel.probe
        self.hostname = socket.gethostname()
        self.pid = os.getpid()
        self.agent_id = f"{self.hostname}:{self.pid}"
        self.online = True
        self.blocked = ""  # why a server refuses the agent's configuration, in its log language
        self.paused_until: datetime | None = None  # a provider's daily limit: no send before then
        self._sent_when_blocked = 0
        self._told: list[str] = []  # reasons for blocking the admins are still to be told of
        self._probe_delay = self._blocked_delay = min(1.0, options.probe_max_seconds)
        self.stats = Stats()
        self._tr = translator(options.log_language)
        self._domain = message_id_domain(composer.from_address)
        self._db_pool = ThreadPoolExecutor(1, thread_name_prefix="facteur-db")
        self._render_pool = ThreadPoolExecutor(
            min(options.concurrency, 4), thread_name_prefix="facteur-render"
        )
        self._stopping: asyncio.Event | None = None
        self._wake: asyncio.Event | None = None
        # the settings file, watched while serving: once it changes, the run ends for a reload
        # (``agent.service.run_agent``), so a fixed setting takes effect with no restart
        self.config_file: Path | None = None
        self.reload_asked = False
        self._leases = LeaseKeeper(self.agent_id, self.hostname, self.pid, options.lease_seconds)
        # a secure message spends most of its time on the portal and the SMS gateway, not on an SMTP
        # connection: more messages in the works than connections keep the connections busy, and
        # the links waiting for the portal go in bigger batches, the writes in bigger commits
        self._in_flight = max(options.in_flight, options.concurrency)
        # claimed ahead (one transaction for many); only the ones in flight can ever arrive twice
        self._prefetch = max(2 * self._in_flight, 16)
        self._facts: dict[int, MessageFacts] = {}  # read with the claim, taken by the delivery
        self._pdfs: dict[int, bytes] = {}  # the claimed messages' PDFs already rendered
        self._synced = False
        self._writer = GroupWriter(self._db)
        self._sync_jobs = SyncJobs(self.syncs, self._db, self._tr, self._log)
        self._deliverer = Deliverer(
            self.agent_id,
            channel,
            composer,
            self.steps,
            concurrency=options.concurrency,
            policy=options.policy,
            writer=self._writer,
            render_pool=self._render_pool,
            stats=self.stats,
            tr=self._tr,
            log=self._log,
            went_offline=self._went_offline,
            pace=Pace(options.email_per_minute, options.email_per_day, minute=options.minute),
        )

    # the outside world -------------------------------------------------------------------------

    def stop(self) -> None:
        """Stop claiming; in-flight sends finish, then ``run`` returns. Safe from a signal handler.
        A staff-edited template rendering now is stopped (its message goes back to the queue):
        nothing an admin writes can hold the stop up."""
        if self._stopping is not None:
            self._stopping.set()
            if not self.reload_asked:  # a reload goes on in this process, with the same helper
                shared_budget().interrupt()

    async def run(self, *, once: bool = False) -> bool:
        """Serve until ``stop()``; with ``once``, until nothing is due. False when it ended offline."""
        self._stopping, self._wake = asyncio.Event(), asyncio.Event()
        self._deliverer.begin(self._stopping)
        shared_budget().resume()
        in_flight: set[asyncio.Task[None]] = set()
        ready: deque[OutboxMessage] = deque()
        self._synced = False  # --once: the feeds were pulled
        watching = None
        if not once and self.config_file is not None:
            watching = asyncio.create_task(self._watch_config(self.config_file))
        try:
            await self._db(self._startup)
            if not once and isinstance(self.composer.pdfs, PdfPrefetcher):
                self.composer.pdfs.keep_one_ready()  # a send at the desk never waits for one to start
            self._log(
                logging.INFO,
                N_("agent {agent} started, sending {count} at once"),
                count=self.options.concurrency,
            )
            while not self._stopping.is_set():
                if not self.online:
                    if not await self._offline(ready, in_flight, once=once) and once:
                        return False
                    continue
                try:
                    if self.blocked and self.stats.sent > self._sent_when_blocked:
                        await self._unblocked()
                    await self._fill(ready, in_flight)
                    await self._beat()
                    self._trim()
                    if not once:
                        self._sync_jobs.start_due()
                    if once and not ready and not in_flight:
                        if await self._drained():
                            break
                        continue
                except peewee.PeeweeException as exc:
                    # a locked or unreachable database: the loop waits and tries again, never dies
                    self._log(logging.ERROR, N_("database error: {reason}; trying again"), reason=str(exc))
                # a finished send wakes the loop at once; otherwise look again after poll_seconds
                await self._sleep(self.options.poll_seconds)
            await self._wind_down(ready, in_flight)
            return self.online
        finally:
            if watching is not None:
                watching.cancel()
            await self._close()

    async def _watch_config(self, path: Path) -> None:
        """Look at the settings file every ``CONFIG_CHECK_SECONDS``; once it changed, stop for a reload."""
        seen = _stamp(path)
        while _stamp(path) == seen:
            await asyncio.sleep(CONFIG_CHECK_SECONDS)
        self._log(logging.INFO, N_("{file} changed: the agent takes its new settings"), file=str(path))
        self.reload_asked = True
        self.stop()

    async def _offline(
        self, ready: deque[OutboxMessage], in_flight: set[asyncio.Task[None]], *, once: bool
    ) -> bool:
        """Offline, blocked or paused: what was claimed goes back, then the wait for the servers
        (``_back_online``); True once back online."""
        await self._release_all(ready, N_("offline"))
        if in_flight:
            await asyncio.wait(in_flight)
        if self._told:  # newly blocked: the heartbeat and the admins say why, now
            await self._beat(force=True)
        return await self._back_online(once=once)

    async def _close(self) -> None:
        """The channels, steps, jobs and helpers this run used, closed; the heartbeat says stopped."""
        await self.channel.close()
        for step in self.steps:
            await step.close()
        await self._sync_jobs.close()
        await self._db(agent_state.mark_stopped, self.agent_id)
        self._log(logging.INFO, N_("agent {agent} stopped"))
        self._db_pool.shutdown(wait=True)
        self._render_pool.shutdown(wait=True)
        if isinstance(self.composer.pdfs, PdfPrefetcher):
            await asyncio.to_thread(self.composer.pdfs.close)

    async def _fill(self, ready: deque[OutboxMessage], in_flight: set[asyncio.Task[None]]) -> None:
        """Claim ahead when the queue runs low, and start deliveries up to ``in_flight``."""
        if len(ready) < self.options.concurrency and await self._db(outbox.due_exists, self.options.clock()):
            wanted = self._prefetch - len(ready) - len(in_flight)
            ready.extend(await self._db(self._claim, wanted))
        while ready and len(in_flight) < self._in_flight and self.online:
            message = ready.popleft()
            task = asyncio.create_task(self._deliver(message))
            in_flight.add(task)
            task.add_done_callback(self._finished(in_flight))
            task.add_done_callback(self._leases.done_callback(message.id))

    async def _wind_down(self, ready: deque[OutboxMessage], in_flight: set[asyncio.Task[None]]) -> None:
        """Stopping: the sends in flight and the feeds being pulled finish; the rest goes back."""
        self._log(
            logging.INFO,
            N_("agent {agent} stopping: finishing {count} sends in progress"),
            count=len(in_flight),
        )
        if in_flight:
            await asyncio.wait(in_flight)
        await self._release_all(ready, None)
        await self._sync_jobs.wait()

    async def _deliver(self, message: OutboxMessage) -> None:
        """One message's delivery, with what its claim read for it."""
        await self._deliverer.deliver(
            message, facts=self._facts.pop(message.id, None), pdf=self._pdfs.pop(message.id, None)
        )

    # the loop's helpers -------------------------------------------------------------------------

    def _startup(self) -> None:
        dead = [owner for owner in outbox.lease_owners() if _dead_local(owner, self.hostname, self.pid)]
        rescued = outbox.rescue(dead_owners=dead)
        if rescued:
            self._log(
                logging.WARNING, N_("{count} interrupted messages returned to the queue"), count=rescued
            )
        agent_state.beat(self.agent_id, self.hostname, self.pid, online=self.online, channels=self.channels)
        pace = self._deliverer.pace
        if pace.per_day:  # a restart does not give the provider's day back
            since = utcnow() - timedelta(seconds=DAY_MINUTES * pace.minute)
            pace.remember(outbox.emails_sent_since(since), utcnow())

    def _claim(self, limit: int) -> list[OutboxMessage]:
        """Lease up to ``limit`` due messages and read what their deliveries need (``agent.facts``)."""
        claimed = outbox.claim(
            self.agent_id,
            limit,
            self.options.lease_seconds,
            self.options.clock(),
            new_message_id=lambda message: new_message_id(message, self._domain),
        )
        self._leases.hold(message.id for message in claimed)
        facts = load_facts(claimed)
        self._facts.update(facts)
        pdfs = self.composer.pdfs
        if isinstance(pdfs, PdfPrefetcher):  # the PDFs the claim needs: read now, or rendered meanwhile
            wanted = [m for m in claimed if m.id in facts and wants_pdf(m)]
            cached = pdfs.prepare((facts[m.id].invoice, m.language) for m in wanted)
            for message in wanted:
                pdf = cached.get((fk_id(message, "invoice"), message.language))
                if pdf is not None:
                    self._pdfs[message.id] = pdf
        return claimed

    async def _back_online(self, *, once: bool) -> bool:
        """Offline: probe, waiting a doubling delay between probes; blocked, wait before the probe
        too (it cannot tell a fixed setting from a wrong one: the next send will). ``once`` waits
        for nothing: False at once when still offline, or blocked."""
        if not once:
            await self._render_ahead()
        if self.paused_until is not None:
            if once:
                return False
            await self._beat(force=True)  # the status bar says until when
            await self._sleep((self.paused_until - utcnow()).total_seconds(), woken_by_sends=False)
            if self._stopping is not None and self._stopping.is_set():
                return False
            self.paused_until = None
        if self.blocked:
            if once:
                return False
            # the sends that met the refusal just finished: they are no news to wake for
            await self._sleep(self._blocked_delay, woken_by_sends=False)
            self._blocked_delay = min(self._blocked_delay * 2, self.options.probe_max_seconds)
        if await self._probe():
            self._probe_delay = min(1.0, self.options.probe_max_seconds)
            return True
        if not once:
            await self._sleep(self._probe_delay, woken_by_sends=False)
            self._probe_delay = min(self._probe_delay * 2, self.options.probe_max_seconds)
        return False

    async def _render_ahead(self) -> None:
        """Offline: the waiting messages' PDFs (those queued meanwhile too) start rendering in the
        render processes at each probe, so that the reconnect costs only the network."""
        pdfs = self.composer.pdfs
        if isinstance(pdfs, PdfPrefetcher):
            pdfs.prepare(await self._db(waiting_pdfs))

    async def _probe(self) -> bool:
        try:
            await self._offline_probe()
        except OfflineError as exc:
            await self._beat(force=True)
            if not self.blocked:
                self._log(logging.INFO, N_("still offline: {reason}"), reason=exc.render(self._tr))
            return False
        self.online = True
        if not self.blocked:
            self._log(logging.INFO, N_("online again"))
        await self._beat(force=True)
        return True

    def _went_offline(self, exc: OfflineError, probe: Callable[[], Awaitable[None]] | None = None) -> None:
        if not self.online:
            return
        self.online = False
        self._offline_probe = probe or self.channel.probe
        reason = exc.render(self._tr)
        if isinstance(exc, PausedError):
            self.paused_until = utcnow() + timedelta(seconds=exc.seconds)
            self._log(
                logging.WARNING,
                N_("sending paused for {minutes} min: {reason}"),
                minutes=math.ceil(exc.seconds / 60),
                reason=reason,
            )
            return
        if not isinstance(exc, BlockedError):
            self._log(logging.WARNING, N_("offline: {reason}"), reason=reason)
            return
        self._sent_when_blocked = self.stats.sent
        if reason != self.blocked:  # said once per reason, however many tries meet it
            self.blocked = reason
            self._log(logging.ERROR, N_("cannot send until a setting is fixed: {reason}"), reason=reason)
            self._told.append(reason)

    async def _unblocked(self) -> None:
        self.blocked = ""
        self._blocked_delay = min(1.0, self.options.probe_max_seconds)
        self._log(logging.INFO, N_("sending again: the server accepts the configuration"))
        await self._beat(force=True)

    async def _drained(self) -> bool:
        """``--once``: nothing is due, and the feeds were pulled once (what they queued, reminders,
        goes out in this same run: after a pull, the queue is looked at again)."""
        if await self._db(outbox.due_exists, self.options.clock()):
            return False
        if not self._synced:
            await self._sync_jobs.run_all_once()
            self._synced = True
            return False
        return True

    async def _release_all(self, ready: deque[OutboxMessage], reason: str | None) -> None:
        while ready:
            message = ready.popleft()
            self._facts.pop(message.id, None)
            self._pdfs.pop(message.id, None)
            await self._db(outbox.release, message, self.agent_id, reason)

    async def _beat(self, *, force: bool = False) -> None:
        """Heartbeat, lease renewal and rescue of dead agents' leases, each on its schedule; the
        admins told of a new reason the agent is blocked."""
        while self._told:
            await self._db(notify_agent_blocked, self._told.pop(0), utcnow())
        if force or self._leases.due():
            await self._db(
                self._leases.tick,
                online=self.online,
                blocked=self.blocked,
                pace=round(self._deliverer.pace.per_minute),
                paused_until=self.paused_until,
                force=force,
                log_rescued=self._log_rescued,
            )

    def _trim(self) -> None:
        if isinstance(self.composer.pdfs, PdfPrefetcher):
            self.composer.pdfs.trim()  # idle render processes exit

    def _log_rescued(self, count: int) -> None:
        self._log(logging.WARNING, N_("{count} interrupted messages returned to the queue"), count=count)

    async def _sleep(self, seconds: float, *, woken_by_sends: bool = True) -> None:
        """Until ``seconds`` pass, a send finishes (unless not ``woken_by_sends``), or a stop is asked."""
        assert self._wake is not None and self._stopping is not None
        waits = [asyncio.ensure_future(self._stopping.wait())]
        if woken_by_sends:
            waits.append(asyncio.ensure_future(self._wake.wait()))
        try:
            await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiting in waits:
                waiting.cancel()
            self._wake.clear()

    def _finished(self, in_flight: set[asyncio.Task[None]]) -> Callable[[asyncio.Task[None]], None]:
        def done(task: asyncio.Task[None]) -> None:
            in_flight.discard(task)
            if self._wake is not None:
                self._wake.set()

        return done

    async def _db(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``function(*args, **kwargs)`` on the database thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._db_pool, lambda: function(*args, **kwargs))

    def _log(self, level: int, msgid: str, *, exc: bool = False, **params: Any) -> None:
        if log.isEnabledFor(level):
            log.log(level, self._tr.format(msgid, agent=self.agent_id, **params), exc_info=exc)


def _stamp(path: Path) -> tuple[int, int] | None:
    """What tells an edited file: its modification time and size (None while it is missing)."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_mtime_ns, stat.st_size)


def _dead_local(owner: str, hostname: str, own_pid: int) -> bool:
    """A lease owner ``host:pid`` on this host whose process is gone (killed, crashed)."""
    host, _, pid = owner.rpartition(":")
    if host != hostname or not pid.isdigit() or int(pid) == own_pid:
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False

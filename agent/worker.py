"""The agent's loop: claim due messages, send them concurrently, record each outcome.

Like huey's consumer and arq's worker: one bad message is logged and marked, never
kills the loop; with nothing due it sleeps ``poll_seconds`` between cheap indexed
reads; ``stop()`` (SIGTERM, SIGINT) stops claiming and lets in-flight sends finish;
``run(once=True)`` drains what is due and returns. When no server can be reached the
agent is offline: it gives the attempts back, probes with a doubling delay and
records the state in its heartbeat. Database work runs on one thread of its own,
the writes of many messages committed together; a claim reads its messages' rows and
cached PDFs in the same step, so composing them is pure computation, done on the loop
(a message still waiting for its rows or its PDF is composed on a small pool; PDFs
render in child processes). The event loop otherwise only waits on the network.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import socket
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

import peewee

from agent.channels import EmailChannel
from agent.compose import Composer, composable, message_id_domain, new_message_id, wants_pdf
from agent.errors import OfflineError, RejectedError, UnknownOutcomeError
from agent.facts import MessageFacts, load_facts
from agent.leases import LeaseKeeper
from agent.mime import OutgoingEmail
from agent.pdfs import PdfPrefetcher
from agent.steps import Delivery, DeliveryStep, SyncJob
from locales import N_, translator
from models.core.enums import Channel, OutboxStatus
from models.core.errors import FacteurError, PermanentDeliveryError, TransientDeliveryError, ValidationError
from models.core.validation import validate_email
from models.database.base import fk_id
from models.database.db import db
from models.messaging import agent_state, outbox
from models.messaging.outbox import Reply, RetryPolicy
from models.messaging.tables import OutboxMessage

log = logging.getLogger("facteur.agent")
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


@dataclass
class Stats:
    sent: int = 0
    deferred: int = 0
    failed: int = 0
    released: int = 0


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
        self._sync_tasks: dict[str, asyncio.Task[None]] = {}
        self._sync_next: dict[str, float] = {}
        self.hostname = socket.gethostname()
        self.pid = os.getpid()
        self.agent_id = f"{self.hostname}:{self.pid}"
        self.online = True
        self.stats = Stats()
        self._tr = translator(options.log_language)
        self._domain = message_id_domain(composer.from_address)
        self._db_pool = ThreadPoolExecutor(1, thread_name_prefix="facteur-db")
        self._render_pool = ThreadPoolExecutor(
            min(options.concurrency, 4), thread_name_prefix="facteur-render"
        )
        self._stopping: asyncio.Event | None = None
        self._wake: asyncio.Event | None = None
        self._leases = LeaseKeeper(self.agent_id, self.hostname, self.pid, options.lease_seconds)
        # a secure message spends most of its time on the portal and the SMS gateway, not on an SMTP
        # connection: more messages in the works than connections keep the connections busy, and
        # the links waiting for the portal go in bigger batches, the writes in bigger commits
        self._in_flight = max(options.in_flight, options.concurrency)
        # claimed ahead (one transaction for many); only the ones in flight can ever arrive twice
        self._prefetch = max(2 * self._in_flight, 16)
        self._facts: dict[int, MessageFacts] = {}  # read with the claim, taken by the delivery
        self._pdfs: dict[int, bytes] = {}  # the claimed messages' PDFs already rendered
        self._flusher: asyncio.Task[None] | None = None
        self._writes: list[tuple[Callable[[], Any], asyncio.Future[Any]]] = []
        self._flushing = False
        self._synced = False
        self._email_slots = asyncio.Semaphore(options.concurrency)  # as many as SMTP connections

    # the outside world -------------------------------------------------------------------------

    def stop(self) -> None:
        """Stop claiming; in-flight sends finish, then ``run`` returns. Safe from a signal handler."""
        if self._stopping is not None:
            self._stopping.set()

    async def run(self, *, once: bool = False) -> bool:
        """Serve until ``stop()``; with ``once``, until nothing is due. False when it ended offline."""
        self._stopping, self._wake = asyncio.Event(), asyncio.Event()
        in_flight: set[asyncio.Task[None]] = set()
        ready: deque[OutboxMessage] = deque()
        probe_delay = min(1.0, self.options.probe_max_seconds)
        self._synced = False  # --once: the feeds were pulled
        try:
            await self._db(self._startup)
            self._log(
                logging.INFO,
                N_("agent {agent} started, sending {count} at once"),
                count=self.options.concurrency,
            )
            while not self._stopping.is_set():
                if not self.online:
                    await self._release_all(ready, N_("offline"))
                    if in_flight:
                        await asyncio.wait(in_flight)
                    if await self._probe():
                        probe_delay = min(1.0, self.options.probe_max_seconds)
                        continue
                    if once:
                        return False
                    await self._sleep(probe_delay)
                    probe_delay = min(probe_delay * 2, self.options.probe_max_seconds)
                    continue
                try:
                    await self._fill(ready, in_flight)
                    await self._beat()
                    self._trim()
                    if not once:
                        self._start_due_syncs()
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
            await self._close()

    async def _close(self) -> None:
        """The channels, steps, jobs and helpers this run used, closed; the heartbeat says stopped."""
        await self.channel.close()
        for step in self.steps:
            await step.close()
        for job in self.syncs:
            await job.close()
        await self._db(agent_state.mark_stopped, self.agent_id)
        self._log(logging.INFO, N_("agent {agent} stopped"))
        self._db_pool.shutdown(wait=True)
        self._render_pool.shutdown(wait=True)
        if isinstance(self.composer.pdfs, PdfPrefetcher):
            await asyncio.to_thread(self.composer.pdfs.close)

    async def _fill(self, ready: deque[OutboxMessage], in_flight: set[asyncio.Task[None]]) -> None:
        """Claim ahead when the queue runs low, and start deliveries up to ``in_flight``."""
        if len(ready) < self.options.concurrency and await self._db(outbox.due_exists):
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
        if self._sync_tasks:
            await asyncio.wait(self._sync_tasks.values())

    # one message ------------------------------------------------------------------------------

    async def _deliver(self, message: OutboxMessage) -> None:
        """Run the steps, compose, send and record one message; whatever happens, the loop goes on."""
        try:
            delivery = Delivery(
                message,
                self.agent_id,
                facts=self._facts.pop(message.id, None),
                pdf=self._pdfs.pop(message.id, None),
            )
            channel, probe = Channel.EMAIL, self.channel.probe
            before = [step for step in self.steps if not step.after_email and step.wanted(message)]
            after = [step for step in self.steps if step.after_email and step.wanted(message)]
            try:
                for step in before:
                    channel, probe = step.channel, step.probe
                    # the steps' reads and writes join the group commit: one commit for many
                    await step.run(delivery, self._record)
                if not message.sends_email:  # a payment-link task: its step was the whole job
                    await self._record(outbox.mark_done, message, self.agent_id)
                    self.stats.sent += 1
                    return
                if message.sent_at is None:  # else accepted on an earlier attempt: a step after it failed
                    channel, probe = Channel.EMAIL, self.channel.probe
                    if not await self._email(message, delivery, finished=not after):
                        return
                for step in after:
                    channel, probe = step.channel, step.probe
                    delivery.last_step = step is after[-1]
                    await step.run(delivery, self._record)
                if after and message.status != OutboxStatus.SENT:  # the last step did not finish it
                    await self._record(outbox.mark_finished, message, self.agent_id)
            except OfflineError as exc:
                await self._record(outbox.release, message, self.agent_id, exc.render(self._tr))
                self.stats.released += 1
                self._went_offline(exc, probe)
            except UnknownOutcomeError as exc:
                await self._deferred(message, exc, unknown=True, channel=channel)
            except TransientDeliveryError as exc:
                await self._deferred(message, exc, channel=channel)
            except PermanentDeliveryError as exc:
                await self._failed(message, exc, channel=channel)
            else:
                self.stats.sent += 1
                self._log(logging.INFO, N_("message {id} of invoice #{invoice} sent"), **_ids(message))
        except Exception:
            # the lease expires and the message is rescued; the loop keeps going
            self._log(
                logging.ERROR,
                N_("message {id} of invoice #{invoice}: unexpected error"),
                exc=True,
                **_ids(message),
            )

    async def _email(self, message: OutboxMessage, delivery: Delivery, *, finished: bool) -> bool:
        """Compose, send and record the email; False when it did not go (it failed to compose and was
        recorded so, or the agent is stopping and the message went back to the queue)."""
        _check_recipient(message)
        email = await self._compose(message, delivery)
        if email is None:
            return False
        if not await self._email_slot():  # stopping: it goes back, its link kept
            await self._record(outbox.release, message, self.agent_id, None)
            self.stats.released += 1
            return False
        try:  # the slot is held until the email is recorded: a crash repeats no more
            reply = await self.channel.send(email, message.recipient_email or "")
            # the steps after the email keep the message (and its link) until they are done
            await self._record(outbox.mark_sent, message, self.agent_id, reply, finished=finished)
        finally:
            self._email_slots.release()
        return True

    async def _email_slot(self) -> bool:
        """One of the ``concurrency`` emails at once, or False when the agent stops first: a message
        still waiting for its turn goes back to the queue rather than hold the stop up."""
        assert self._stopping is not None
        if self._stopping.is_set():
            return False
        if not self._email_slots.locked():
            await self._email_slots.acquire()  # free: taken at once
            return True
        acquire = asyncio.ensure_future(self._email_slots.acquire())
        stopped = asyncio.ensure_future(self._stopping.wait())
        await asyncio.wait((acquire, stopped), return_when=asyncio.FIRST_COMPLETED)
        stopped.cancel()
        if not acquire.done():
            acquire.cancel()
        try:
            await acquire
        except asyncio.CancelledError:
            return False
        return True  # taken, even if the stop came at the same moment: it goes out

    async def _compose(self, message: OutboxMessage, delivery: Delivery) -> OutgoingEmail | None:
        try:
            if composable(message, delivery):  # rows and PDF in hand: a millisecond of work, no thread hop
                return self.composer.compose_bytes(message, delivery)
            return await self._run(self._render_pool, self.composer.compose_bytes, message, delivery)
        except OSError as exc:
            await self._deferred(message, _as_deferred(exc))
        except Exception as exc:
            self._log(
                logging.ERROR,
                N_("message {id} of invoice #{invoice}: cannot build it"),
                exc=True,
                **_ids(message),
            )
            await self._failed(message, _as_rejected(exc))
        return None

    async def _deferred(
        self, message: OutboxMessage, exc: Any, *, unknown: bool = False, channel: Channel = Channel.EMAIL
    ) -> None:
        reply = Reply(code=getattr(exc, "code", None), text=self._stored_text(exc))
        await self._record(
            outbox.mark_deferred,
            message,
            self.agent_id,
            reply,
            self.options.policy,
            None,
            unknown=unknown,
            channel=channel,
        )
        self.stats.deferred += 1
        self._log(
            logging.WARNING,
            N_("message {id} of invoice #{invoice} deferred: {reason}"),
            reason=self._reason(exc, reply),
            **_ids(message),
        )

    async def _failed(self, message: OutboxMessage, exc: Any, *, channel: Channel = Channel.EMAIL) -> None:
        reply = Reply(code=getattr(exc, "code", None), text=self._stored_text(exc))
        await self._record(outbox.mark_failed, message, self.agent_id, reply, channel=channel)
        self.stats.failed += 1
        self._log(
            logging.WARNING,
            N_("message {id} of invoice #{invoice} failed: {reason}"),
            reason=self._reason(exc, reply),
            **_ids(message),
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

    def _claim(self, limit: int) -> list[OutboxMessage]:
        """Lease up to ``limit`` due messages and read what their deliveries need (``agent.facts``)."""
        claimed = outbox.claim(
            self.agent_id,
            limit,
            self.options.lease_seconds,
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

    async def _probe(self) -> bool:
        try:
            await self._offline_probe()
        except OfflineError as exc:
            await self._beat(force=True)
            self._log(logging.INFO, N_("still offline: {reason}"), reason=exc.render(self._tr))
            return False
        self.online = True
        self._log(logging.INFO, N_("online again"))
        await self._beat(force=True)
        return True

    def _went_offline(self, exc: OfflineError, probe: Callable[[], Awaitable[None]] | None = None) -> None:
        if self.online:
            self.online = False
            self._offline_probe = probe or self.channel.probe
            self._log(logging.WARNING, N_("offline: {reason}"), reason=exc.render(self._tr))

    def _start_due_syncs(self) -> None:
        """Start each sync job whose turn came and that is not still running."""
        now = time.monotonic()
        for job in self.syncs:
            running = self._sync_tasks.get(job.name)
            if (running is None or running.done()) and now >= self._sync_next.get(job.name, 0.0):
                self._sync_next[job.name] = now + job.interval_seconds
                self._sync_tasks[job.name] = asyncio.create_task(self._sync(job))

    async def _drained(self) -> bool:
        """``--once``: nothing is due, and the feeds were pulled once (what they queued, reminders,
        goes out in this same run: after a pull, the queue is looked at again)."""
        if await self._db(outbox.due_exists):
            return False
        if not self._synced:
            await self._sync_all_once()
            self._synced = True
            return False
        return True

    async def _sync_all_once(self) -> None:
        """``--once``: every feed pulled once more before exiting, after what was running ends."""
        if self._sync_tasks:
            await asyncio.wait(self._sync_tasks.values())
        for job in self.syncs:
            await self._sync(job)

    async def _sync(self, job: SyncJob) -> None:
        try:
            await job.run(self._db)
        except OfflineError as exc:
            self._log(
                logging.INFO, N_("{job}: not reachable: {reason}"), job=job.name, reason=exc.render(self._tr)
            )
        except Exception:
            self._log(logging.ERROR, N_("{job}: unexpected error"), job=job.name, exc=True)

    async def _release_all(self, ready: deque[OutboxMessage], reason: str | None) -> None:
        while ready:
            message = ready.popleft()
            self._facts.pop(message.id, None)
            self._pdfs.pop(message.id, None)
            await self._db(outbox.release, message, self.agent_id, reason)

    async def _beat(self, *, force: bool = False) -> None:
        """Heartbeat, lease renewal and rescue of dead agents' leases, each on its schedule."""
        if force or self._leases.due():
            await self._db(self._leases.tick, online=self.online, force=force, log_rescued=self._log_rescued)

    def _trim(self) -> None:
        if isinstance(self.composer.pdfs, PdfPrefetcher):
            self.composer.pdfs.trim()  # idle render processes exit

    def _log_rescued(self, count: int) -> None:
        self._log(logging.WARNING, N_("{count} interrupted messages returned to the queue"), count=count)

    async def _sleep(self, seconds: float) -> None:
        """Until ``seconds`` pass, a send finishes, or a stop is asked."""
        assert self._wake is not None and self._stopping is not None
        waits = [asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(self._stopping.wait())]
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

    async def _record(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """A write (or a step's read), committed together with the others that arrive meanwhile
        (group commit): one fsync for several messages instead of one each. It returns once
        committed, so a step's record is durable before its next side effect."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._writes.append((functools.partial(function, *args, **kwargs), future))
        if not self._flushing:
            self._flushing = True
            self._flusher = asyncio.ensure_future(self._flush())
        return cast("T", await future)

    async def _flush(self) -> None:
        try:
            while self._writes:
                batch, self._writes = self._writes, []
                try:
                    results = await self._db(_write_together, [write for write, _ in batch])
                except Exception as exc:  # the commit itself failed: every write in it did
                    results = [exc] * len(batch)
                for (_, future), result in zip(batch, results, strict=True):
                    if isinstance(result, Exception):
                        future.set_exception(result)
                    else:
                        future.set_result(result)
        finally:
            self._flushing = False

    async def _db(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await self._run(self._db_pool, function, *args, **kwargs)

    async def _run(
        self, pool: ThreadPoolExecutor, function: Callable[..., T], *args: Any, **kwargs: Any
    ) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(pool, lambda: function(*args, **kwargs))

    def _stored_text(self, exc: BaseException) -> str:
        """What the outbox and the transmission keep: the server's reply as it gave it, else
        Facteur's own reason in the log's language (the clinic's), never the English msgid."""
        reply = getattr(exc, "reply", "")
        if reply:
            return str(reply)
        if isinstance(exc, FacteurError):
            return exc.render(self._tr)
        return str(exc) or type(exc).__name__

    def _reason(self, exc: Any, reply: Reply) -> str:
        """The server's reply as it gave it, else Facteur's own reason in the log's language."""
        if getattr(exc, "code", None) is None and isinstance(exc, FacteurError):
            return exc.render(self._tr)
        return reply.text or ""

    def _log(self, level: int, msgid: str, *, exc: bool = False, **params: Any) -> None:
        if log.isEnabledFor(level):
            log.log(level, self._tr.format(msgid, agent=self.agent_id, **params), exc_info=exc)


def _write_together(writes: list[Callable[[], Any]]) -> list[Any]:
    """Run ``writes`` in one transaction, each in its own savepoint: one failing spares the others."""
    results: list[Any] = []
    with db.atomic():
        for write in writes:
            try:
                with db.atomic():  # a savepoint
                    results.append(write())
            except Exception as exc:
                results.append(exc)
    return results


def _check_recipient(message: OutboxMessage) -> None:
    """Refuse an address no email can go to before composing for it (SMTP takes ASCII only)."""
    address = message.recipient_email or ""
    try:
        validate_email(address).encode("ascii")
    except (ValidationError, UnicodeEncodeError) as exc:
        raise RejectedError(N_("invalid recipient address {address}"), address=address) from exc


def _ids(message: OutboxMessage) -> dict[str, Any]:
    return {"id": message.id, "invoice": fk_id(message, "invoice")}


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


def _as_deferred(exc: OSError) -> TransientDeliveryError:
    from agent.errors import DeferredError

    return DeferredError(N_("cannot build the message: {reason}"), reason=exc.strerror or str(exc))


def _as_rejected(exc: Exception) -> PermanentDeliveryError:
    return RejectedError(N_("cannot build the message: {reason}"), reason=str(exc) or type(exc).__name__)

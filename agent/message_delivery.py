"""One claimed message's delivery: its steps, its email, and its outcome recorded."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from agent.channels import EmailChannel
from agent.compose import Composer, composable
from agent.errors import (
    LOCAL_FAULTS,
    BlockedError,
    DeferredError,
    OfflineError,
    PausedError,
    RejectedError,
    ReplacedError,
    SkippedError,
    ThrottledError,
    UnknownOutcomeError,
)
from agent.facts import MessageFacts
from agent.mime import OutgoingEmail
from agent.pacing import Pace
from agent.steps import Delivery, DeliveryStep
from agent.writer import GroupWriter
from locales import N_, Translator
from models.core.enums import Channel, OutboxStatus
from models.core.errors import (
    DeliveryError,
    FacteurError,
    PermanentDeliveryError,
    TransientDeliveryError,
    ValidationError,
)
from models.core.validation import validate_email
from models.database.base import fk_id
from models.messaging import outbox
from models.messaging.outbox import Reply, RetryPolicy
from models.messaging.tables import OutboxMessage, Template
from models.messaging.template_budget import RenderInterrupted
from models.messaging.template_render import TemplateProblem
from models.workflow.sending import EMAIL_WITHDRAWN

STOPPED = object()  # what ``Deliverer._unless_stopping`` gives when the agent stopped first


@dataclass
class Stats:
    """What this agent's deliveries came to."""

    sent: int = 0
    deferred: int = 0
    failed: int = 0
    released: int = 0
    replaced: int = 0


class Deliverer:
    """Delivers the messages the loop hands it, one call each: the delivery steps it needs, its
    email through ``channel`` (``concurrency`` at once), each outcome recorded through ``writer``;
    whatever happens, the call returns. ``went_offline`` is told when a server cannot be reached."""

    def __init__(
        self,
        agent_id: str,
        channel: EmailChannel,
        composer: Composer,
        steps: Sequence[DeliveryStep],
        *,
        concurrency: int,
        policy: RetryPolicy,
        writer: GroupWriter,
        render_pool: ThreadPoolExecutor,
        stats: Stats,
        tr: Translator,
        log: Callable[..., None],
        went_offline: Callable[[OfflineError, Callable[[], Awaitable[None]] | None], None],
        pace: Pace | None = None,
    ) -> None:
        self.agent_id = agent_id
        self.channel = channel
        self.composer = composer
        self.steps = tuple(steps)
        self.policy = policy
        self.stats = stats
        self._record = writer.record
        self._render_pool = render_pool
        self._tr = tr
        self._log = log
        self._went_offline = went_offline
        self._stopping: asyncio.Event | None = None
        self._email_slots = asyncio.Semaphore(concurrency)  # as many as SMTP connections
        self.pace = pace or Pace()  # the email channel's, as one whatever is in flight
        # a throttling reply slows the channel that got it: the email's, or a step's (the SMS)
        self._paces: dict[Channel, Pace] = {Channel.EMAIL: self.pace}
        for step in self.steps:
            step_pace = getattr(step, "pace", None)
            if isinstance(step_pace, Pace):
                self._paces[step.channel] = step_pace

    def begin(self, stopping: asyncio.Event) -> None:
        """A run starts: once ``stopping`` is set, a message still waiting for its email's turn goes back."""
        self._stopping = stopping

    async def deliver(self, message: OutboxMessage, *, facts: MessageFacts | None, pdf: bytes | None) -> None:
        """Run the steps, compose, send and record one message (``facts`` and ``pdf`` read with its
        claim, when they were); whatever happens, the loop goes on."""
        try:
            delivery = Delivery(message, self.agent_id, facts=facts, pdf=pdf)
            channel, probe = Channel.EMAIL, self.channel.probe
            before = [step for step in self.steps if not step.after_email and step.wanted(message)]
            after = [step for step in self.steps if step.after_email and step.wanted(message)]
            try:
                if message.sends_email:  # before publishing a link or asking Stripe for one
                    _check_consent(delivery.facts)
                for step in before:
                    channel, probe = step.channel, step.probe
                    # the steps' reads and writes join the group commit: one commit for many
                    try:
                        await step.run(delivery, self._record)
                    except PermanentDeliveryError as exc:
                        if step.channel is not Channel.STRIPE or not message.sends_email:
                            raise
                        await self._without_payment(message, exc)
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
            except DeliveryError as exc:
                await self._settle(message, exc, channel, probe)
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

    async def _settle(
        self,
        message: OutboxMessage,
        exc: DeliveryError,
        channel: Channel,
        probe: Callable[[], Awaitable[None]] | None,
    ) -> None:
        """Record what a step's or the email's error means for the message (its class decides)."""
        if isinstance(exc, ReplacedError):
            await self._replaced(message, exc)
        elif isinstance(exc, SkippedError):
            await self._record(outbox.mark_skipped, message, self.agent_id, exc.render(self._tr))
            self._log(
                logging.INFO,
                N_("message {id} of invoice #{invoice} not sent: {reason}"),
                **_ids(message),
                reason=exc.render(self._tr),
            )
        elif isinstance(exc, ThrottledError):
            await self._throttled(message, exc, channel)
        elif isinstance(exc, OfflineError):
            await self._record(outbox.release, message, self.agent_id, exc.render(self._tr))
            self.stats.released += 1
            self._went_offline(exc, probe)
        elif isinstance(exc, UnknownOutcomeError):
            await self._deferred(message, exc, unknown=True, channel=channel)
        elif isinstance(exc, TransientDeliveryError):
            await self._deferred(message, exc, channel=channel)
        else:
            await self._failed(message, exc, channel=channel)

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
            day_full = await self._unless_stopping(self.pace.turn)
            if day_full is STOPPED:  # stopping while it waited its turn
                await self._record(outbox.release, message, self.agent_id, None)
                self.stats.released += 1
                return False
            if day_full:
                raise PausedError(
                    N_("the day's limit of {count} emails is reached ([email] max_per_day)"),
                    seconds=day_full,
                    count=self.pace.per_day,
                )
            reply = await self.channel.send(email, message.recipient_email or "")
            self.pace.accepted()
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
        return await self._unless_stopping(self._email_slots.acquire) is not STOPPED

    async def _unless_stopping(self, wait: Callable[[], Awaitable[Any]]) -> Any:
        """What ``wait()`` gives, or ``STOPPED`` (and it cancelled) when the agent stops first."""
        assert self._stopping is not None
        waiting = asyncio.ensure_future(wait())
        stopped = asyncio.ensure_future(self._stopping.wait())
        await asyncio.wait((waiting, stopped), return_when=asyncio.FIRST_COMPLETED)
        stopped.cancel()
        if not waiting.done():
            waiting.cancel()
        try:
            return await waiting  # done, even if the stop came at the same moment: it goes out
        except asyncio.CancelledError:
            return STOPPED

    async def _throttled(self, message: OutboxMessage, exc: ThrottledError, channel: Channel) -> None:
        """The server said to slow down: its channel pauses and slows as one (said once a pause);
        the message is due again at once, to wait for the channel's next turn, its try counted."""
        pace = self._paces.get(channel, self.pace)
        pause = pace.slow_down()
        if pause is not None:
            self._log(
                logging.WARNING,
                N_("{channel}: the server asks to slow down ({reason}): pausing {seconds} s, then {rate}/min")
                if pace.per_minute
                else N_("{channel}: the server asks to slow down ({reason}): pausing {seconds} s"),
                channel=channel.value,
                reason=exc.reply or exc.render(self._tr),
                seconds=round(pause),
                rate=round(pace.per_minute, 1),
            )
        await self._record_deferred(message, exc, channel=channel, retry_now=True)

    async def _compose(self, message: OutboxMessage, delivery: Delivery) -> OutgoingEmail | None:
        try:
            if composable(message, delivery):  # rows and PDF in hand: a millisecond of work, no thread hop
                return self.composer.compose_bytes(message, delivery)
            compose = (
                self.composer.compose_bytes
            )  # else on the render pool: the rows or the PDF are read there
            return await asyncio.get_running_loop().run_in_executor(
                self._render_pool, lambda: compose(message, delivery)
            )
        except OSError as exc:
            if exc.errno in LOCAL_FAULTS:  # a full or read-only disk: not this message's fault
                await self._record(outbox.release, message, self.agent_id, None)
                self.stats.released += 1
                self._went_offline(_as_blocked(exc), self.channel.probe)
            else:
                await self._deferred(message, _as_deferred(exc))
        except RenderInterrupted:  # the agent is stopping: the message goes back, nothing spent
            await self._record(outbox.release, message, self.agent_id, None)
            self.stats.released += 1
        except TemplateProblem as exc:  # an admin's template this message cannot use: it alone fails
            name = await self._record(_template_name, message)  # a read, on the database thread
            await self._failed(
                message,
                RejectedError(
                    N_("the template “{template}” cannot be used: {reason}"),
                    template=name,
                    reason=exc.render(self._tr),
                ),
            )
        except Exception as exc:
            self._log(
                logging.ERROR,
                N_("message {id} of invoice #{invoice}: cannot build it"),
                exc=True,
                **_ids(message),
            )
            await self._failed(message, _as_rejected(exc))
        return None

    async def _replaced(self, message: OutboxMessage, exc: ReplacedError) -> None:
        # the portal's refusal is a transmission; a message stopped before any server was asked
        # gets its attempt back
        reply = Reply(code=exc.code, text=exc.reply) if exc.code else None
        await self._record(outbox.mark_replaced, message, self.agent_id, exc.render(self._tr), reply)
        self.stats.replaced += 1
        self._log(
            logging.INFO,
            N_("message {id} of invoice #{invoice} not sent: {reason}"),
            reason=exc.render(self._tr),
            **_ids(message),
        )

    async def _without_payment(self, message: OutboxMessage, exc: PermanentDeliveryError) -> None:
        """Stripe refused the Pay button (a revoked key, an account that may not charge, an amount
        under its minimum…): the email goes without it, the refusal is a failed ``stripe``
        transmission, and the admins hear of each cause once. Payment trouble never costs the email."""
        reply = Reply(code=getattr(exc, "code", None), text=self._stored_text(exc))
        await self._record(outbox.mark_link_refused, message, self.agent_id, reply)
        message.payment_link = False
        self._log(
            logging.WARNING,
            N_("message {id} of invoice #{invoice} goes without its payment link: {reason}"),
            reason=self._reason(exc, reply),
            **_ids(message),
        )

    async def _deferred(
        self, message: OutboxMessage, exc: Any, *, unknown: bool = False, channel: Channel = Channel.EMAIL
    ) -> None:
        reply = await self._record_deferred(message, exc, unknown=unknown, channel=channel)
        self._log(
            logging.WARNING,
            N_("message {id} of invoice #{invoice} deferred: {reason}"),
            reason=self._reason(exc, reply),
            **_ids(message),
        )

    async def _record_deferred(self, message: OutboxMessage, exc: Any, **options: Any) -> Reply:
        """The try recorded as deferred (``options``: ``outbox.mark_deferred``'s); the reply kept."""
        reply = Reply(code=getattr(exc, "code", None), text=self._stored_text(exc))
        await self._record(outbox.mark_deferred, message, self.agent_id, reply, self.policy, None, **options)
        self.stats.deferred += 1
        return reply

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


def _check_recipient(message: OutboxMessage) -> None:
    """Refuse an address no email can go to before composing for it (SMTP takes ASCII only)."""
    address = message.recipient_email or ""
    try:
        validate_email(address).encode("ascii")
    except (ValidationError, UnicodeEncodeError) as exc:
        raise RejectedError(N_("invalid recipient address {address}"), address=address) from exc


def _check_consent(facts: MessageFacts | None) -> None:
    """The patient's consent to email as it is now (read with the claim), not as it was when the
    message was queued: a patient who withdrew it since gets nothing, and the message fails alone
    saying why (``models.people.consent``)."""
    if facts is None or facts.invoice.third_party:
        return  # a third party's address: the patient's consents are not theirs
    patient = facts.invoice.patient
    if patient.email_withdrawn:
        raise RejectedError(EMAIL_WITHDRAWN, name=patient.full_name)


def _ids(message: OutboxMessage) -> dict[str, Any]:
    return {"id": message.id, "invoice": fk_id(message, "invoice")}


def _as_blocked(exc: OSError) -> BlockedError:
    return BlockedError(
        N_("cannot write {path}: {reason}; free some space or fix its rights (see [agent] cache_dir)"),
        path=exc.filename or "",
        reason=exc.strerror or str(exc),
    )


def _as_deferred(exc: OSError) -> TransientDeliveryError:
    return DeferredError(N_("cannot build the message: {reason}"), reason=exc.strerror or str(exc))


def _template_name(message: OutboxMessage) -> str:
    template = Template.get_or_none(Template.id == fk_id(message, "template"))
    return str(template.name) if template is not None else ""


def _as_rejected(exc: Exception) -> PermanentDeliveryError:
    return RejectedError(N_("cannot build the message: {reason}"), reason=str(exc) or type(exc).__name__)

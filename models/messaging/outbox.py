"""The outbox queue's rules: claim with a lease, rescue, outcomes (what staff put in it:
``models.workflow.sending``).

Eligibility (what the agent may claim):

- a message is *due* when ``status = 'pending'`` and ``next_attempt_at <= now``
  (the ``(status, next_attempt_at)`` index answers it), oldest due first;
- ``claim`` moves up to ``limit`` due messages to ``sending`` in ONE statement
  (``UPDATE … WHERE id IN (SELECT … LIMIT n) RETURNING *``), stamping the lease
  (``lease_owner``, ``lease_expires_at``), spending one attempt and giving each
  message its Message-ID if it has none, in the same transaction: the id is stored
  BEFORE the send, so every retry reuses it. SQLite serializes claimers with
  ``BEGIN IMMEDIATE``; PostgreSQL adds ``FOR UPDATE SKIP LOCKED`` to the sub-select
  so several agents claim disjoint rows;
- a live agent renews the leases of the messages it still works on (``renew_leases``) well
  before they run out, so only a dead agent's leases expire (and those of messages whose
  outcome it could not write); ``rescue`` (every agent runs it now and then) returns to
  ``pending`` every ``sending`` message whose lease expired, and those leased by owners
  known to be dead, in one guarded ``UPDATE … RETURNING`` (two rescuers never take the same
  row); the attempt stays spent and a transmission ``unknown`` records it. Leases compare
  the agents' clocks: keep the hosts' clocks in sync (NTP), far within ``lease_seconds``;
- outcomes only touch a message still leased by the caller:
  ``sent`` (Message-ID kept, personal message dropped, ``sent_at``), ``deferred``
  (4xx, timeouts, disconnects: back to pending after a capped, jittered exponential
  backoff; failed once the message is older than ``give_up``), ``failed`` (5xx,
  invalid address: at once, and its author is notified), ``unknown`` (timeout after
  DATA: deferred the same way, same Message-ID), ``offline`` (no server reachable:
  back to pending at once, the attempt given back);
- every attempt writes one ``Transmission`` row: channel, status, reply code and
  text, provider id. Never the content.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import peewee

from models.core.enums import Channel, OutboxStatus, TransmissionStatus
from models.database.base import fk_id, utcnow
from models.database.db import db
from models.messaging.notifications import notify_delivery_failed, notify_payment_trouble
from models.messaging.sending_window import is_open, next_opening, window_of, window_start
from models.messaging.tables import OutboxMessage, Transmission
from models.people.clinic import Clinic


@dataclass(frozen=True)
class RetryPolicy:
    """Backoff: ``base * 2**(attempt-1)``, capped, times a jitter in [0.8, 1.2]; give up after ``give_up``."""

    base: timedelta = timedelta(minutes=1)
    cap: timedelta = timedelta(hours=1)
    give_up: timedelta = timedelta(days=5)

    def delay(self, attempts: int) -> timedelta:
        exponent = min(max(attempts - 1, 0), 30)
        seconds = min(self.cap.total_seconds(), self.base.total_seconds() * 2**exponent)
        return timedelta(seconds=seconds * random.uniform(0.8, 1.2))  # noqa: S311 (jitter, not a secret)


@dataclass(frozen=True)
class Reply:
    """What a channel answered for one attempt (code and text as the server gave them)."""

    code: str | None = None
    text: str | None = None
    provider_id: str | None = None


# Claiming ---------------------------------------------------------------------------------------


def due_exists(now: datetime | None = None) -> bool:
    """A cheap read on the ``(status, next_attempt_at)`` index: is anything due?"""
    now = now or utcnow()
    return (
        OutboxMessage.select(OutboxMessage.id)
        .where((OutboxMessage.status == OutboxStatus.PENDING) & (OutboxMessage.next_attempt_at <= now))
        .exists()
    )


def claim(
    agent_id: str,
    limit: int,
    lease_seconds: float,
    now: datetime | None = None,
    *,
    new_message_id: Callable[[OutboxMessage], str] | None = None,
) -> list[OutboxMessage]:
    """Lease up to ``limit`` due messages to ``agent_id`` in one transaction (see the module's rules)."""
    if limit <= 0:
        return []
    now = now or utcnow()
    due = (
        OutboxMessage.select(OutboxMessage.id)
        .where((OutboxMessage.status == OutboxStatus.PENDING) & (OutboxMessage.next_attempt_at <= now))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    )
    if not isinstance(db.obj, peewee.SqliteDatabase):
        due = due.for_update(skip_locked=True)
    with db.atomic():
        wait_for_window(now)
        claimed = list(
            OutboxMessage.update(
                status=OutboxStatus.SENDING.value,
                lease_owner=agent_id,
                lease_expires_at=now + timedelta(seconds=lease_seconds),
                attempts=OutboxMessage.attempts + 1,
            )
            .where(OutboxMessage.id.in_(due))
            .returning(OutboxMessage)
            .execute()
        )
        for message in claimed:
            if message.message_id is None and new_message_id is not None:
                message.message_id = new_message_id(message)
                OutboxMessage.update(message_id=message.message_id).where(
                    OutboxMessage.id == message.id
                ).execute()
    claimed.sort(key=lambda m: (m.next_attempt_at, m.id))
    return claimed


def wait_for_window(now: datetime) -> int:
    """While the clinic's sending window is closed, the messages due that wait for it (automatic
    ones: a backlog after the agent was offline, a retry that fell at night) move to its next opening,
    without spending an attempt; how many moved."""
    clinic = Clinic.select().order_by(Clinic.id).first()
    if clinic is None:  # nothing can be queued before `db init` made the clinic
        return 0
    window = window_of(clinic)
    if is_open(window, now):
        return 0
    return int(
        OutboxMessage.update(next_attempt_at=next_opening(window, now))
        .where(
            (OutboxMessage.status == OutboxStatus.PENDING)
            & (OutboxMessage.next_attempt_at <= now)
            & (OutboxMessage.in_window == True)  # noqa: E712 (peewee expression)
        )
        .execute()
    )


def rescue(now: datetime | None = None, *, dead_owners: Iterable[str] = ()) -> int:
    """Return to the queue the messages whose agent died (lease expired, or owner known dead).

    One ``UPDATE … WHERE <still orphaned> RETURNING``: two agents rescuing at once cannot both
    take a row (PostgreSQL re-checks the condition on a row another transaction just changed),
    and a row claimed again in between is no longer orphaned, so it is left alone. The claim's
    attempt is given back, as when an agent releases a message: attempts count the tries a
    server answered, and the dead agent's try has no answer on record.
    """
    now = now or utcnow()
    dead = list(dead_owners)
    orphaned = (OutboxMessage.status == OutboxStatus.SENDING) & (
        (OutboxMessage.lease_expires_at < now) | (OutboxMessage.lease_owner.in_(dead) if dead else False)
    )
    with db.atomic():
        rows = list(
            OutboxMessage.update(
                status=OutboxStatus.PENDING.value,
                attempts=OutboxMessage.attempts - 1,
                lease_owner=None,
                lease_expires_at=None,
                next_attempt_at=now,
            )
            .where(orphaned)
            .returning(OutboxMessage.id, OutboxMessage.invoice, OutboxMessage.message_id)
            .execute()
        )
        for message in rows:
            _transmission(
                message, TransmissionStatus.UNKNOWN, Reply(text="agent stopped during the attempt"), now
            )
    return len(rows)


def renew_leases(
    agent_id: str, lease_seconds: float, ids: Iterable[int], now: datetime | None = None
) -> list[int]:
    """Extend the leases ``agent_id`` holds on ``ids`` (the messages it still works on); the ids
    renewed. A live agent keeps its messages however long they wait for their turn; a dead one's
    leases run out and are rescued."""
    wanted = list(ids)
    if not wanted:
        return []
    now = now or utcnow()
    renewed = (
        OutboxMessage.update(lease_expires_at=now + timedelta(seconds=lease_seconds))
        .where(
            (OutboxMessage.status == OutboxStatus.SENDING)
            & (OutboxMessage.lease_owner == agent_id)
            & OutboxMessage.id.in_(wanted)
        )
        .returning(OutboxMessage.id)
        .tuples()
    )
    return [int(row[0]) for row in renewed.execute()]


def lease_owners() -> list[str]:
    """The agents holding leases now (the agent checks which of its host's are dead)."""
    query = (
        OutboxMessage.select(OutboxMessage.lease_owner)
        .where((OutboxMessage.status == OutboxStatus.SENDING) & OutboxMessage.lease_owner.is_null(False))
        .distinct()
    )
    return [str(row.lease_owner) for row in query]


# Outcomes ---------------------------------------------------------------------------------------


def holds(message: OutboxMessage, agent_id: str) -> peewee.Expression:
    """The condition "``agent_id`` still holds ``message``": every outcome write is guarded by it."""
    return _held(message, agent_id)


def _held(message: OutboxMessage, agent_id: str) -> peewee.Expression:
    return (
        (OutboxMessage.id == message.id)
        & (OutboxMessage.status == OutboxStatus.SENDING)
        & (OutboxMessage.lease_owner == agent_id)
    )


def _update_held(message: OutboxMessage, agent_id: str, values: dict[str, object]) -> int:
    """The held message's ``values`` (by field name) set; 0 when the lease was lost."""
    return int(OutboxMessage.update(values).where(_held(message, agent_id)).execute())


def _transmission(
    message: OutboxMessage,
    status: TransmissionStatus,
    reply: Reply,
    now: datetime,
    channel: Channel = Channel.EMAIL,
) -> None:
    email = channel is Channel.EMAIL
    Transmission.insert(
        invoice=fk_id(message, "invoice"),
        message=message.id,
        channel=channel.value,
        status=status.value,
        reply_code=reply.code,
        provider_id=reply.provider_id or (message.message_id if email else None),
        detail=(reply.text or "")[:1000] or None,
        created_at=now,
    ).execute()


def mark_sent(
    message: OutboxMessage,
    agent_id: str,
    reply: Reply,
    now: datetime | None = None,
    *,
    finished: bool = True,
) -> None:
    """Accepted after DATA: sent (``sent_at``), the personal message dropped. When a step comes after
    the email (``finished=False``: the PIN by SMS), the message stays held, with its link, until
    ``mark_finished``; a retry of that step finds ``sent_at`` set and does not email again."""
    now = now or utcnow()
    values: dict[str, object] = {"sent_at": now, "personal_message": None, "last_error": None}
    if finished:
        values.update(_FINISHED)
    with db.atomic():
        _transmission(message, TransmissionStatus.SENT, reply, now)
        _update_held(message, agent_id, values)
    message.sent_at = now


_FINISHED: dict[str, object] = {
    "status": OutboxStatus.SENT.value,
    "link_token": None,  # the email carries it now; nobody else keeps it
    "lease_owner": None,
    "lease_expires_at": None,
}


def mark_finished(message: OutboxMessage, agent_id: str) -> None:
    """The steps after the email are done too: the message is sent."""
    _update_held(message, agent_id, {**_FINISHED, "last_error": None})


def mark_done(message: OutboxMessage, agent_id: str, now: datetime | None = None) -> None:
    """A task without email (a payment-link task) whose steps all succeeded: its steps' transmissions
    already say what was done, so none is added."""
    now = now or utcnow()
    OutboxMessage.update(
        status=OutboxStatus.SENT.value,
        sent_at=now,
        stripe_request=None,
        lease_owner=None,
        lease_expires_at=None,
        last_error=None,
    ).where(_held(message, agent_id)).execute()


def mark_deferred(
    message: OutboxMessage,
    agent_id: str,
    reply: Reply,
    policy: RetryPolicy,
    now: datetime | None = None,
    *,
    unknown: bool = False,
    channel: Channel = Channel.EMAIL,
    retry_now: bool = False,
) -> OutboxStatus:
    """A transient failure (or an unknown outcome) on ``channel``: retry later, or fail past ``give_up``.
    ``retry_now``: due again at once, not after the backoff (its channel paces it: a throttling reply)."""
    now = now or utcnow()
    # a message that waits for the sending window counts its retries from the window's opening:
    # a weekend or a holiday spent waiting is not time spent trying
    started = window_start(message.created_at) if message.in_window else message.created_at
    if now - started >= policy.give_up:
        gave_up = Reply(reply.code, f"gave up: {reply.text or ''}".strip())
        mark_failed(message, agent_id, gave_up, now, channel=channel)
        return OutboxStatus.FAILED
    with db.atomic():
        status = TransmissionStatus.UNKNOWN if unknown else TransmissionStatus.DEFERRED
        _transmission(message, status, reply, now, channel)
        OutboxMessage.update(
            status=OutboxStatus.PENDING.value,
            next_attempt_at=now if retry_now else now + policy.delay(message.attempts),
            lease_owner=None,
            lease_expires_at=None,
            last_error=_error_text(reply),
        ).where(_held(message, agent_id)).execute()
    return OutboxStatus.PENDING


def mark_failed(
    message: OutboxMessage,
    agent_id: str,
    reply: Reply,
    now: datetime | None = None,
    *,
    channel: Channel = Channel.EMAIL,
) -> None:
    """A permanent failure on ``channel``: failed at once; whoever queued it (else the admins) is told."""
    now = now or utcnow()
    with db.atomic():
        _transmission(message, TransmissionStatus.FAILED, reply, now, channel)
        changed = (
            OutboxMessage.update(
                status=OutboxStatus.FAILED.value,
                link_token=None,  # a resend makes a new link
                lease_owner=None,
                lease_expires_at=None,
                last_error=_error_text(reply),
            )
            .where(_held(message, agent_id))
            .execute()
        )
        if changed:
            notify_delivery_failed(message, _error_text(reply), now)


def mark_link_refused(
    message: OutboxMessage, agent_id: str, reply: Reply, now: datetime | None = None
) -> None:
    """Stripe refused the message's payment link: a failed ``stripe`` transmission, and the message
    goes on as an email without its button (it asks for none again). A refusal Stripe itself gave
    (it has a status) tells the admins, once per reason while unread."""
    now = now or utcnow()
    with db.atomic():
        _transmission(message, TransmissionStatus.FAILED, reply, now, Channel.STRIPE)
        changed = OutboxMessage.update(payment_link=False).where(_held(message, agent_id)).execute()
        if changed and reply.code is not None:
            notify_payment_trouble(_error_text(reply), now)


def mark_skipped(message: OutboxMessage, agent_id: str, reason: str) -> None:
    """The message has nothing left to say when its turn came (a text whose invoice was paid
    meanwhile, a reminder whose patient opted out): ``cancelled`` with the reason, its attempt given
    back, nobody notified."""
    _update_held(
        message,
        agent_id,
        {
            "status": OutboxStatus.CANCELLED.value,
            "attempts": OutboxMessage.attempts - 1,
            "lease_owner": None,
            "lease_expires_at": None,
            "last_error": reason[:1000],
        },
    )


def mark_replaced(
    message: OutboxMessage,
    agent_id: str,
    reason: str,
    reply: Reply | None = None,
    now: datetime | None = None,
) -> None:
    """A newer send of the invoice carries its link: ``replaced``, its link dropped, nobody notified.
    ``reply`` is the portal's refusal when it was asked (a transmission records it); without one the
    message never reached a server and its attempt is given back."""
    now = now or utcnow()
    values: dict[str, object] = {
        "status": OutboxStatus.REPLACED.value,
        "link_token": None,
        "personal_message": None,
        "lease_owner": None,
        "lease_expires_at": None,
        "last_error": reason[:1000],
    }
    if reply is None:
        values["attempts"] = OutboxMessage.attempts - 1
    with db.atomic():
        if _update_held(message, agent_id, values) and reply is not None:
            _transmission(message, TransmissionStatus.REPLACED, reply, now, Channel.PORTAL)


def mark_step(
    message: OutboxMessage,
    agent_id: str,
    channel: Channel,
    status: TransmissionStatus,
    reply: Reply,
    *,
    now: datetime | None = None,
    finish: bool = False,
    **done: Any,
) -> bool:
    """A delivery step succeeded (published, PIN sent, session created): its transmission, and
    ``done`` columns (``published_at=now``…) set on the message, only while the caller holds it;
    ``finish`` (the last step after the email) marks it sent in the same write, as ``mark_finished``.
    False when the lease was lost (rescued meanwhile): nothing is written."""
    now = now or utcnow()
    if finish:
        done = {**done, **_FINISHED, "last_error": None}
    with db.atomic():
        if done:
            changed = _update_held(message, agent_id, done)
        else:
            changed = OutboxMessage.select().where(_held(message, agent_id)).count()
        if not changed:
            return False
        _transmission(message, status, reply, now, channel)
        for name, value in done.items():
            setattr(message, name, value)
    return True


def release(message: OutboxMessage, agent_id: str, reason: str | None = None) -> None:
    """Back to the queue at once with its attempt given back (offline, or claimed but never tried)."""
    values: dict[str, object] = {
        "status": OutboxStatus.PENDING.value,
        "attempts": OutboxMessage.attempts - 1,
        "lease_owner": None,
        "lease_expires_at": None,
    }
    if reason is not None:
        values["last_error"] = reason[:1000]
    OutboxMessage.update(values).where(_held(message, agent_id)).execute()


def emails_sent_since(since: datetime) -> list[datetime]:
    """When each email accepted since ``since`` was (a provider's daily limit counts them)."""
    query = Transmission.select(Transmission.created_at).where(
        (Transmission.channel == Channel.EMAIL)
        & (Transmission.status == TransmissionStatus.SENT)
        & (Transmission.created_at >= since)
    )
    return [row.created_at for row in query]


def _error_text(reply: Reply) -> str:
    """``"550 No such user"``: the code once, where the reply's text does not begin with it already."""
    text = reply.text or ""
    if reply.code and not text.startswith(reply.code):
        text = f"{reply.code} {text}".strip()
    return text[:1000]

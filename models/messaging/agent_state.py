"""What the agent tells the TUI: a heartbeat per running agent, and the outbox's summary.

Each agent upserts its row every poll; the TUI reads :func:`agent_summary` for its
status bar. An agent whose heartbeat is older than ``STALE_AFTER`` counts as stopped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, cast

import peewee

from locales import N_
from models.core.enums import Channel, OutboxStatus, TransmissionStatus
from models.core.errors import FacteurError
from models.database.base import BaseModel, UTCDateTimeField, utcnow

STALE_AFTER = timedelta(seconds=90)
PAYMENT_TROUBLE_WINDOW = timedelta(days=7)  # a refusal older than this is history, not a state


class AgentHeartbeat(BaseModel):
    """One row per agent process (``agent_id`` is host:pid), refreshed every poll."""

    agent_id = peewee.CharField(max_length=100, unique=True)
    hostname = peewee.CharField(max_length=255)
    pid = peewee.IntegerField()
    started_at = UTCDateTimeField(default=utcnow)
    seen_at = UTCDateTimeField(default=utcnow, index=True)
    online = peewee.BooleanField(default=False)  # could it reach its servers at the last try
    last_sync_at = UTCDateTimeField(null=True)  # the last time it drained or pulled while online
    stopped_at = UTCDateTimeField(null=True)  # set on a clean stop
    channels = peewee.CharField(max_length=64, default="")  # what it can use: "email,stripe"
    # why a channel refuses to work until a setting is fixed ("" when none), in the agent's words
    blocked = peewee.TextField(default="")
    pace = peewee.IntegerField(default=0)  # emails a minute it keeps to (0: nothing limits it)
    paused_until = UTCDateTimeField(null=True)  # a provider's daily limit pauses it until then


class AgentState(StrEnum):
    ONLINE = "online"  # an agent runs and reaches its servers
    OFFLINE = "offline"  # an agent runs but the clinic is offline
    BLOCKED = "blocked"  # an agent runs, but a server refuses its configuration: a setting to fix
    PAUSED = "paused"  # an agent runs, waiting for a provider's daily limit to reset
    STOPPED = "stopped"  # no agent has beaten recently


@dataclass(frozen=True)
class AgentSummary:
    state: AgentState
    pending: int  # pending or sending
    failed: int
    last_sync_at: datetime | None
    blocked: str = ""  # BLOCKED: why, in the agent's words
    pace: int = 0  # emails a minute the agent keeps to (0: nothing limits it)
    paused_until: datetime | None = None  # PAUSED: until when
    payments_refused: bool = False  # Stripe refused the latest payment link: the emails go without it


def beat(
    agent_id: str,
    hostname: str,
    pid: int,
    *,
    online: bool,
    synced: bool = False,
    channels: str | None = None,
    blocked: str | None = None,
    pace: int | None = None,
    paused_until: datetime | None = None,
    now: datetime | None = None,
) -> None:
    """Record that ``agent_id`` is alive; ``synced`` when it just talked to its servers;
    ``channels`` (``"email,stripe"``) what it is configured to use; ``blocked`` why a server refuses
    its configuration ("" once it no longer does)."""
    now = now or utcnow()
    values: dict[peewee.Field, object] = {
        AgentHeartbeat.hostname: hostname,
        AgentHeartbeat.pid: pid,
        AgentHeartbeat.seen_at: now,
        AgentHeartbeat.online: online,
        AgentHeartbeat.stopped_at: None,
    }
    if channels is not None:
        values[AgentHeartbeat.channels] = channels
    if blocked is not None:
        values[AgentHeartbeat.blocked] = blocked
    if pace is not None:  # told with the pace: the pause, or None once it is over
        values[AgentHeartbeat.pace] = pace
        values[AgentHeartbeat.paused_until] = paused_until
    if synced:
        values[AgentHeartbeat.last_sync_at] = now
    insert = {AgentHeartbeat.agent_id: agent_id, AgentHeartbeat.started_at: now, **values}
    (
        AgentHeartbeat.insert(insert)
        .on_conflict(conflict_target=[AgentHeartbeat.agent_id], update=values)
        .execute()
    )


def mark_stopped(agent_id: str, now: datetime | None = None) -> None:
    """A clean stop: the TUI shows the agent stopped at once instead of after ``STALE_AFTER``."""
    AgentHeartbeat.update(stopped_at=now or utcnow(), online=False).where(
        AgentHeartbeat.agent_id == agent_id
    ).execute()


class AgentRefused(FacteurError):
    """This agent may not start here (another machine's agent shares a SQLite file)."""


def check_can_join(database: peewee.Database, hostname: str, now: datetime | None = None) -> None:
    """Several agents on one outbox: PostgreSQL, from any machines; SQLite, from this one only.

    On one machine SQLite's locks serialize the claims (``BEGIN IMMEDIATE``), so a second agent
    joins safely. Across machines the file would sit on a network share, where SQLite's locks
    do not hold: an agent seen on another host (within ``STALE_AFTER``) refuses the start.
    """
    if not isinstance(database, peewee.SqliteDatabase):
        return
    now = now or utcnow()
    others = (
        AgentHeartbeat.select()
        .where(
            (AgentHeartbeat.seen_at >= now - STALE_AFTER)
            & AgentHeartbeat.stopped_at.is_null()
            & (AgentHeartbeat.hostname != hostname)
        )
        .order_by(AgentHeartbeat.seen_at.desc())
    )
    other = others.first()
    if other is not None:
        raise AgentRefused(
            N_(
                "an agent on {host} uses this SQLite database (seen {seconds} s ago): SQLite serves "
                "one machine; for agents on several machines use PostgreSQL (see the README)"
            ),
            host=other.hostname,
            seconds=int((now - other.seen_at).total_seconds()),
        )


def agent_channels() -> frozenset[str]:
    """The channels of the agent seen last (running or not): what queued messages will get."""
    latest = AgentHeartbeat.select(AgentHeartbeat.channels).order_by(AgentHeartbeat.seen_at.desc()).first()
    if latest is None:
        return frozenset()
    return frozenset(part for part in latest.channels.split(",") if part)


def _payments_refused(now: datetime) -> bool:
    """Whether Stripe refused the latest payment link it was asked for (this week): the Pay button
    is missing from the emails until one is made again. A refund is not a link (no message)."""
    from models.messaging.tables import Transmission

    latest = (
        Transmission.select(Transmission.status, Transmission.reply_code)
        .where(
            (Transmission.created_at >= now - PAYMENT_TROUBLE_WINDOW)
            & (Transmission.channel == Channel.STRIPE)
            & Transmission.message.is_null(False)
            & Transmission.status.in_([TransmissionStatus.CREATED, TransmissionStatus.FAILED])
        )
        .order_by(Transmission.created_at.desc(), Transmission.id.desc())
        .first()
    )
    return latest is not None and latest.status == TransmissionStatus.FAILED and latest.reply_code is not None


def agent_summary(now: datetime | None = None) -> AgentSummary:
    """The status bar's figures: agent state, pending and failed messages, last sync."""
    from models.messaging.tables import OutboxMessage

    now = now or utcnow()
    live = AgentHeartbeat.select().where(
        (AgentHeartbeat.seen_at >= now - STALE_AFTER) & AgentHeartbeat.stopped_at.is_null()
    )
    if not live.exists():
        state = AgentState.STOPPED
    # online: an agent reaches its servers and nothing refuses its settings; blocked: one is refused
    # (it may be online, trying again, until a message goes through)
    elif live.where((AgentHeartbeat.online == True) & (AgentHeartbeat.blocked == "")).exists():  # noqa: E712
        state = AgentState.ONLINE
    else:
        state = AgentState.OFFLINE
    blocked, paused_until = "", None
    if state is AgentState.OFFLINE:
        refused = live.where(AgentHeartbeat.blocked != "").order_by(AgentHeartbeat.seen_at.desc()).first()
        paused = live.where(AgentHeartbeat.paused_until > now).order_by(AgentHeartbeat.paused_until).first()
        if refused is not None:
            state, blocked = AgentState.BLOCKED, refused.blocked
        elif paused is not None:
            state, paused_until = AgentState.PAUSED, paused.paused_until
    # several agents share the queue: their paces add up, unless one goes as fast as it can
    paces = [row.pace for row in live.select(AgentHeartbeat.pace)]
    pace = 0 if not paces or 0 in paces else sum(paces)
    counted = (
        OutboxMessage.select(OutboxMessage.status, peewee.fn.COUNT(OutboxMessage.id).alias("count"))
        .where(OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.FAILED]))
        .group_by(OutboxMessage.status)
        .dicts()
    )
    rows = cast("list[dict[str, Any]]", list(counted))  # the stubs type .dicts() rows as models
    counts: dict[str, int] = {row["status"]: row["count"] for row in rows}
    latest = AgentHeartbeat.select(AgentHeartbeat.last_sync_at).order_by(
        AgentHeartbeat.last_sync_at.desc(nulls="LAST")
    )
    last_sync = next((row.last_sync_at for row in latest.limit(1)), None)
    return AgentSummary(
        payments_refused=_payments_refused(now),
        state=state,
        pending=counts.get(OutboxStatus.PENDING, 0) + counts.get(OutboxStatus.SENDING, 0),
        failed=counts.get(OutboxStatus.FAILED, 0),
        last_sync_at=last_sync,
        blocked=blocked,
        pace=pace,
        paused_until=paused_until,
    )

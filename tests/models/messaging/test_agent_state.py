"""The status bar's summary: agent state from heartbeats, outbox counts, last sync."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import peewee

from models.messaging.agent_state import STALE_AFTER, AgentState, agent_summary, beat, mark_stopped

NOW = datetime(2026, 11, 22, 15, 0, tzinfo=UTC)


def test_no_agent_is_stopped(database: peewee.Database) -> None:
    summary = agent_summary(NOW)
    assert (summary.state, summary.pending, summary.failed, summary.last_sync_at) == (
        AgentState.STOPPED,
        0,
        0,
        None,
    )


def test_heartbeat_states(database: peewee.Database) -> None:
    beat("host:1", "host", 1, online=False, now=NOW)
    assert agent_summary(NOW).state is AgentState.OFFLINE
    beat("host:1", "host", 1, online=True, synced=True, now=NOW)
    summary = agent_summary(NOW + timedelta(seconds=5))
    assert summary.state is AgentState.ONLINE
    assert summary.last_sync_at == NOW
    beat("host:1", "host", 1, online=False, now=NOW + timedelta(seconds=10))
    assert agent_summary(NOW + timedelta(seconds=10)).last_sync_at == NOW  # kept while offline
    assert agent_summary(NOW + timedelta(seconds=10) + STALE_AFTER * 2).state is AgentState.STOPPED
    mark_stopped("host:1", NOW + timedelta(seconds=11))
    assert agent_summary(NOW + timedelta(seconds=12)).state is AgentState.STOPPED

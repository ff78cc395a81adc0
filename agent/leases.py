"""Keeping this agent's leases alive, and giving back the leases of agents that died.

Several agents can drain one outbox (PostgreSQL, or SQLite on one machine). Each one:

- renews the leases of the messages it still works on (claimed, not yet finished) every
  third of ``lease_seconds`` (and at least every ``BEAT_SECONDS``), so a message waiting its
  turn in a live agent never expires; a message it is done with but whose outcome could not
  be written (the database failed just then) is no longer renewed, so its lease runs out and
  it is rescued, as after a crash;
- every ``RESCUE_SECONDS`` (or every ``lease_seconds`` when shorter) returns to the queue
  the messages whose lease ran out: their agent was killed, lost power or its host, and
  stopped renewing. Another agent then sends them; only the ones that agent had in flight
  can arrive twice;
- beats its heartbeat (the TUI's status bar) on the same clock.

``due()`` is a cheap check for the event loop; ``tick()`` does the database work, on the
agent's database thread.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from models.messaging import agent_state, outbox

RESCUE_SECONDS = 10.0  # how often to look for expired leases of agents that died elsewhere
BEAT_SECONDS = 5.0  # heartbeat and lease renewal at most this far apart


class LeaseKeeper:
    """The heartbeat, lease renewal and rescue schedule of one agent."""

    def __init__(self, agent_id: str, hostname: str, pid: int, lease_seconds: float) -> None:
        self.agent_id = agent_id
        self.hostname = hostname
        self.pid = pid
        self.lease_seconds = lease_seconds
        self.renew_every = min(BEAT_SECONDS, lease_seconds / 3)
        self.rescue_every = min(RESCUE_SECONDS, lease_seconds)
        self._renewed = self._rescued = float("-inf")
        self.rescued = 0  # messages this agent returned to the queue
        self._held: set[int] = set()  # claimed and not finished: the leases to renew
        self._lock = threading.Lock()  # claims add on the database thread, the event loop removes

    def hold(self, ids: Iterable[int]) -> None:
        with self._lock:
            self._held.update(ids)

    def done(self, message_id: int) -> None:
        with self._lock:
            self._held.discard(message_id)

    def done_callback(self, message_id: int) -> Callable[[Any], None]:
        """For ``task.add_done_callback``: the task delivering ``message_id`` has finished."""
        return lambda _task: self.done(message_id)

    def due(self, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        return now - self._renewed >= self.renew_every or now - self._rescued >= self.rescue_every

    def tick(
        self,
        *,
        online: bool,
        blocked: str = "",
        pace: int = 0,
        paused_until: datetime | None = None,
        force: bool = False,
        log_rescued: Callable[[int], None] | None = None,
    ) -> None:
        """Beat and renew when due (or ``force``d), rescue when due; a database call each. ``blocked``:
        why a server refuses the agent's configuration ("" when none does); ``pace`` the emails a
        minute it keeps to, ``paused_until`` when a daily limit lets it send again."""
        now = time.monotonic()
        if force or now - self._renewed >= self.renew_every:
            self._renewed = now
            agent_state.beat(
                self.agent_id,
                self.hostname,
                self.pid,
                online=online,
                synced=online,
                blocked=blocked,
                pace=pace,
                paused_until=paused_until,
            )
            with self._lock:
                held = list(self._held)
            renewed = set(outbox.renew_leases(self.agent_id, self.lease_seconds, held))
            with self._lock:  # released to the queue meanwhile (offline, stopping): nothing to renew
                self._held.difference_update(set(held) - renewed)
        if now - self._rescued >= self.rescue_every:
            self._rescued = now
            count = outbox.rescue()
            self.rescued += count
            if count and log_rescued is not None:
                log_rescued(count)

"""``Pace``: how fast a channel may send, as one, whatever the number of messages in the works.

Providers limit senders (Microsoft 365: 30 messages a minute and 10,000 recipients a day per
mailbox; Google Workspace answers 421 4.7.x past its rate). A channel paced at ``per_minute``
starts its sends evenly spaced, one every ``minute / per_minute`` seconds, and never more than
``per_day`` in any 24 hours; the day's sends are read from the database when the agent starts.

A throttling reply (``slow_down``) pauses the whole channel, not the message that met it: no send
starts for a minute (doubling while the server keeps refusing, at most ``MAX_PAUSE_MINUTES``), and
from then on the channel goes no faster than the server took during the minute before the first
refusal, a little under it (and a little slower at each refusal after that): the refusals of a
drain are about those in flight when the first came. A success resets the doubling, never the
learned pace, which lasts as long as the agent runs: a server that throttled once will again.

``minute`` is the length of a minute in seconds: 60, except in tests that scale time down.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Iterable
from datetime import datetime

DAY_MINUTES = 24 * 60
MAX_PAUSE_MINUTES = 15
LEARNED_SHARE = 0.9  # of what the server took in the minute before it refused: a margin under it
# the sends are spaced a little wider than the pace: a provider counting the same minute with its
# own clock, from when each command reaches it, never sees one too many
SPACING_MARGIN = 1.02


class Pace:
    """See the module's docstring; ``clock`` is monotonic seconds."""

    def __init__(
        self,
        per_minute: int = 0,
        per_day: int = 0,
        *,
        minute: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.configured = max(per_minute, 0)
        self.per_day = max(per_day, 0)
        self.minute = minute
        self.learned = 0.0  # per minute, from a throttling reply; 0 until one came
        self._clock = clock
        self._next_start = 0.0  # the earliest time the next send may start
        self._paused_until = 0.0
        self._pauses = 0  # throttling replies in a row, for the doubling
        # the starts of the last 24 hours (per_day), oldest first
        self._starts: deque[float] = deque()
        self._accepted: deque[float] = deque()  # the sends the server took in the last minute
        self._lock = asyncio.Lock()

    def remember(self, sent: Iterable[datetime], now: datetime) -> None:
        """The emails the channel sent before this agent started (their UTC times), for ``per_day``."""
        mono = self._clock()
        earlier = [mono - (now - at).total_seconds() * self.minute / 60 for at in sent]
        self._starts = deque(sorted([*earlier, *self._starts]))

    @property
    def per_minute(self) -> float:
        """The pace the channel keeps now, per minute; 0 when nothing limits it."""
        rates = [rate for rate in (self.configured, self.learned) if rate > 0]
        return min(rates) if rates else 0.0

    @property
    def paused_for(self) -> float:
        """Seconds until the channel may send again after a throttling reply (0: not paused)."""
        return max(0.0, self._paused_until - self._clock())

    async def turn(self) -> float:
        """Wait for this send's turn (the turns are taken one at a time, in order of arrival): 0.
        When ``per_day`` is reached, no turn: the seconds until the day allows one (the agent
        pauses the channel rather than keep a message waiting for hours)."""
        async with self._lock:
            full = self.day_full_for()
            if full > 0:
                return full
            while (wait := max(self._next_start, self._paused_until) - self._clock()) > 0:
                await asyncio.sleep(wait)
            now = self._clock()
            rate = self.per_minute
            self._next_start = now + (self.minute / rate * SPACING_MARGIN if rate else 0.0)
            self._starts.append(now)
            self._forget(now)
            return 0.0

    def day_full_for(self) -> float:
        """Seconds until ``per_day`` allows one more send (0: it does now): the oldest of the day's
        sends must be a day old first."""
        if not self.per_day or len(self._starts) < self.per_day:
            return 0.0
        now = self._clock()
        self._forget(now)
        if len(self._starts) < self.per_day:
            return 0.0
        return max(0.0, self._starts[-self.per_day] + DAY_MINUTES * self.minute - now)

    def _forget(self, now: float) -> None:
        horizon = now - (DAY_MINUTES * self.minute if self.per_day else self.minute)
        while self._starts and self._starts[0] <= horizon:
            self._starts.popleft()

    def accepted(self) -> None:
        """A send went through: the next throttling reply pauses for a minute again."""
        self._pauses = 0
        now = self._clock()
        self._accepted.append(now)
        while self._accepted and self._accepted[0] <= now - self.minute:
            self._accepted.popleft()

    def slow_down(self) -> float | None:
        """The server said to slow down: pause the channel, and keep under what it took. The pause
        in seconds; None for a reply that came while paused already (a send that was in flight)."""
        now = self._clock()
        if now < self._paused_until:
            return None
        taken = sum(1 for at in self._accepted if at > now - self.minute)
        if self.learned:  # refused at the learned pace: slower still
            self.learned = max(1.0, self.learned * LEARNED_SHARE)
        elif taken:  # the first refusal: just under what the server took in the last minute
            self.learned = max(1.0, taken * LEARNED_SHARE)
        pause = self.minute * min(2**self._pauses, MAX_PAUSE_MINUTES)
        self._pauses += 1
        self._paused_until = now + pause
        return pause

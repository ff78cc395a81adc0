"""The "scheduler" sync job: every ~30 seconds while online, queue the scheduled messages now due.

It runs ``models.workflow.reminders.run_due`` on the agent's database thread with the agent's clock;
the rules (late policy, one reminder per invoice per day, paid/void/opted-out skips) live there.
A message it queues goes out with the rest of the outbox, usually within the same poll.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from agent.steps import DbRunner
from locales import N_, translator
from models.database.base import utcnow
from models.workflow.reminders import RunReport, run_due

log = logging.getLogger("facteur.agent")


class SchedulerJob:
    """Queues due scheduled messages; ``late_days`` is ``[reminders] late_days``."""

    name = "scheduler"

    def __init__(
        self,
        late_days: float,
        *,
        interval_seconds: float = 30.0,
        clock: Callable[[], datetime] = utcnow,
        log_language: str | None = None,
    ) -> None:
        self.late_days = late_days
        self.interval_seconds = interval_seconds
        self.clock = clock
        self._tr = translator(log_language)
        self.last: RunReport | None = None

    async def run(self, db: DbRunner) -> None:
        report = await db(run_due, self.clock(), late_days=self.late_days)
        self.last = report
        if report.enqueued or report.skipped or report.postponed:
            log.info(
                self._tr.format(
                    N_(
                        "scheduler: {enqueued} queued, {skipped} skipped, "
                        "{postponed} postponed (to the next day, or past a pause)"
                    ),
                    enqueued=report.enqueued,
                    skipped=report.skipped,
                    postponed=report.postponed,
                )
            )

    async def close(self) -> None:
        return None

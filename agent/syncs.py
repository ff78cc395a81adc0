"""The sync jobs' turns: each job started when its interval is up, never two runs of one at a time."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence

from agent.errors import OfflineError, ThrottledError
from agent.steps import DbRunner, SyncJob
from locales import N_, Translator


class SyncJobs:
    """Runs the agent's sync jobs (``agent.steps.SyncJob``) on the agent's database runner ``db``;
    a job's failure is logged through ``log`` and the job waits for its next turn."""

    def __init__(
        self, jobs: Sequence[SyncJob], db: DbRunner, tr: Translator, log: Callable[..., None]
    ) -> None:
        self.jobs = tuple(jobs)
        self._db = db
        self._tr = tr
        self._log = log
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._next: dict[str, float] = {}

    def start_due(self) -> None:
        """Start each sync job whose turn came and that is not still running."""
        now = time.monotonic()
        for job in self.jobs:
            running = self._tasks.get(job.name)
            if (running is None or running.done()) and now >= self._next.get(job.name, 0.0):
                self._next[job.name] = now + job.interval_seconds
                self._tasks[job.name] = asyncio.create_task(self._sync(job))

    async def wait(self) -> None:
        """Until the jobs being pulled finish."""
        if self._tasks:
            await asyncio.wait(self._tasks.values())

    async def run_all_once(self) -> None:
        """``--once``: every feed pulled once more before exiting, after what was running ends."""
        await self.wait()
        for job in self.jobs:
            await self._sync(job)

    async def close(self) -> None:
        for job in self.jobs:
            await job.close()

    async def _sync(self, job: SyncJob) -> None:
        try:
            await job.run(self._db)
        except OfflineError as exc:
            self._log(
                logging.INFO, N_("{job}: not reachable: {reason}"), job=job.name, reason=exc.render(self._tr)
            )
        except ThrottledError as exc:  # the server's rate limit: its next turn is soon enough
            self._log(
                logging.INFO,
                N_("{job}: the server asks to slow down; next turn: {reason}"),
                job=job.name,
                reason=exc.render(self._tr),
            )
        except Exception:
            self._log(logging.ERROR, N_("{job}: unexpected error"), job=job.name, exc=True)

"""The agent's group commit: the writes of the messages in flight, committed together."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

from agent.steps import DbRunner
from models.database.db import db

T = TypeVar("T")


class GroupWriter:
    """Batches the writes (and the steps' reads) that arrive while a commit is under way, and runs
    them on the agent's database thread (``run_db``) as one transaction: one fsync for several messages
    instead of one each."""

    def __init__(self, run_db: DbRunner) -> None:
        self._db = run_db
        self._flusher: asyncio.Task[None] | None = None
        self._writes: list[tuple[Callable[[], Any], asyncio.Future[Any]]] = []
        self._flushing = False

    async def record(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """A write (or a step's read), committed together with the others that arrive meanwhile
        (group commit). It returns once committed, so a step's record is durable before its next
        side effect."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._writes.append((functools.partial(function, *args, **kwargs), future))
        if not self._flushing:
            self._flushing = True
            self._flusher = asyncio.ensure_future(self.flush())
        return cast("T", await future)

    async def flush(self) -> None:
        """Commit what is waiting, batch after batch until nothing is; each write's future gets its
        result, or its error."""
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

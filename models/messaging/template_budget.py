"""Staff-edited templates rendered on a budget: in a child process with a time, memory and output
limit, for the editor's preview, the save check and the agent alike.

The sandbox (``template_render``) refuses what a template may not touch, but it cannot stop a
template that loops for hours or builds a gigabyte: a render running in a thread cannot be
stopped. So each render runs in a helper process of this one (spawned once, reused), whose address
space is capped (``RLIMIT_AS``) and which is killed when a render outlasts its time; a new helper
starts with the next render. Over budget, the render raises ``TemplateProblem`` naming the part
(the editor refuses the template; the agent fails that one message) and the caller goes on.

A render costs a round trip to the helper (well under a millisecond for a message's context) and
the first one its start (a Python interpreter importing Jinja2: a fraction of a second), which is
not counted in the render's time: a loaded machine never refuses a template for its helper's start.
"""

from __future__ import annotations

import contextlib
import importlib
import multiprocessing
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, TypeVar

from locales import N_
from models.core.errors import ValidationError

T = TypeVar("T")

TIME_SECONDS = 2.0
MEMORY_MB = 256
# A helper's start (an interpreter importing Jinja2 and the renderer) is not the template's time: it
# says it is ready before a render's clock starts, within this (a machine too loaded even for that).
STARTUP_SECONDS = 60.0
WARM_MODULES = ("models.messaging.template_render",)


@dataclass(frozen=True)
class Budget:
    """What one render may spend: wall-clock seconds, and the helper's address space in MB."""

    seconds: float = TIME_SECONDS
    memory_mb: int = MEMORY_MB


class OverBudget(ValidationError):
    """A template that took too long or too much memory; ``field`` names the part, if known."""


class RenderInterrupted(Exception):
    """The render was stopped from outside (the agent is stopping): nothing is wrong with the
    template; the message goes back to the queue."""


class _Helper:
    """One helper process and the pipe to it."""

    def __init__(self, budget: Budget) -> None:
        context = multiprocessing.get_context("spawn")  # never fork a process with threads
        self.connection, theirs = context.Pipe()
        self.process: BaseProcess = context.Process(
            target=_serve, args=(theirs, budget.memory_mb), name="facteur-templates", daemon=True
        )
        with _real_stderr():
            self.process.start()
        theirs.close()
        self._ready = False

    def wait_ready(self) -> None:
        """Wait for the helper's "ready" (what it imports at its start is not a render's time);
        ``EOFError`` when it was stopped meanwhile, ``OSError`` when it never starts."""
        if self._ready:
            return
        if not self.connection.poll(STARTUP_SECONDS):
            raise OSError("the templates' helper did not start")
        self.connection.recv()
        self._ready = True

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.connection.close()
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5)


@contextlib.contextmanager
def _real_stderr() -> Iterator[None]:
    """A full-screen app (Textual) replaces ``sys.stderr`` with an object whose descriptor is -1,
    which multiprocessing hands on to the helper it starts, and fails: the real one meanwhile."""
    current = sys.stderr
    try:
        usable = current is not None and current.fileno() >= 0
    except (AttributeError, OSError, ValueError):
        usable = False
    if not usable:
        sys.stderr = sys.__stderr__
    try:
        yield
    finally:
        sys.stderr = current


class TemplateBudget:
    """Runs ``call(function, *args)`` in the helper, within ``budget``; thread-safe (one render at
    a time: they are short)."""

    def __init__(self, budget: Budget | None = None) -> None:
        self.budget = budget or Budget()
        self._lock = threading.Lock()
        self._helper: _Helper | None = None
        self._running: _Helper | None = None  # the helper a call waits on now
        self._interrupted = False

    def call(self, function: Callable[..., T], *args: Any, part: str = "", **kwargs: Any) -> T:
        """``function(*args, **kwargs)`` run by the helper (a module-level function: it is sent by
        name); what it raises is raised here. ``part`` names the template part in a refusal."""
        with self._lock:
            if self._interrupted:
                raise RenderInterrupted()
            helper = self._helper or _Helper(self.budget)
            self._helper = self._running = helper  # from here on, a stop kills it, started or not
            try:
                helper.wait_ready()
                helper.connection.send((function, args, kwargs))
                if not helper.connection.poll(self.budget.seconds):
                    raise OverBudget(
                        part,
                        N_("{part}: the template takes too long to render (over {seconds} s)"),
                        seconds=f"{self.budget.seconds:g}",
                    )
                ok, value = helper.connection.recv()
            except (OverBudget, EOFError, OSError) as exc:
                helper.stop()
                self._helper = None
                if self._interrupted:
                    raise RenderInterrupted() from None
                if isinstance(exc, OverBudget):
                    raise
                raise self._out_of_memory(part) from None  # the helper died under the render
            finally:
                self._running = None
        if not ok:
            raise self._out_of_memory(part) if isinstance(value, MemoryError) else value
        return value

    def _out_of_memory(self, part: str) -> OverBudget:
        return OverBudget(
            part,
            N_("{part}: the template needs too much memory to render (over {memory} MB)"),
            memory=self.budget.memory_mb,
        )

    def interrupt(self) -> None:
        """Stop the render under way now, if any (``RenderInterrupted`` in its caller), and refuse
        the renders after it until ``resume``: the process is stopping. Safe from any thread."""
        self._interrupted = True
        running = self._running
        if running is not None and running.process.is_alive():
            running.process.kill()

    def resume(self) -> None:
        """Renders are taken again (an agent starts a run in a process that stopped one before)."""
        self._interrupted = False

    def close(self) -> None:
        with self._lock:
            if self._helper is not None:
                self._helper.stop()
                self._helper = None


def _serve(connection: Connection, memory_mb: int) -> None:
    """In the helper: cap the address space, then run what comes until the pipe closes."""
    import resource

    limit = memory_mb * 1024 * 1024
    with contextlib.suppress(ValueError, OSError):  # a lower hard limit already: keep it
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    for module in WARM_MODULES:
        importlib.import_module(module)
    connection.send(("ready", None))
    while True:
        try:
            function, args, kwargs = connection.recv()
        except (EOFError, OSError):
            return
        try:
            result: tuple[bool, Any] = (True, function(*args, **kwargs))
        except MemoryError:
            result = (False, MemoryError())
        except Exception as exc:  # the template's own error, raised again in the caller
            result = (False, exc)
        try:
            connection.send(result)
        except (EOFError, OSError):
            return


_shared: dict[str, TemplateBudget] = {}  # this process's, under the key "budget"
_shared_lock = threading.Lock()


def shared_budget() -> TemplateBudget:
    """This process's helper (the TUI's, the agent's, the CLI's), started with its first render."""
    with _shared_lock:
        return _shared.setdefault("budget", TemplateBudget())


def configure_budget(budget: Budget) -> None:
    """Set this process's budget (the agent and the TUI read it from the configuration)."""
    with _shared_lock:
        previous = _shared.pop("budget", None)
        if previous is not None:
            previous.close()
        _shared["budget"] = TemplateBudget(budget)

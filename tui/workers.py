"""Database work off the UI thread: each worker thread gets its own connection, closed after.

peewee keeps one connection per thread; a thread worker opens it on entry and closes it
on exit, so finished workers leave no connection behind. Errors the person should read
become text for a notification (``error_text``), never a traceback on the screen.
``run_db`` puts the two together for a screen's worker.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import peewee
from textual.widget import Widget

from locales import N_, Translator
from models.core.errors import FacteurError
from models.database.db import db

T = TypeVar("T")

# What a worker catches and turns into a notification.
DB_ERRORS: tuple[type[BaseException], ...] = (FacteurError, peewee.PeeweeException)


@contextmanager
def database_thread() -> Iterator[None]:
    """This thread's own connection for the duration of the block."""
    opened = db.is_closed()
    if opened:
        db.connect()
    try:
        yield
    finally:
        if opened and not db.is_closed():
            db.close()


def error_text(exc: BaseException, tr: Translator) -> str:
    """A refused action or database failure in the reader's language."""
    if isinstance(exc, FacteurError):
        return exc.render(tr)
    if isinstance(exc, peewee.OperationalError) and "locked" in str(exc):
        return tr.gettext(N_("the database stayed busy too long; please try again"))
    return tr.format(N_("database error: {reason}"), reason=str(exc))


def run_db(
    node: Widget,
    call: Callable[[], T],
    done: Callable[[T], object] | None = None,
    *,
    tr: Translator,
    failed: Callable[[BaseException], object] | None = None,
) -> T | None:
    """Run a database call from a thread worker and come back to the UI with its outcome.

    ``call()`` runs here, in the worker thread, with its own connection. Then, on the UI
    thread, ``done(result)``; or, if it raised one of ``DB_ERRORS``, ``failed(exc)``, by
    default an error notification on ``node`` in ``tr``'s language. Returns the result, or
    None when it failed, for a worker with more to do (a cancellation check, a message).
    """
    try:
        with database_thread():
            result = call()
    except DB_ERRORS as exc:
        if failed is not None:
            node.app.call_from_thread(failed, exc)
        else:
            node.app.call_from_thread(node.notify, error_text(exc, tr), severity="error")
        return None
    if done is not None:
        node.app.call_from_thread(done, result)
    return result

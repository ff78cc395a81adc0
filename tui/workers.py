"""Database work off the UI thread: each worker thread gets its own connection, closed after.

peewee keeps one connection per thread; a thread worker opens it on entry and closes it
on exit, so finished workers leave no connection behind. Errors the person should read
become text for a notification (``error_text``), never a traceback on the screen.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import peewee

from locales import N_, Translator
from models.core.errors import FacteurError
from models.database.db import db

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

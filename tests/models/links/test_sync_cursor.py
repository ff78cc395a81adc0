"""Feed cursors: read where the last pull stopped, move only with what was applied."""

from __future__ import annotations

import peewee
import pytest

from models.database.db import db
from models.links.sync_cursor import SyncCursor, read_cursor, write_cursor
from models.people.clinic import Clinic


@pytest.mark.usefixtures("database")
def test_a_cursor_starts_at_its_default_and_moves() -> None:
    assert read_cursor("portal:events", "0") == "0"
    write_cursor("portal:events", "17")
    write_cursor("portal:events", "42")
    write_cursor("stripe:acct_1", "evt_9")
    assert read_cursor("portal:events") == "42" and read_cursor("stripe:acct_1") == "evt_9"
    assert SyncCursor.select().count() == 2


@pytest.mark.usefixtures("database")
def test_a_cursor_moved_in_a_rolled_back_transaction_stays_put() -> None:
    write_cursor("portal:events", "5")
    with pytest.raises(RuntimeError), db.atomic():
        write_cursor("portal:events", "9")
        raise RuntimeError("the apply failed")
    assert read_cursor("portal:events") == "5"


@pytest.mark.usefixtures("setup")
def test_link_days_outside_one_to_thirty_are_refused_by_the_database() -> None:
    clinic = Clinic.get()
    assert (clinic.link_days, clinic.default_pin_mode) == (14, "sms")
    for days in (0, 31):
        with pytest.raises(peewee.IntegrityError), db.atomic():
            Clinic.update(link_days=days).execute()

"""Making a statement of account as the product does: its snapshot, and its Pay page, so the QR code
its PDF prints and the Pay button its email may carry lead to one page from the start."""

from __future__ import annotations

from datetime import datetime

from models.billing.statements import Account, Statement, make_statement
from models.database.db import db
from models.links.statement_doors import open_statement_door
from models.people.clinic import Staff


def new_statement(account: Account, *, staff: Staff | None = None, now: datetime | None = None) -> Statement:
    """A statement of ``account`` as it stands now, with its Pay page (refused when nothing is owed)."""
    with db.atomic():
        statement = make_statement(account, staff=staff, now=now)
        open_statement_door(statement.id)
    return statement

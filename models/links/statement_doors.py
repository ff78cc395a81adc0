"""A statement of account's Pay page: one button for what its invoices owe in all.

It is a door like an invoice's (``models.links.pay_doors``: the portal holds its state, makes the
Checkout Session for its amount and signs it with the door's key), made when the statement is sent
with a Pay button. Its amount is what the statement's invoices owe now (a payment at the desk since
lowers it), its number the statement's reference; a session paid through it is applied to the
invoices oldest first (``models.workflow.reconcile``).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

import peewee

from models.billing.statements import Statement, due_now, items_of
from models.database.base import BaseModel, UTCDateTimeField, fk_id, utcnow
from models.database.db import db
from models.links.checkout import DOOR_KEY, INVOICE_KEY, DoorKind, DoorStatus, signature_holds
from models.links.pay_doors import (
    WATCHED_FOR,
    DoorRecord,
    DoorState,
    doors_to_push,
    known_states,
    new_door_keys,
    next_version,
    pay_expiry,
    pushed,
    reserve,
)
from models.links.tables import PayDoor


class StatementDoor(BaseModel):
    """The Pay page of one statement of account (``/pay/<token>``), as ``PayDoor`` is an invoice's."""

    statement = peewee.ForeignKeyField(Statement, unique=True, backref="+", on_delete="CASCADE")
    token = peewee.CharField(max_length=64)
    token_hash = peewee.CharField(max_length=64, unique=True)
    tag = peewee.CharField(max_length=32, unique=True)
    sign_key = peewee.CharField(max_length=64)
    version = peewee.IntegerField(default=0)
    pushed_state = peewee.TextField(default="")
    created_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "statement_door"


def open_statement_door(statement_id: int) -> DoorRecord:
    """The statement's Pay page, made the first time it is asked for."""
    with db.atomic():
        door = StatementDoor.get_or_none(StatementDoor.statement == statement_id)
        if door is None:
            door = StatementDoor.create(statement=statement_id, **new_door_keys())
        return DoorRecord(door.id, door.token, door.token_hash, door.tag)


def statement_paper_token(statement_id: int) -> str | None:
    """The token of the statement's Pay page, for the QR code its PDF prints; None without one (only
    read here: making the statement opens it, ``models.workflow.statement_making``)."""
    door = StatementDoor.get_or_none(StatementDoor.statement == statement_id)
    return str(door.token) if door is not None else None


def company_name(statement_id: int) -> str:
    return str(Statement.get_by_id(statement_id).billing_company.name)


def statement_door_state(door: StatementDoor, statement: Statement) -> DoorState:
    """What the portal is told: what the statement's invoices owe now, open while they owe some."""
    known = known_states([item.invoice.id for item in items_of(statement)])
    owing = due_now(statement)
    pending = any(item.invoice.id in known.pending for item in items_of(statement))
    if owing <= 0:
        status = DoorStatus.PAID
    elif pending:
        status = DoorStatus.PENDING
    else:
        status = DoorStatus.OPEN
    return DoorState(
        token_hash=door.token_hash,
        tag=door.tag,
        sign_key=door.sign_key,
        account=known.accounts.get(fk_id(statement, "billing_company"), ""),
        currency=statement.currency,
        amount_cents=max(owing, 0),
        status=status.value,
        language=str(statement.patient.language or known.default_language),
        number=statement.reference,
        clinic=known.clinic,
        expires_at=pay_expiry(statement.issue_date, known.clinic["timezone"]).isoformat(),
        version=door.version,
        kind=DoorKind.STATEMENT.value,
    )


def statement_state_of(door_id: int) -> DoorState:
    """The statement door's state now, under its next version when it changed since last pushed."""
    door = StatementDoor.get_by_id(door_id)
    state = statement_door_state(door, Statement.get_by_id(fk_id(door, "statement")))
    return next_version(door, state)


def every_door_to_push(
    now: datetime | None = None, limit: int = 200, changed_since: datetime | None = None
) -> list[DoorState]:
    """The invoices' doors (those that can have changed since ``changed_since``, when given: see
    ``pay_doors.doors_to_push``) and the statements' whose state changed since last pushed."""
    changed = doors_to_push(now, limit, changed_since)
    since = (now or utcnow()) - WATCHED_FOR
    watched = (StatementDoor.created_at >= since) | StatementDoor.pushed_state.contains('"status": "open"')
    watched |= StatementDoor.pushed_state.contains('"status": "pending"')
    for door in StatementDoor.select().where(watched).order_by(StatementDoor.id):
        if len(changed) >= limit:
            break
        state = statement_door_state(door, Statement.get_by_id(fk_id(door, "statement")))
        if state.fingerprint() != door.pushed_state:
            changed.append(state)  # its version is taken when it is pushed (``reserve_any``)
    return changed


def reserve_any(state: DoorState) -> DoorState:
    """``state`` under its door's next version, an invoice's door or a statement's (``pay_doors.reserve``)."""
    door = StatementDoor.get_or_none(StatementDoor.token_hash == state.token_hash)
    if door is None:
        return reserve(state)
    return next_version(door, replace(state, version=door.version))


def pushed_any(state: DoorState, kept: int) -> None:
    """The portal holds ``kept`` of the door ``state`` is of, an invoice's or a statement's."""
    statement = StatementDoor.select().where(StatementDoor.token_hash == state.token_hash).exists()
    pushed(state, kept, StatementDoor if statement else PayDoor)


def door_statement(metadata: dict[str, Any]) -> Statement | None:
    """The statement of a session the portal made for its Pay page (the door's signature holds)."""
    tag = metadata.get(DOOR_KEY)
    door = StatementDoor.get_or_none(StatementDoor.tag == str(tag)) if tag else None
    if door is None or not signature_holds(door.sign_key, metadata):
        return None
    statement = Statement.get_by_id(fk_id(door, "statement"))
    return statement if statement.reference == str(metadata.get(INVOICE_KEY)) else None

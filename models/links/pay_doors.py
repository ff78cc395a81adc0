"""An invoice's Pay page on the portal (its "door"), what the portal is told of it, and the
sessions the portal makes for it.

Every billed invoice has one from its billing: its PDF prints the page's QR code, and every email of
it with a payment link carries the same button, ``<portal>/pay/<token>``. The portal holds the
door's state: the balance, its currency and account, whether it is open, paid, void (or credited)
or closed, and when it expires (a year after the issue date: past it the portal says "expired" by
itself, ``pay_expiry``). The agent pushes the state whenever it changes (``doors_to_push``: each
change is a new ``version``), with the open session it knows for that balance. The portal
sends the patient to that session, or makes a fresh one for the balance when the last has
expired, keyed by (door, version, generation) so a double click never makes two; each carries
the door's tag and a signature by the door's key, which is how the agent knows the sessions
the portal made are Facteur's (``models.workflow.reconcile``). They reach the agent as the
portal's feed too (``record_portal_session``).

What remains: a payment made at the desk while the clinic is offline is unknown to the portal
until the agent is back; a patient who pays online meanwhile pays twice, and the overpayment is
handled like any other (admins told, a refund offered).
"""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.relativedelta import relativedelta

from models.billing.invoice import Invoice
from models.core.enums import InvoiceStatus, PaymentLinkStatus
from models.database.base import fk_id, utcnow
from models.database.db import db
from models.links.checkout import DOOR_KEY, INVOICE_KEY, DoorStatus, signature_holds
from models.links.sync_cursor import write_cursor
from models.links.tables import PayDoor, PaymentLink
from models.messaging.secure_link import token_hash
from models.people.clinic import BillingCompany, get_clinic
from models.people.patient import Patient

# doors of invoices older than this are no longer watched for changes (their Pay page keeps its last state)
WATCHED_FOR = timedelta(days=120)
FRESH_SESSION = timedelta(minutes=10)  # a session offered to the portal must stay open at least this long


@dataclass(frozen=True)
class OfferedSession:
    """An open Checkout Session for the door's balance, which the portal sends the patient to."""

    id: str
    url: str
    amount_cents: int
    expires_at: str  # ISO 8601, UTC


@dataclass(frozen=True)
class DoorState:
    """What the portal is told of one door; ``version`` grows with each change."""

    token_hash: str
    tag: str
    sign_key: str = field(repr=False)
    account: str
    currency: str
    amount_cents: int
    status: str
    number: str
    language: str
    clinic: dict[str, str]  # name, phone, email, timezone, country: the Pay page's "contact the clinic"
    expires_at: str  # ISO 8601, UTC: a year after the issue date the page says "expired" (``pay_expiry``)
    version: int
    session: OfferedSession | None = None  # added to a state that is pushed (``_offered``)
    kind: str = "invoice"  # a statement of account's page says so (``models.links.statement_doors``)

    def body(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("token_hash")
        return data

    def fingerprint(self) -> str:
        """The state without its version and session: a change to it is a new version."""
        data = self.body()
        data.pop("version")
        data.pop("session")
        return json.dumps(data, sort_keys=True)


@dataclass(frozen=True)
class DoorRecord:
    id: int
    token: str
    token_hash: str
    tag: str


def new_door_keys() -> dict[str, str]:
    """A new Pay page's secrets: its token (the page's address), the token's hash (how the portal
    knows it), its tag (how Stripe's metadata and the feed name it) and the key that signs its
    sessions."""
    token = secrets.token_urlsafe(32)
    return {
        "token": token,
        "token_hash": token_hash(token),
        "tag": secrets.token_hex(12),
        "sign_key": secrets.token_hex(32),
    }


def open_door(invoice_id: int) -> DoorRecord:
    """The invoice's door, made when it is billed (``models.workflow.lifecycle.bill``: its PDF prints
    the page's QR code) or, for one billed before, on its first payment link; a link offered again
    reopens it."""
    with db.atomic():
        door = PayDoor.get_or_none(PayDoor.invoice == invoice_id)
        if door is None:
            door = PayDoor.create(invoice=invoice_id, **new_door_keys())
        elif door.closed_at is not None:
            PayDoor.update(closed_at=None).where(PayDoor.id == door.id).execute()
        return DoorRecord(door.id, door.token, door.token_hash, door.tag)


def close_door(invoice_id: int, now: datetime | None = None) -> None:
    """Staff took the payment link away: the Pay page asks the patient to contact the clinic."""
    PayDoor.update(closed_at=now or utcnow()).where(
        (PayDoor.invoice == invoice_id) & PayDoor.closed_at.is_null()
    ).execute()


def paper_token(invoice_id: int) -> str | None:
    """The token of the invoice's Pay page, for the QR code its PDF prints; None without one. Only
    read here: billing opens the page (``models.workflow.lifecycle.bill``), never a PDF render."""
    door = PayDoor.get_or_none(PayDoor.invoice == invoice_id)
    return str(door.token) if door is not None else None


@dataclass(frozen=True)
class _Known:
    """What the states of many doors share, read once: the clinic (the page's "contact the clinic"),
    each company's Stripe account, and the invoices with a delayed payment on its way."""

    clinic: dict[str, str]
    default_language: str
    accounts: dict[int, str]
    pending: frozenset[int]


def _known(invoice_ids: list[int]) -> _Known:
    clinic = get_clinic()
    pending = PaymentLink.select(PaymentLink.invoice).where(
        PaymentLink.invoice.in_(invoice_ids)
        & (PaymentLink.status == PaymentLinkStatus.OPEN.value)
        & PaymentLink.completed_at.is_null(False)  # a bank debit that has not cleared
    )
    return _Known(
        clinic={
            "name": clinic.name,
            "phone": clinic.phone,
            "email": clinic.email,
            "timezone": clinic.timezone,
            "country": clinic.country,
        },
        default_language=clinic.default_language,
        accounts={c.id: c.stripe_account_id or "" for c in BillingCompany.select()},
        pending=frozenset(fk_id(link, "invoice") for link in pending),
    )


def _invoices(invoice_ids: list[int]) -> dict[int, Invoice]:
    """The invoices with their patients (whose language a page speaks), in one query."""
    query = Invoice.select(Invoice, Patient).join(Patient).where(Invoice.id.in_(invoice_ids))
    return {invoice.id: invoice for invoice in query}


def pay_expiry(issue_date: date, timezone: str) -> datetime:
    """When an invoice's Pay page stops offering to pay: a year after its issue date, at the start
    of that day in the clinic's time zone. The portal keeps it and says "expired" past it by itself
    (the agent stops watching a door after ``WATCHED_FOR``)."""
    day = issue_date + relativedelta(years=1)
    try:
        zone: tzinfo = ZoneInfo(timezone)
    except (ValueError, ZoneInfoNotFoundError):
        zone = UTC
    return datetime.combine(day, time(), zone).astimezone(UTC)


def door_state(door: PayDoor, invoice: Invoice, known: _Known) -> DoorState:
    """The door's state without its session (``_offered`` adds it to a state that is pushed). A
    void invoice and one its credit notes cancelled read alike: "cancelled"."""
    if invoice.status in (InvoiceStatus.VOID, InvoiceStatus.CREDITED):
        status = DoorStatus.VOID
    elif invoice.balance_cents <= 0:
        status = DoorStatus.PAID
    elif door.closed_at is not None or invoice.status != InvoiceStatus.BILLED:
        status = DoorStatus.CLOSED
    elif invoice.id in known.pending:  # a payment under way: the page offers no second one
        status = DoorStatus.PENDING
    else:
        status = DoorStatus.OPEN
    return DoorState(
        token_hash=door.token_hash,
        tag=door.tag,
        sign_key=door.sign_key,
        account=known.accounts.get(fk_id(invoice, "billing_company"), ""),
        currency=invoice.currency,
        amount_cents=max(invoice.balance_cents, 0),
        status=status.value,
        # the billed-to person's language, else the patient's: the page and Checkout speak it
        language=str(invoice.billed_to_language or invoice.patient.language or known.default_language),
        number=invoice.number or "",
        clinic=known.clinic,
        expires_at=pay_expiry(
            invoice.issue_date or door.created_at.date(), known.clinic["timezone"]
        ).isoformat(),
        version=door.version,
    )


def _offered(invoice: Invoice, state: DoorState) -> DoorState:
    """``state`` with the open session of its balance the agent knows, for the page to send to."""
    if state.status != DoorStatus.OPEN:
        return state
    link = (
        PaymentLink.select()
        .where(
            (PaymentLink.invoice == invoice.id)
            & (PaymentLink.status == PaymentLinkStatus.OPEN.value)
            & (PaymentLink.amount_cents == invoice.balance_cents)
            & (PaymentLink.expires_at > utcnow() + FRESH_SESSION)
        )
        .order_by(PaymentLink.expires_at.desc())
        .first()
    )
    if link is None or not link.url:
        return state
    session = OfferedSession(link.session_id, link.url, link.amount_cents, link.expires_at.isoformat())
    return replace(state, session=session)


def state_of(door_id: int) -> DoorState:
    """The door's state now, with its session; a change since the last push gets a version of its
    own (``next_version``)."""
    door = PayDoor.get_by_id(door_id)
    invoice_id = fk_id(door, "invoice")
    invoice = _invoices([invoice_id])[invoice_id]
    return _offered(invoice, next_version(door, door_state(door, invoice, _known([invoice_id]))))


def next_version(door: Any, state: DoorState) -> DoorState:
    """``state`` under the door's next version when it differs from what was pushed last: the number
    is taken here, before the push, so a retry after a lost answer or two pushes at once never send
    two states under one version (the portal keeps the highest). ``door`` is an invoice's
    (``PayDoor``) or a statement's (``statement_doors.StatementDoor``): the same columns."""
    if state.fingerprint() == door.pushed_state:
        return state
    table = type(door)
    with db.atomic():
        table.update(version=table.version + 1).where(table.id == door.id).execute()
        version = table.select(table.version).where(table.id == door.id).scalar()
    return replace(state, version=int(version))


def doors_to_push(
    now: datetime | None = None, limit: int = 200, changed_since: datetime | None = None
) -> list[DoorState]:
    """The watched doors whose state changed since it was last pushed (each takes its next version
    when it is pushed: ``reserve``, so a portal out of reach costs no write).
    Watched: those made in the last ``WATCHED_FOR``, and any older one the portal still shows as
    payable (a desk payment or a void must reach it, however old the email). With
    ``changed_since``, only the doors that can have changed since then: never pushed, made or
    closed since, or whose invoice (its ``updated_at``: a payment, a refund, a credit note, a void)
    or payment under way changed since; every billed invoice has a door, so a sweep of them all
    is for now and then (``agent.stripe.doors``), not every round."""
    since = (now or utcnow()) - WATCHED_FOR
    watched = (PayDoor.created_at >= since) | PayDoor.pushed_state.contains('"status": "open"')
    watched |= PayDoor.pushed_state.contains('"status": "pending"')
    if changed_since is not None:
        touched = Invoice.select(Invoice.id).where(Invoice.updated_at >= changed_since)
        under_way = PaymentLink.select(PaymentLink.invoice).where(PaymentLink.completed_at >= changed_since)
        watched &= (
            (PayDoor.pushed_state == "")
            | (PayDoor.created_at >= changed_since)
            | (PayDoor.closed_at >= changed_since)
            | PayDoor.invoice.in_(touched)
            | PayDoor.invoice.in_(under_way)
        )
    doors = list(PayDoor.select().where(watched).order_by(PayDoor.id))
    ids = [fk_id(door, "invoice") for door in doors]
    invoices, known = _invoices(ids), _known(ids)
    changed = []
    for door in doors:
        invoice = invoices[fk_id(door, "invoice")]
        state = door_state(door, invoice, known)
        if state.fingerprint() != door.pushed_state:
            changed.append(_offered(invoice, state))  # its version is taken when it is pushed
            if len(changed) >= limit:
                break
    return changed


def reserve(state: DoorState) -> DoorState:
    """``state`` under its door's next version, taken now, right before it is pushed (see
    ``next_version``); as it is when the portal already has it."""
    door = PayDoor.get(PayDoor.token_hash == state.token_hash)
    return next_version(door, replace(state, version=door.version))


def pushed(state: DoorState, kept: int, table: Any = PayDoor) -> None:
    """The portal answered ``kept``, the version it holds: ``state`` is delivered when that is its
    own; a portal ahead (a clinic database restored from a backup) makes the next state go past it.
    ``table``: the door's (``PayDoor``, or a statement's ``StatementDoor``)."""
    if kept > state.version:
        table.update(version=kept, pushed_state="").where(table.token_hash == state.token_hash).execute()
        return
    table.update(pushed_state=state.fingerprint()).where(
        (table.token_hash == state.token_hash) & (table.version == state.version)
    ).execute()


def door_invoice(metadata: dict[str, Any]) -> Invoice | None:
    """The invoice of a session the portal made, when its metadata names a door and carries that
    door's signature; None for any other session."""
    tag = metadata.get(DOOR_KEY)
    door = PayDoor.get_or_none(PayDoor.tag == str(tag)) if tag else None
    if door is None or not signature_holds(door.sign_key, metadata):
        return None
    invoice = Invoice.get_by_id(fk_id(door, "invoice"))
    return invoice if invoice.number == str(metadata.get(INVOICE_KEY)) else None


def adopt_door_session(account: str, session: dict[str, Any] | Any) -> PaymentLink | None:
    """The payment link of a session the portal made for a door (its signature holds), recorded
    now if the portal's feed has not brought it yet; None for any other session."""
    invoice = door_invoice(dict(session.get("metadata") or {}))
    if invoice is None:
        return None
    expires = datetime.fromtimestamp(int(session.get("expires_at") or 0), UTC)
    link, _ = PaymentLink.get_or_create(
        session_id=str(session["id"]),
        defaults={
            "invoice": invoice.id,
            "account": account,
            "url": str(session.get("url") or ""),
            "amount_cents": int(session.get("amount_total") or 0),
            "currency": str(session.get("currency") or invoice.currency).upper(),
            "expires_at": expires,
        },
    )
    return link


@dataclass(frozen=True)
class PortalSession:
    """A session the portal made, as its feed tells it."""

    tag: str
    session_id: str
    url: str
    account: str
    amount_cents: int
    currency: str
    expires_at: datetime


def record_portal_sessions(sessions: list[PortalSession], cursor: str, last: int) -> int:
    """Keep the sessions the portal made as the invoice's payment links (so the invoice shows
    them and a removed link closes them), with the feed's cursor, in one transaction."""
    recorded = 0
    with db.atomic():
        for made in sessions:
            door = PayDoor.get_or_none(PayDoor.tag == made.tag)
            if door is None or PaymentLink.get_or_none(PaymentLink.session_id == made.session_id):
                continue
            PaymentLink.create(
                invoice=fk_id(door, "invoice"),
                session_id=made.session_id,
                account=made.account,
                url=made.url,
                amount_cents=made.amount_cents,
                currency=made.currency,
                expires_at=made.expires_at,
            )
            recorded += 1
        write_cursor(cursor, str(last))
    return recorded


def known_states(invoice_ids: list[int]) -> _Known:
    """What the states of these invoices' doors (or a statement's) share, read once."""
    return _known(invoice_ids)

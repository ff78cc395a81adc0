"""The patient's Pay button and where Checkout sends them back.

- ``GET /pay/{token}``: an invoice's Pay page (``portal.pay_doors``). Open: a 303 to a Checkout
  Session for the balance the portal was last told, the one it holds while it asks that amount
  for a while longer, else a fresh one (the stale one expired first, so a patient never holds two
  ways to pay one balance). Paid, cancelled (void or credited), expired (a year after the
  invoice's issue date, as the agent said) or taken away: a page that says so, and nothing charged.
  A company without a Stripe account: the amount due and "contact the clinic to pay", no button.
  No PIN: the page shows what is due and to whom, never a health detail.
- ``GET /paid``: Checkout's return; with the door and the session, it tells a payment received
  from a bank debit still on its way.

A fresh session's idempotency key is (door, version, generation): two clicks at once, or a retry
after a crash, get the same session. Clicks on one door wait for each other.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import weakref
from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from locales import N_
from locales.formatting import Money
from models.links.checkout import (
    DOOR_KEY,
    INVOICE_KEY,
    REQUEST_KEY,
    SIGNATURE_KEY,
    CheckoutRequest,
    DoorKind,
    DoorStatus,
    checkout_params,
    door_signature,
    paid_url,
)
from models.links.payment_links import stripe_minimum
from models.messaging.secure_link import token_hash
from portal.checkout import CheckoutUnavailable, PortalCheckout
from portal.links import ClinicInfo
from portal.pages import TOKEN_PATTERN, context, message_page, not_found_page, request_language
from portal.pay_doors import DoorSession, door_by_hash, door_by_tag, record_session
from portal.render import page_context
from portal.services import Portal, log_tr, services
from portal.storage import PayDoorRow

log = logging.getLogger("facteur.portal")

FRESH_ENOUGH = dt.timedelta(minutes=10)  # a session closer to its end is replaced, not offered
_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()


def _lock(key: str) -> asyncio.Lock:
    lock = _locks.get(key)
    if lock is None:
        lock = _locks[key] = asyncio.Lock()
    return lock


def _page(request: Request, door: PayDoorRow) -> Any:
    clinic = ClinicInfo(**json.loads(door.clinic))
    options = services(request).options
    language = request_language(request, door.language)
    return page_context(
        language,
        root=str(request.scope.get("root_path", "")).rstrip("/"),
        switch_path=_switch_path(request),
        clinic=clinic,
        default_timezone=options.default_timezone,
        default_country=options.default_country,
    )


def _switch_path(request: Request) -> str:
    """The page's own address for the language switch: ``/paid`` keeps its door and session."""
    path = str(request.scope.get("root_path", "")).rstrip("/") + request.url.path
    kept = {
        name: request.query_params[name] for name in ("door", "session_id") if name in request.query_params
    }
    return f"{path}?{urlencode(kept)}" if kept else path


async def pay(request: Request) -> Response:
    token = request.path_params["token"]
    if TOKEN_PATTERN.fullmatch(token) is None:
        return not_found_page(request)
    hashed = token_hash(token)
    async with _lock(hashed):  # read under the lock: a click waiting here sees what the one before made
        door = await run_in_threadpool(door_by_hash, hashed)
        if door is None:
            return not_found_page(request)
        return await _answer(request, services(request), door)


# a page's words by what it is for: an invoice, or a statement of account (``DoorKind``)
_WORDS: dict[str, dict[str, str]] = {
    DoorKind.INVOICE: {
        "paid": N_("Invoice {number} is paid"),
        "cancelled": N_("Invoice {number} was cancelled"),
        "expired": N_("Please contact the clinic about invoice {number}: its details are below."),
        "offline": N_("Invoice {number} cannot be paid online"),
        "due": N_("Invoice {number}: {amount} to pay."),
        "under_way": N_("A payment for this invoice is under way"),
    },
    DoorKind.STATEMENT: {
        "paid": N_("Statement of account {number} is paid"),
        "cancelled": N_("Statement of account {number} was cancelled"),
        "expired": N_(
            "Please contact the clinic about statement of account {number}: its details are below."
        ),
        "offline": N_("Statement of account {number} cannot be paid online"),
        "due": N_("Statement of account {number}: {amount} to pay."),
        "under_way": N_("A payment for this statement of account is under way"),
    },
}


def _words(door: PayDoorRow, what: str) -> str:
    return _WORDS.get(door.kind, _WORDS[DoorKind.INVOICE])[what]


def _ended(ctx: Any, door: PayDoorRow, now: dt.datetime) -> Response | None:
    """The page of a door whose life is over, whichever came first: paid, cancelled (void or
    credited), or expired (the portal knows when by itself: the agent stops watching old doors)."""
    tr = ctx.tr
    if door.status == DoorStatus.PAID:
        title = tr.format(_words(door, "paid"), number=door.number)
        return message_page(ctx, title, [tr.gettext(N_("There is nothing left to pay. Thank you."))], 200)
    if door.status == DoorStatus.VOID:
        title = tr.format(_words(door, "cancelled"), number=door.number)
        return message_page(ctx, title, [tr.gettext(N_("There is nothing to pay on it."))], 200)
    if door.expires_at is not None and now >= door.expires_at:
        title = tr.gettext(N_("This payment page has expired"))
        text = tr.format(_words(door, "expired"), number=door.number)
        return message_page(ctx, title, [text], 200)
    return None


def _not_payable(ctx: Any, door: PayDoorRow, now: dt.datetime) -> Response | None:
    """The page of a door that charges nothing: ended (``_ended``), a payment under way, no Stripe
    account, taken away, or under Stripe's minimum."""
    ended = _ended(ctx, door, now)
    if ended is not None:
        return ended
    if door.status == DoorStatus.PENDING:
        return _under_way(ctx, door)
    if door.status == DoorStatus.OPEN and not door.account:
        return _pay_the_clinic(ctx, door)
    if door.status != DoorStatus.OPEN or door.amount_cents < stripe_minimum(door.currency):
        tr = ctx.tr
        title = tr.format(_words(door, "offline"), number=door.number)
        text = tr.gettext(N_("Please contact the clinic to pay it: its details are below."))
        return message_page(ctx, title, [text], 200)
    return None


async def _answer(request: Request, portal: Portal, door: PayDoorRow) -> Response:
    ctx = _page(request, door)
    now = portal.now()
    refused = _not_payable(ctx, door, now)
    if refused is not None:
        return refused
    money = Money(door.amount_cents, door.currency, ctx.country)
    if (
        door.session_url
        and door.session_amount == door.amount_cents
        and door.session_expires_at is not None
        and door.session_expires_at - now >= FRESH_ENOUGH
    ):
        return RedirectResponse(door.session_url, status_code=303)
    checkout = portal.checkout
    if checkout is None or not door.account or not checkout.can_act_on(door.account):
        return _unavailable(ctx, door, money, "no portal key")
    try:
        await _retire(checkout, door, now)
        session = await _fresh_session(request, portal, door)
    except CheckoutUnavailable as exc:
        if exc.completed:
            return _under_way(ctx, door)
        return _unavailable(ctx, door, money, str(exc))
    return RedirectResponse(session.url, status_code=303)


async def _retire(checkout: PortalCheckout, door: PayDoorRow, now: dt.datetime) -> None:
    """Expire the page's last session, which asks another amount or is about to end, so a patient
    never holds two ways to pay. One paid since is a payment under way (``CheckoutUnavailable``
    with ``completed``) while the balance the portal knows is still the one it was made for; once
    the agent has told a newer balance, that payment is in it, and the page goes on."""
    if not door.session_id or door.session_expires_at is None or door.session_expires_at <= now:
        return
    try:
        await checkout.expire(door.account, door.session_id)
    except CheckoutUnavailable as exc:
        if not exc.completed or (door.session_version or 0) >= door.version:
            raise


async def _fresh_session(request: Request, portal: Portal, door: PayDoorRow) -> DoorSession:
    """A session for the page's balance, in the language the clinic knows the patient by (not the
    page's ``?lang=``: a retry in the other language must ask Stripe the same request under its key)."""
    language = door.language
    assert portal.checkout is not None
    generation = door.generation + 1
    key = f"facteur-door-{door.tag}-v{door.version}-g{generation}"
    now = portal.now()
    base = portal.options.public_url.rstrip("/") or str(request.base_url).rstrip("/")
    params = checkout_params(
        CheckoutRequest(
            number=door.number,
            kind=door.kind,
            language=language,
            currency=door.currency,
            amount_cents=door.amount_cents,
            expires_at=None,  # Stripe's 24 hours: a portal whose clock is off still gets a session
            success_url=paid_url(f"{base}/paid", door.tag, language),
            cancel_url=f"{base}/pay-cancelled?lang={language}&door={door.tag}",
            metadata={
                INVOICE_KEY: door.number,
                REQUEST_KEY: key,
                DOOR_KEY: door.tag,
                SIGNATURE_KEY: door_signature(door.sign_key, door.number, key),
            },
        )
    )
    made = await portal.checkout.create(door.account, params, key)
    session = DoorSession(
        id=str(made["id"]),
        url=str(made.get("url") or ""),
        amount_cents=int(made.get("amount_total") or door.amount_cents),
        expires_at=dt.datetime.fromtimestamp(int(made["expires_at"]), dt.UTC),
    )
    if made.get("status") != "open" or not session.url:
        raise CheckoutUnavailable(f"session {session.id} is {made.get('status')}")
    await run_in_threadpool(record_session, door.id, door.version, generation, session, now)
    log.info(log_tr().format(N_("Pay page {page}…: a fresh Checkout Session"), page=door.token_hash[:8]))
    return session


def _pay_the_clinic(ctx: Any, door: PayDoorRow) -> Response:
    """A company without a Stripe account: what is due, and to pay it as the clinic says."""
    tr = ctx.tr
    money = Money(door.amount_cents, door.currency, ctx.country)
    title = tr.format(_words(door, "due"), number=door.number, amount=money)
    text = N_("The clinic does not take payments online: please contact it to pay; its details are below.")
    return message_page(ctx, title, [tr.gettext(text)], 200)


def _under_way(ctx: Any, door: PayDoorRow) -> Response:
    tr = ctx.tr
    title = tr.gettext(_words(door, "under_way"))
    text = tr.gettext(N_("The clinic's records will show it shortly; nothing more is needed."))
    return message_page(ctx, title, [text], 200)


def _unavailable(ctx: Any, door: PayDoorRow, money: Money, reason: str) -> Response:
    log.warning(
        log_tr().format(
            N_("Pay page {page}…: no Checkout Session: {reason}"), page=door.token_hash[:8], reason=reason
        )
    )
    tr = ctx.tr
    title = tr.gettext(N_("Online payment is not available right now"))
    texts = [
        tr.format(_words(door, "due"), number=door.number, amount=money),
        tr.gettext(N_("Please try again in a few minutes, or contact the clinic: its details are below.")),
    ]
    return message_page(ctx, title, texts, 503)


async def paid_page(request: Request) -> Response:
    """Where Checkout sends the patient once done. With the door and Stripe's session, the page
    says what Stripe says: paid, or a bank debit still on its way; else only that the clinic's
    records show the payment once Stripe confirms it."""
    portal = services(request)
    door = await run_in_threadpool(door_by_tag, request.query_params.get("door", ""))
    ctx = _page(request, door) if door is not None else context(request, request_language(request), None)
    tr = ctx.tr
    state = await _session_state(portal, door, request.query_params.get("session_id", ""))
    if state == "paid":
        title, texts = (
            tr.gettext(N_("Thank you for your payment")),
            [tr.gettext(N_("Your payment was received."))],
        )
    elif state == "pending":
        title = tr.gettext(N_("Your payment is on its way"))
        texts = [
            tr.gettext(
                N_("Your bank has not confirmed the payment yet; a bank debit takes a few business days.")
            ),
            tr.gettext(N_("The clinic's records show it once it clears. Nothing more is needed.")),
        ]
    else:
        title = tr.gettext(N_("Thank you"))
        texts = [tr.gettext(N_("The clinic's records show your payment as soon as Stripe confirms it."))]
    return message_page(ctx, title, [*texts, tr.gettext(N_("You can close this page."))], 200)


async def _session_state(portal: Portal, door: PayDoorRow | None, session_id: str) -> str:
    """``paid``, ``pending`` (completed, not paid yet) or ``unknown``."""
    checkout = portal.checkout
    if door is None or checkout is None or not session_id.startswith("cs_") or len(session_id) > 255:
        return "unknown"
    try:
        session = await checkout.retrieve(door.account, session_id)
    except CheckoutUnavailable:
        return "unknown"
    if (session.get("metadata") or {}).get(INVOICE_KEY) != door.number or session.get("status") != "complete":
        return "unknown"
    return "paid" if session.get("payment_status") == "paid" else "pending"

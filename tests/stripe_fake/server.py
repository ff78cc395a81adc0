"""A fake Stripe on 127.0.0.1, speaking the HTTP API Facteur uses, for the real ``stripe`` library.

Endpoints: ``POST /v1/checkout/sessions`` (with idempotency: the same key and parameters replay
the first answer, other parameters are refused as Stripe does), ``GET /v1/checkout/sessions``
(list, ``created[gte]``, pagination), ``GET /v1/checkout/sessions/{id}``,
``POST /v1/checkout/sessions/{id}/expire``, ``GET /v1/events`` (newest first, ``created``,
``types[]``, ``starting_after``, ``has_more``), ``POST /v1/refunds`` (idempotent as sessions
are), ``GET /v1/refunds`` (``payment_intent``, ``charge``), ``GET /v1/refunds/{id}``,
``GET /v1/charges`` (list), ``GET /v1/charges/{id}``, ``GET /v1/disputes/{id}``. Every request is
recorded with its ``Stripe-Account`` and ``Idempotency-Key`` headers. Tests (or ``/_fake/…`` over
HTTP) complete,
delay or expire sessions, refund a paid one (as in Stripe's Dashboard), open a dispute on it (as
the cardholder's bank does) and close it won or lost, and script failures: a 409, 429, 500 or
400 answer, a 500 Stripe saves for the idempotency key and replays (``saved-500``,
``saved-500-after`` once the object was made), a connection reset before or after the request
was processed, or an answer held back. Parameters are checked against the locked ``stripe``
library's request types (``spec``), amounts against Stripe's minimum charge, product names are
required. What it reproduces, and from which Stripe page, is listed in
``tests/stripe_fake/README.md``.
"""

from __future__ import annotations

import base64
import itertools
import json
import secrets
import socket
import ssl
import struct
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.stripe_fake.forms import decode
from tests.stripe_fake.spec import Invalid, check_request

API_KEY = "sk_test_facteur_fake"
MINIMUM_CHARGE = {"gbp": 30}  # Stripe's minimum charge in minor units; 50 for the others used here
MIN_EXPIRY, MAX_EXPIRY = 30 * 60, 24 * 3600
API_VERSION = "2026-10-28.endive"  # the version models/core/stripe_client.py pins, as events carry it
DISPUTE_OUTCOMES = ("won", "lost")
# A restricted key's permissions, as Stripe names them in its 403 (rak_<resource>_<read|write>);
# write grants read. https://docs.stripe.com/keys/restricted-api-keys
ALL_PERMISSIONS = frozenset(
    {
        "rak_checkout_session_write",
        "rak_event_read",
        "rak_charge_read",
        "rak_refund_write",
        "rak_dispute_read",
    }
)
_RESOURCES = {"checkout": "checkout_session", "events": "event", "charges": "charge", "refunds": "refund"}
_RESOURCES |= {"disputes": "dispute"}


@dataclass
class FakeKey:
    """A restricted key (``rk_test_…``) of one account, with its permissions; revoked or expired
    keys answer 401 as Stripe does."""

    account: str
    permissions: frozenset[str]
    revoked: bool = False


def needed_permission(method: str, path: str) -> str:
    parts = [p for p in path.split("/") if p]
    resource = _RESOURCES.get(parts[1] if len(parts) > 1 else "", "unknown")
    return f"rak_{resource}_{'read' if method == 'GET' else 'write'}"


def _granted(permissions: frozenset[str], needed: str) -> bool:
    return needed in permissions or (
        needed.endswith("_read") and needed.removesuffix("_read") + "_write" in permissions
    )


class Refused(Exception):
    """A control method refused as Stripe would answer (``status``, ``body``: its error)."""

    def __init__(self, answer: tuple[int, dict[str, Any]]) -> None:
        self.status, self.body = answer
        super().__init__(self.body["error"]["message"])


@dataclass
class Recorded:
    """One request as the server saw it."""

    method: str
    path: str
    params: dict[str, Any]
    account: str | None
    idempotency_key: str | None
    body: str
    at: float
    version: str | None = None  # the Stripe-Version header


@dataclass
class Failure:
    kind: str  # "409", "429", "500", "400", "reset", "reset-after", "hold"
    path: str = ""  # only requests whose path starts with this
    seconds: float = 0.0  # "hold": how long the answer waits


@dataclass
class FakeStripe:
    api_key: str = API_KEY
    offset: float = 0.0  # seconds added to the real clock (tests move time)
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    charges: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    disputes: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    failures: deque[Failure] = field(default_factory=deque)
    keys: dict[str, FakeKey] = field(default_factory=dict)
    latency: float = 0.0  # seconds each API answer waits: Stripe's round trip from a clinic (benchmarks)
    # (account, key) -> (path, params, status, body) of the request first made with that key
    _replays: dict[tuple[str | None, str], tuple[str, dict[str, Any], int, dict[str, Any]]] = field(
        default_factory=dict
    )
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _server: ThreadingHTTPServer | None = None

    # running ------------------------------------------------------------------------------------

    def start(
        self, port: int = 0, *, tls: ssl.SSLContext | None = None, host: str = "127.0.0.1"
    ) -> FakeStripe:
        """Serve on 127.0.0.1; over TLS with ``tls`` (a test authority's certificate for ``host``,
        the name ``url`` gives, which a proxy may be the only one to resolve)."""
        fake = self
        self._host, self._tls = host, tls is not None

        class Handler(_Handler):
            stripe = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self._server.daemon_threads = True
        # a short poll, so that ``stop`` (which waits for the loop to notice) takes no half second
        threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        scheme = "https" if getattr(self, "_tls", False) else "http"
        return f"{scheme}://{getattr(self, '_host', '127.0.0.1')}:{self.port}"

    def now(self) -> int:
        return int(time.time() + self.offset)

    def fail_next(self, kind: str, *, path: str = "", times: int = 1, seconds: float = 0.0) -> None:
        for _ in range(times):
            self.failures.append(Failure(kind, path, seconds))

    def mint_key(self, account: str, permissions: frozenset[str] = ALL_PERMISSIONS) -> str:
        """A restricted key of ``account``, as an admin makes one in Stripe's dashboard."""
        key = f"rk_test_{secrets.token_hex(12)}"
        with self._lock:
            self.keys[key] = FakeKey(account, frozenset(permissions))
        return key

    def revoke_key(self, key: str) -> None:
        """The key rolled or deleted in the dashboard (or expired): it answers 401 from now on."""
        with self._lock:
            self.keys[key].revoked = True

    def authorize(
        self, authorization: str, account: str | None, method: str, path: str
    ) -> tuple[str | None, tuple[int, dict[str, Any]] | None]:
        """The account a request acts on, or Stripe's refusal: the platform key reaches the account
        its ``Stripe-Account`` header names; a restricted key only its own, with its permissions.
        Bearer or Basic (the key as the user name), as Stripe takes either."""
        key = _bearer(authorization)
        if key == self.api_key:
            return account, None
        found = self.keys.get(key)
        shown = f"{key[:8]}*********{key[-4:]}"
        if found is None:
            return None, _error(401, "invalid_request_error", f"Invalid API Key provided: {shown}")
        if found.revoked:
            return None, _error(401, "invalid_request_error", f"Expired API Key provided: {shown}")
        if account is not None and account != found.account:
            return None, _error(
                403,
                "invalid_request_error",
                f"The provided key '{shown}' does not have access to account '{account}' "
                "(or that account does not exist). Application access may have been revoked.",
            )
        needed = needed_permission(method, path)
        if not _granted(found.permissions, needed):
            return None, _error(
                403,
                "invalid_request_error",
                f"The provided key '{shown}' does not have the required permissions for this endpoint "
                f"on account '{found.account}'. Having the '{needed}' permission would allow this "
                "request to continue.",
            )
        return found.account, None

    def expire_due(self) -> None:
        """Sessions past their ``expires_at`` (the fake's clock, ``offset`` included) expire, with
        their event, as Stripe expires them."""
        with self._lock:
            for session in list(self.sessions.values()):
                if session["status"] == "open" and int(session["expires_at"]) <= self.now():
                    self.expire(session["id"], created=int(session["expires_at"]))

    def _next_id(self, prefix: str) -> str:
        return f"{prefix}_test_{next(self._ids):06d}{int(time.time() * 1000) % 100000:05d}"

    # what the tests read ------------------------------------------------------------------------

    def posts(self, path: str = "/v1/checkout/sessions") -> list[Recorded]:
        return [r for r in self.requests if r.method == "POST" and r.path == path]

    def session_for(self, invoice_number: str) -> list[dict[str, Any]]:
        return [s for s in self.sessions.values() if s["metadata"].get("invoice") == invoice_number]

    # what happens on Stripe's side --------------------------------------------------------------

    def complete(self, session_id: str, *, paid: bool = True) -> dict[str, Any]:
        """The patient paid (``paid``: a PaymentIntent and its succeeded Charge), or chose a
        delayed method (the PaymentIntent only; the Charge comes when the payment clears)."""
        with self._lock:
            session = self.sessions[session_id]
            assert session["status"] == "open", session["status"]
            session.update(status="complete", payment_status="paid" if paid else "unpaid")
            session["payment_intent"] = session["payment_intent"] or self._next_id("pi")
            if paid:
                self._charge(session)
            return self.emit("checkout.session.completed", session)

    def async_result(self, session_id: str, *, succeeded: bool) -> dict[str, Any]:
        with self._lock:
            session = self.sessions[session_id]
            if succeeded:
                session["payment_status"] = "paid"
                self._charge(session)
                return self.emit("checkout.session.async_payment_succeeded", session)
            return self.emit("checkout.session.async_payment_failed", session)

    def expire(self, session_id: str, *, created: int | None = None) -> dict[str, Any]:
        with self._lock:
            session = self.sessions[session_id]
            assert session["status"] == "open", session["status"]
            session["status"] = "expired"
            session["url"] = None
            return self.emit("checkout.session.expired", session, created=created)

    def refund(
        self,
        session_id_or_payment_intent: str,
        amount_cents: int | None = None,
        *,
        reason: str = "requested_by_customer",
    ) -> dict[str, Any]:
        """A refund made in Stripe's Dashboard (all that is left when ``amount_cents`` is None):
        the Refund, and the events ``charge.refunded`` then ``refund.created``. Raises
        ``Refused`` with Stripe's answer to more than is left, or to a disputed charge."""
        with self._lock:
            charge = self._paid_charge(session_id_or_payment_intent)
            status, body = self._refund_charge(charge, amount_cents, reason, {}, None)
            if status != 200:
                raise Refused((status, body))
            return body

    def dispute(self, session_id_or_payment_intent: str, *, reason: str = "fraudulent") -> dict[str, Any]:
        """The cardholder's bank disputes the whole payment: the Dispute (``needs_response``), the
        charge marked ``disputed``, and the event ``charge.dispute.created``."""
        with self._lock:
            charge = self._paid_charge(session_id_or_payment_intent)
            if charge["refunded"]:  # https://docs.stripe.com/refunds: no dispute once fully refunded
                raise ValueError(f"{charge['id']} is fully refunded: it cannot be disputed")
            dispute = {
                "id": self._next_id("dp"),
                "object": "dispute",
                "amount": charge["amount"],
                "charge": charge["id"],
                "created": self.now(),
                "currency": charge["currency"],
                "is_charge_refundable": False,
                "livemode": False,
                "metadata": {},
                "payment_intent": charge["payment_intent"],
                "reason": reason,
                "status": "needs_response",
                "_account": charge["_account"],
            }
            self.disputes[dispute["id"]] = dispute
            charge["disputed"] = True
            self.emit("charge.dispute.created", dispute)
            return _public(dispute)

    def close_dispute(self, dispute_id: str, outcome: str) -> dict[str, Any]:
        """The dispute decided, ``won`` or ``lost``: its status, and ``charge.dispute.closed``."""
        if outcome not in DISPUTE_OUTCOMES:
            raise ValueError(f"outcome must be one of {DISPUTE_OUTCOMES}, not {outcome!r}")
        with self._lock:
            dispute = self.disputes[dispute_id]
            if dispute["status"] in (*DISPUTE_OUTCOMES, "warning_closed", "prevented"):
                raise ValueError(f"{dispute_id} is already closed ({dispute['status']})")
            dispute["status"] = outcome
            self.emit("charge.dispute.closed", dispute)
            return _public(dispute)

    def emit(
        self,
        type_: str,
        session: dict[str, Any],
        *,
        created: int | None = None,
        request: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Append the event of ``type_`` on ``session`` (any object of the fake: a session, a
        charge, a refund, a dispute), as on its account's event list."""
        snapshot = {k: v for k, v in session.items() if not k.startswith("_")}
        event = {
            "id": self._next_id("evt"),
            "object": "event",
            "api_version": API_VERSION,
            "account": session["_account"],
            "created": created if created is not None else self.now(),
            "data": {"object": json.loads(json.dumps(snapshot))},
            "livemode": False,
            "pending_webhooks": 0,
            "request": request or {"id": None, "idempotency_key": None},
            "type": type_,
        }
        with self._lock:
            self.events.append(event)
        return event

    def _charge(self, session: dict[str, Any]) -> dict[str, Any]:
        """The succeeded Charge of a paid session's PaymentIntent (made once)."""
        existing = self._charge_of_intent(session["payment_intent"], session["_account"])
        if existing is not None:
            return existing
        intent_data = session.get("_payment_intent_data") or {}
        metadata = intent_data.get("metadata") if isinstance(intent_data, dict) else None
        charge = {
            "id": self._next_id("ch"),
            "object": "charge",
            "amount": session["amount_total"],
            "amount_captured": session["amount_total"],
            "amount_refunded": 0,
            "captured": True,
            "created": self.now(),
            "currency": session["currency"],
            "disputed": False,
            "livemode": False,
            "metadata": dict(metadata) if isinstance(metadata, dict) else {},
            "paid": True,
            "payment_intent": session["payment_intent"],
            "refunded": False,
            "status": "succeeded",
            "_account": session["_account"],
        }
        self.charges[charge["id"]] = charge
        return charge

    def _charge_of_intent(self, payment_intent: str | None, account: str | None) -> dict[str, Any] | None:
        return next(
            (
                charge
                for charge in self.charges.values()
                if charge["payment_intent"] == payment_intent and charge["_account"] == account
            ),
            None,
        )

    def _paid_charge(self, session_id_or_payment_intent: str) -> dict[str, Any]:
        """The Charge of a session (by its id) or of a PaymentIntent, on whichever account."""
        session = self.sessions.get(session_id_or_payment_intent)
        if session is not None:
            intent, account = session["payment_intent"], session["_account"]
        else:
            intent = session_id_or_payment_intent
            account = next(
                (c["_account"] for c in self.charges.values() if c["payment_intent"] == intent), None
            )
        charge = self._charge_of_intent(intent, account) if intent else None
        if charge is None:
            raise Refused(_no_successful_charge(intent))
        return charge

    def _refund_charge(
        self,
        charge: dict[str, Any],
        amount: int | None,
        reason: str | None,
        metadata: dict[str, Any],
        request: dict[str, Any] | None,
    ) -> tuple[int, dict[str, Any]]:
        """Refund ``amount`` of ``charge`` (what is left when None), as Stripe answers."""
        if any(
            d["charge"] == charge["id"] and d["status"] != "won" for d in self.disputes.values()
        ):  # https://docs.stripe.com/api/disputes/object#dispute_object-is_charge_refundable
            return _error(
                400,
                "invalid_request_error",
                f"Charge {charge['id']} has been charged back; cannot issue a refund.",
                "charge_disputed",
            )
        left = charge["amount"] - charge["amount_refunded"]
        if left <= 0:
            return _error(
                400,
                "invalid_request_error",
                f"Charge {charge['id']} has already been refunded.",
                "charge_already_refunded",
            )
        amount = left if amount is None else amount
        if amount > left:
            return _error(
                400,
                "invalid_request_error",
                f"Refund amount (${amount / 100:.2f}) is greater than unrefunded amount on charge "
                f"(${left / 100:.2f})",
                param="amount",
            )
        refund = {
            "id": self._next_id("re"),
            "object": "refund",
            "amount": amount,
            "charge": charge["id"],
            "created": self.now(),
            "currency": charge["currency"],
            "metadata": metadata,
            "payment_intent": charge["payment_intent"],
            "reason": reason,
            "status": "succeeded",
            "_account": charge["_account"],
        }
        self.refunds[refund["id"]] = refund
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
        # https://docs.stripe.com/api/events/types#event_types-charge.refunded; the Charge carries no
        # `refunds` list since API version 2022-11-15 (only when expanded)
        self.emit("charge.refunded", charge, request=request)
        self.emit("refund.created", refund, request=request)
        return 200, _public(refund)

    # the API ------------------------------------------------------------------------------------

    def handle(
        self, method: str, path: str, params: dict[str, Any], account: str | None, key: str | None
    ) -> tuple[int, dict[str, Any]]:
        parts = [p for p in path.split("/") if p]
        self.expire_due()
        if parts[:3] == ["v1", "checkout", "sessions"]:
            if method == "POST" and len(parts) == 3:
                return self._idempotent(path, params, account, key)
            if method == "GET" and len(parts) == 3:
                return 200, self._list(
                    self._of(account, self.sessions.values()), params, "/v1/checkout/sessions"
                )
            session = self.sessions.get(parts[3]) if len(parts) > 3 else None
            if session is None or session["_account"] != account:
                return _error(
                    404,
                    "invalid_request_error",
                    f"No such checkout.session: '{parts[3]}'",
                    "resource_missing",
                )
            if method == "GET" and len(parts) == 4:
                return 200, _public(session)
            if method == "POST" and parts[4:] == ["expire"]:
                if session["status"] != "open":
                    return _error(
                        400,
                        "invalid_request_error",
                        'Only Checkout Sessions with a status in ["open"] can be expired. '
                        f'This session has a status of "{session["status"]}".',
                    )
                self.expire(session["id"])
                return 200, _public(session)
        if parts == ["v1", "events"] and method == "GET":
            return 200, self._list(self._of(account, self.events), params, "/v1/events")
        if parts == ["v1", "refunds"] and method == "POST":
            return self._idempotent(path, params, account, key)
        if parts == ["v1", "refunds"] and method == "GET":
            return 200, self._list(self._of(account, self.refunds.values()), params, "/v1/refunds")
        if parts == ["v1", "charges"] and method == "GET":
            return 200, self._list(self._of(account, self.charges.values()), params, "/v1/charges")
        stored = {"charges": self.charges, "refunds": self.refunds, "disputes": self.disputes}
        if method == "GET" and len(parts) == 3 and parts[0] == "v1" and parts[1] in stored:
            found = stored[parts[1]].get(parts[2])
            if found is None or found["_account"] != account:
                return _error(
                    404,
                    "invalid_request_error",
                    f"No such {parts[1][:-1]}: '{parts[2]}'",
                    "resource_missing",
                    param="id",
                )
            return 200, _public(found)
        return _error(404, "invalid_request_error", f"Unrecognized request URL ({method}: {path})")

    def _idempotent(
        self, path: str, params: dict[str, Any], account: str | None, key: str | None
    ) -> tuple[int, dict[str, Any]]:
        """A creation under ``Idempotency-Key``: the first answer replayed to the same request."""
        if key is not None and (account, key) in self._replays:
            first_path, first, status, body = self._replays[(account, key)]
            if (first_path, first) != (path, params):
                return _error(
                    400,
                    "idempotency_error",
                    "Keys for idempotent requests can only be used with the same parameters "
                    "they were first used with.",
                )
            return status, {**body, "_replayed": True}
        status, body = self._execute(path, params, account, key)
        if key is not None:
            self._replays[(account, key)] = (path, params, status, body)
        return status, body

    def _execute(
        self, path: str, params: dict[str, Any], account: str | None, key: str | None
    ) -> tuple[int, dict[str, Any]]:
        """Execute a creation (no idempotency): a session or a refund."""
        if path.rstrip("/") == "/v1/refunds":
            return self._new_refund(params, account, key)
        return self._new_session(params, account)

    def _new_refund(
        self, params: dict[str, Any], account: str | None, key: str | None
    ) -> tuple[int, dict[str, Any]]:
        """``POST /v1/refunds``: https://docs.stripe.com/api/refunds/create"""
        intent, charge_id = params.get("payment_intent"), params.get("charge")
        if not intent and not charge_id:
            return _error(
                400,
                "invalid_request_error",
                "One of the following params should be provided for this request: payment_intent or charge.",
            )
        if charge_id:
            charge = self.charges.get(charge_id)
            if charge is None or charge["_account"] != account:
                return _error(
                    400,
                    "invalid_request_error",
                    f"No such charge: '{charge_id}'",
                    "resource_missing",
                    "charge",
                )
        else:
            known = any(s["payment_intent"] == intent for s in self._of(account, self.sessions.values()))
            if not known:
                return _error(
                    400,
                    "invalid_request_error",
                    f"No such payment_intent: '{intent}'",
                    "resource_missing",
                    "payment_intent",
                )
            found = self._charge_of_intent(intent, account)
            if found is None:
                return _no_successful_charge(intent)
            charge = found
        amount = int(params["amount"]) if "amount" in params else None
        if amount is not None and amount < 1:
            return _error(
                400, "invalid_request_error", "This value must be greater than or equal to 1.", param="amount"
            )
        metadata = params.get("metadata")
        request = {"id": self._next_id("req"), "idempotency_key": key}
        return self._refund_charge(
            charge,
            amount,
            params.get("reason"),
            dict(metadata) if isinstance(metadata, dict) else {},
            request,
        )

    def _new_session(self, params: dict[str, Any], account: str | None) -> tuple[int, dict[str, Any]]:
        now = self.now()
        if params.get("mode") != "payment":
            return _error(400, "invalid_request_error", "Missing required param: mode.", param="mode")
        if not params.get("success_url"):
            return _error(
                400, "invalid_request_error", "Missing required param: success_url.", param="success_url"
            )
        expires = int(params.get("expires_at") or now + MAX_EXPIRY)
        if not now + MIN_EXPIRY <= expires <= now + MAX_EXPIRY:
            return _error(
                400,
                "invalid_request_error",
                "The `expires_at` timestamp must be between 30 minutes and 24 hours "
                "from Checkout Session creation.",
                param="expires_at",
            )
        try:
            items = params["line_items"]
            amount = sum(int(i["price_data"]["unit_amount"]) * int(i.get("quantity", 1)) for i in items)
            currency = {i["price_data"]["currency"] for i in items}.pop()
        except (KeyError, TypeError, ValueError):
            return _error(400, "invalid_request_error", "Invalid line_items.", param="line_items")
        for index, item in enumerate(items):
            if not (item["price_data"].get("product_data") or {}).get("name"):
                param = f"line_items[{index}][price_data][product_data][name]"
                return _error(400, "invalid_request_error", f"Missing required param: {param}.", param=param)
        minimum = MINIMUM_CHARGE.get(currency, 50)
        if amount < minimum:  # https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts
            return _error(
                400,
                "invalid_request_error",
                "The Checkout Session's total amount due must add up to at least "
                f"${minimum / 100:.2f} {currency}",
            )
        session_id = self._next_id("cs")
        session = {
            "id": session_id,
            "object": "checkout.session",
            "mode": "payment",
            "status": "open",
            "payment_status": "unpaid",
            "amount_subtotal": amount,
            "amount_total": amount,
            "currency": currency,
            "created": now,
            "expires_at": expires,
            "locale": params.get("locale"),
            "metadata": dict(params.get("metadata") or {}),
            "payment_intent": None,
            "success_url": params["success_url"],
            "url": f"{self.url}/pay/{session_id}",
            "livemode": False,
            "_account": account,
            "_line_items": items,
            "_payment_intent_data": params.get("payment_intent_data") or {},
        }
        with self._lock:
            self.sessions[session_id] = session
        return 200, _public(session)

    @staticmethod
    def _of(account: str | None, items: Any) -> list[dict[str, Any]]:
        return [item for item in items if (item.get("_account") or item.get("account")) == account]

    @staticmethod
    def _list(items: list[dict[str, Any]], params: dict[str, Any], url: str) -> dict[str, Any]:
        created = params.get("created") or {}
        types = params.get("types") or ([params["type"]] if params.get("type") else [])
        rows = [
            item
            for item in items
            if int(item["created"]) >= int(created.get("gte", 0))
            and int(item["created"]) > int(created.get("gt", -1))
            and (not types or item.get("type") in types)
            and (not params.get("status") or item.get("status") == params["status"])
            and all(
                item.get(name) == params[name] for name in ("payment_intent", "charge") if params.get(name)
            )
        ]
        # newest first; for equal times, the later one first (as Stripe does)
        ordered = [
            row for _, row in sorted(enumerate(rows), key=lambda p: (p[1]["created"], p[0]), reverse=True)
        ]
        unique = ordered
        after = params.get("starting_after")
        if after:
            ids = [row["id"] for row in unique]
            unique = unique[ids.index(after) + 1 :] if after in ids else []
        limit = int(params.get("limit", 10))
        page = unique[:limit]
        return {
            "object": "list",
            "data": [_public(row) for row in page],
            "has_more": len(unique) > limit,
            "url": url,
        }


def _bearer(authorization: str) -> str:
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() == "basic":
        try:
            return base64.b64decode(value).decode().partition(":")[0]
        except (ValueError, UnicodeDecodeError):
            return ""
    return value if scheme.lower() == "bearer" else ""


def _public(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if not k.startswith("_")}


def _no_successful_charge(payment_intent: str | None) -> tuple[int, dict[str, Any]]:
    return _error(
        400,
        "invalid_request_error",
        f"This PaymentIntent ({payment_intent}) does not have a successful charge to refund.",
        param="payment_intent",
    )


def _error(
    status: int, type_: str, message: str, code: str | None = None, param: str | None = None
) -> tuple[int, dict[str, Any]]:
    return status, {"error": {"type": type_, "message": message, "code": code, "param": param}}


class _Handler(BaseHTTPRequestHandler):
    stripe: FakeStripe
    protocol_version = "HTTP/1.1"
    # headers and body go out in two writes: without TCP_NODELAY the body waits for the client's
    # delayed ACK, some 40 ms a request on loopback
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def _serve(self, method: str) -> None:
        fake = self.stripe
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        params = decode(parse_qsl(body if method == "POST" else split.query, keep_blank_values=True))
        if split.path.startswith(("/pay/", "/_fake/")):
            from tests.stripe_fake.pages import serve_page

            extra = decode(parse_qsl(split.query)) if method == "POST" else {}
            serve_page(self, fake, method, split.path, {**extra, **params})
            return
        account, key = self.headers.get("Stripe-Account"), self.headers.get("Idempotency-Key")
        version = self.headers.get("Stripe-Version")
        with fake._lock:
            fake.requests.append(
                Recorded(method, split.path, params, account, key, body, time.time(), version)
            )
            failure = next((f for f in fake.failures if split.path.startswith(f.path)), None)
            if failure is not None:
                fake.failures.remove(failure)
        with fake._lock:
            account, refusal = fake.authorize(
                self.headers.get("Authorization") or "", account, method, split.path
            )
        if refusal is not None:
            self._answer(*refusal)
            return
        if failure is not None and failure.kind == "reset":
            self._reset()
            return
        try:
            check_request(method, split.path, params)  # as Stripe validates, before it executes anything
        except Invalid as exc:
            self._answer(
                400, {"error": {"type": "invalid_request_error", "message": str(exc), "param": exc.param}}
            )
            return
        if failure is not None and failure.kind in ("saved-500", "saved-500-after") and key is not None:
            # Stripe began executing, then failed (after making the object, for "-after"): the 500
            # is saved for the key and replayed to it, marked Idempotent-Replayed
            answer = _error(500, "api_error", "An unknown error occurred.")
            with fake._lock:
                if failure.kind == "saved-500-after":
                    fake._execute(split.path, params, account, key)
                fake._replays[(account, key)] = (split.path, params, *answer)
            self._answer(*answer)
            return
        if failure is not None and failure.kind in ("409", "429", "500", "400"):
            status = int(failure.kind)
            messages = {
                409: "There is currently another in-progress request using this Stripe-Idempotency-Key.",
                429: "Too many requests.",
                500: "An unknown error occurred.",
                400: "Invalid request.",
            }
            kind = (
                "api_error"
                if status >= 500
                else ("idempotency_error" if status == 409 else "invalid_request_error")
            )
            self._answer(status, {"error": {"type": kind, "message": messages[status]}})
            return
        with fake._lock:
            status, payload = fake.handle(method, split.path, params, account, key)
        replayed = bool(payload.pop("_replayed", False))
        if failure is not None and failure.kind == "reset-after":
            self._reset()
            return
        if failure is not None and failure.kind == "hold":
            time.sleep(failure.seconds)
        time.sleep(fake.latency)
        self._answer(status, payload, replayed=replayed)

    def _answer(self, status: int, payload: dict[str, Any], *, replayed: bool = False) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if replayed:  # Stripe's mark on an answer it saved for the idempotency key
            self.send_header("Idempotent-Replayed", "true")
        self.send_header("Request-Id", f"req_{int(time.time() * 1000)}")
        self.end_headers()
        self.wfile.write(data)

    def _reset(self) -> None:
        """Close with RST, as a dropped connection looks to the client."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()

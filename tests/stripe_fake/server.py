"""A fake Stripe on 127.0.0.1, speaking the HTTP API Facteur uses, for the real ``stripe`` library.

Endpoints: ``POST /v1/checkout/sessions`` (with idempotency: the same key and parameters replay
the first answer, other parameters are refused as Stripe does), ``GET /v1/checkout/sessions``
(list, ``created[gte]``, pagination), ``GET /v1/checkout/sessions/{id}``,
``POST /v1/checkout/sessions/{id}/expire``, ``GET /v1/events`` (newest first, ``created``,
``types[]``, ``starting_after``, ``has_more``). Every request is recorded with its
``Stripe-Account`` and ``Idempotency-Key`` headers. Tests (or ``/_fake/…`` over HTTP) complete,
delay or expire sessions, and script failures: a 409, 429, 500 or 400 answer, a 500 Stripe saves
for the idempotency key and replays (``saved-500``, ``saved-500-after`` once the session was
made), a connection reset before or after the request was processed, or an answer held back.
Parameters are checked against the locked ``stripe`` library's request types (``spec``), amounts
against Stripe's minimum charge, product names are required. What it reproduces, and from which
Stripe page, is listed in ``tests/stripe_fake/README.md``.
"""

from __future__ import annotations

import itertools
import json
import socket
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
    requests: list[Recorded] = field(default_factory=list)
    failures: deque[Failure] = field(default_factory=deque)
    _replays: dict[tuple[str | None, str], tuple[dict[str, Any], int, dict[str, Any]]] = field(
        default_factory=dict
    )
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _server: ThreadingHTTPServer | None = None

    # running ------------------------------------------------------------------------------------

    def start(self, port: int = 0) -> FakeStripe:
        fake = self

        class Handler(_Handler):
            stripe = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
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
        return f"http://127.0.0.1:{self.port}"

    def now(self) -> int:
        return int(time.time() + self.offset)

    def fail_next(self, kind: str, *, path: str = "", times: int = 1, seconds: float = 0.0) -> None:
        for _ in range(times):
            self.failures.append(Failure(kind, path, seconds))

    def _next_id(self, prefix: str) -> str:
        return f"{prefix}_test_{next(self._ids):06d}{int(time.time() * 1000) % 100000:05d}"

    # what the tests read ------------------------------------------------------------------------

    def posts(self, path: str = "/v1/checkout/sessions") -> list[Recorded]:
        return [r for r in self.requests if r.method == "POST" and r.path == path]

    def session_for(self, invoice_number: str) -> list[dict[str, Any]]:
        return [s for s in self.sessions.values() if s["metadata"].get("invoice") == invoice_number]

    # what happens on Stripe's side --------------------------------------------------------------

    def complete(self, session_id: str, *, paid: bool = True) -> dict[str, Any]:
        """The patient paid (``paid``), or chose a delayed method (the payment clears later)."""
        with self._lock:
            session = self.sessions[session_id]
            assert session["status"] == "open", session["status"]
            session.update(status="complete", payment_status="paid" if paid else "unpaid")
            session["payment_intent"] = self._next_id("pi")
            return self.emit("checkout.session.completed", session)

    def async_result(self, session_id: str, *, succeeded: bool) -> dict[str, Any]:
        with self._lock:
            session = self.sessions[session_id]
            if succeeded:
                session["payment_status"] = "paid"
                return self.emit("checkout.session.async_payment_succeeded", session)
            return self.emit("checkout.session.async_payment_failed", session)

    def expire(self, session_id: str) -> dict[str, Any]:
        with self._lock:
            session = self.sessions[session_id]
            assert session["status"] == "open", session["status"]
            session["status"] = "expired"
            session["url"] = None
            return self.emit("checkout.session.expired", session)

    def emit(self, type_: str, session: dict[str, Any], *, created: int | None = None) -> dict[str, Any]:
        snapshot = {k: v for k, v in session.items() if not k.startswith("_")}
        event = {
            "id": self._next_id("evt"),
            "object": "event",
            "api_version": "2025-01-27.acacia",
            "account": session["_account"],
            "created": created if created is not None else self.now(),
            "data": {"object": json.loads(json.dumps(snapshot))},
            "livemode": False,
            "pending_webhooks": 0,
            "request": {"id": None, "idempotency_key": None},
            "type": type_,
        }
        with self._lock:
            self.events.append(event)
        return event

    # the API ------------------------------------------------------------------------------------

    def handle(
        self, method: str, path: str, params: dict[str, Any], account: str | None, key: str | None
    ) -> tuple[int, dict[str, Any]]:
        parts = [p for p in path.split("/") if p]
        if parts[:3] == ["v1", "checkout", "sessions"]:
            if method == "POST" and len(parts) == 3:
                return self._create(params, account, key)
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
        return _error(404, "invalid_request_error", f"Unrecognized request URL ({method}: {path})")

    def _create(
        self, params: dict[str, Any], account: str | None, key: str | None
    ) -> tuple[int, dict[str, Any]]:
        if key is not None and (account, key) in self._replays:
            first, status, body = self._replays[(account, key)]
            if first != params:
                return _error(
                    400,
                    "idempotency_error",
                    "Keys for idempotent requests can only be used with the same parameters "
                    "they were first used with.",
                )
            return status, {**body, "_replayed": True}
        status, body = self._new_session(params, account)
        if key is not None:
            self._replays[(account, key)] = (params, status, body)
        return status, body

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


def _public(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if not k.startswith("_")}


def _error(
    status: int, type_: str, message: str, code: str | None = None, param: str | None = None
) -> tuple[int, dict[str, Any]]:
    return status, {"error": {"type": type_, "message": message, "code": code, "param": param}}


class _Handler(BaseHTTPRequestHandler):
    stripe: FakeStripe
    protocol_version = "HTTP/1.1"

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
        if self.headers.get("Authorization") != f"Bearer {fake.api_key}":
            self._answer(
                401, {"error": {"type": "invalid_request_error", "message": "Invalid API Key provided"}}
            )
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
            # Stripe began executing, then failed (after making the session, for "-after"): the 500
            # is saved for the key and replayed to it, marked Idempotent-Replayed
            answer = _error(500, "api_error", "An unknown error occurred.")
            with fake._lock:
                if failure.kind == "saved-500-after":
                    fake._new_session(params, account)
                fake._replays[(account, key)] = (params, *answer)
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

"""The fake's own pages: the checkout page a patient opens (``/pay/{id}``: a Pay button), and
``/_fake/…`` to drive it by hand (``curl -X POST …/_fake/sessions/{id}/complete``):
``POST /_fake/sessions/{id}/{complete|succeed|fail|expire}`` answer the event;
``POST /_fake/sessions/{id}/refund`` (``amount``, ``reason``) answers the Refund,
``POST /_fake/sessions/{id}/dispute`` (``reason``) the Dispute, and
``POST /_fake/disputes/{id}/close`` (``outcome=won|lost``) the closed Dispute. A refusal answers
400 with Stripe's error (``Refused``) or the reason the action makes no sense (``ValueError``).
``POST /_fake/keys`` (``account``, ``permissions``: comma-separated ``rak_…`` names, all by
default) answers ``{"key": "rk_test_…"}``; ``POST /_fake/keys/{key}/revoke`` revokes it;
``POST /_fake/clock`` (``advance``: seconds) moves the fake's time, expiring sessions as it goes."""

from __future__ import annotations

import html
import json
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.stripe_fake.server import FakeStripe


def serve_page(
    handler: BaseHTTPRequestHandler, fake: FakeStripe, method: str, path: str, params: dict[str, Any]
) -> None:
    from tests.stripe_fake.server import ALL_PERMISSIONS

    parts = [p for p in path.split("/") if p]
    if parts[0] == "pay" and len(parts) == 2 and parts[1] in fake.sessions:
        session = fake.sessions[parts[1]]
        if method == "POST" and session["status"] == "open":
            fake.complete(session["id"], paid=params.get("method") != "bank")
        _html(handler, _checkout_page(fake.sessions[parts[1]]))
        return
    if parts[:2] == ["_fake", "sessions"] and method == "GET" and len(parts) == 2:
        _json(
            handler,
            200,
            [{k: v for k, v in s.items() if not k.startswith("_")} for s in fake.sessions.values()],
        )
        return
    if (
        parts[:2] == ["_fake", "sessions"]
        and len(parts) == 4
        and method == "POST"
        and parts[2] in fake.sessions
    ):
        action, session_id = parts[3], parts[2]
        if action == "complete":
            event = fake.complete(session_id, paid=params.get("delayed") != "1")
        elif action == "succeed":
            event = fake.async_result(session_id, succeeded=True)
        elif action == "fail":
            event = fake.async_result(session_id, succeeded=False)
        elif action == "expire":
            event = fake.expire(session_id)
        elif action in ("refund", "dispute"):
            _control(handler, fake, action, session_id, params)
            return
        else:
            _json(handler, 404, {"error": "unknown action"})
            return
        _json(handler, 200, event)
        return
    if parts[:2] == ["_fake", "keys"] and method == "POST":
        if len(parts) == 2 and params.get("account"):
            named = [p for p in str(params.get("permissions") or "").split(",") if p]
            key = fake.mint_key(params["account"], frozenset(named) if named else ALL_PERMISSIONS)
            _json(handler, 200, {"key": key})
            return
        if parts[3:] == ["revoke"] and parts[2] in fake.keys:
            fake.revoke_key(parts[2])
            _json(handler, 200, {"revoked": True})
            return
    if parts == ["_fake", "clock"] and method == "POST":
        fake.offset += float(params.get("advance") or 0)
        fake.expire_due()
        _json(handler, 200, {"now": fake.now()})
        return
    if parts[:2] == ["_fake", "disputes"] and parts[3:] == ["close"] and method == "POST":
        _control(handler, fake, "close", parts[2], params)
        return
    _json(handler, 404, {"error": "not found"})


def _control(
    handler: BaseHTTPRequestHandler, fake: FakeStripe, action: str, target: str, params: dict[str, Any]
) -> None:
    from tests.stripe_fake.server import Refused

    try:
        if action == "refund":
            amount = params.get("amount")
            result = fake.refund(
                target,
                int(amount) if amount else None,
                reason=params.get("reason") or "requested_by_customer",
            )
        elif action == "dispute":
            result = fake.dispute(target, reason=params.get("reason") or "fraudulent")
        elif target in fake.disputes:
            result = fake.close_dispute(target, params.get("outcome", ""))
        else:
            _json(handler, 404, {"error": "not found"})
            return
    except Refused as refused:
        _json(handler, refused.status, refused.body)
        return
    except ValueError as exc:
        _json(handler, 400, {"error": str(exc)})
        return
    _json(handler, 200, result)


def _checkout_page(session: dict[str, Any]) -> str:
    amount = f"{session['amount_total'] / 100:.2f} {session['currency'].upper()}"
    line = html.escape(str(session["_line_items"][0]["price_data"]["product_data"]["name"]))
    if session["status"] != "open":
        state = f"<p>Session {html.escape(session['status'])} ({html.escape(session['payment_status'])}).</p>"
        return f"<!DOCTYPE html><html><body><h1>{line}</h1><p>{amount}</p>{state}</body></html>"
    return (
        f"<!DOCTYPE html><html><body><h1>{line}</h1><p>{amount}</p>"
        '<form method="post"><button>Pay</button></form>'
        '<form method="post"><input type="hidden" name="method" value="bank">'
        "<button>Pay by bank debit</button></form>"
        "</body></html>"
    )


def _html(handler: BaseHTTPRequestHandler, page: str) -> None:
    data = page.encode()
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html; charset=utf-8")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


def _json(handler: BaseHTTPRequestHandler, status: int, payload: Any) -> None:
    data = json.dumps(payload).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)

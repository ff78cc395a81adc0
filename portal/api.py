"""The agent's JSON API (``/api/v1``), authenticated with a bearer token from the environment.

- ``GET  /api/v1/health``: ``{"ok": true}``, the agent's reachability probe;
- ``PUT  /api/v1/links/{token_hash}``: publish or replace a link (201 created, 200 replaced,
  403 without the proof of an existing link's token, 409 when that link was revoked, 400 bad
  body, 413 body too large);
- ``POST /api/v1/links``: publish up to ``MAX_BATCH`` links in one call, as PUTs one after the
  other would; 200 with a status per link (201, 200, 403, 409, 400), 400 when the batch itself is bad,
  403 when an entry has no ``link_key`` (a client older than the portal);
- ``POST /api/v1/links/{token_hash}/revoke``: 200 (again too), 403 without the proof, 404 unknown;
- ``GET  /api/v1/events?after=N&limit=M``: what patients did, oldest first, each naming its link by
  an opaque tag (``secure_link.event_tag``), never by the hash the calls above take;
- ``PUT  /api/v1/pay/{token_hash}``: an invoice's Pay page (``portal.pay_doors``): 200 with the
  version kept, 403 without the page's key, 400 bad body;
- ``GET  /api/v1/pay-sessions?after=N&limit=M``: the Checkout Sessions the Pay pages made.

No token configured on the portal: every call answers 503; a wrong or missing bearer,
401; over ``[portal] api_rate_limit`` a minute from one address, 429 (``portal.app``).
Errors are ``{"error": reason}``, with a ``code`` where a client acts on it. Holding the API
token is not enough to change a live link: see ``portal.links``.
"""

from __future__ import annotations

import hmac
import logging
import re
from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from locales import N_
from models.messaging.secure_link import event_tag
from portal.links import Publication, PublishRefused
from portal.pay_doors import MAX_DOOR_BODY, DoorRefused, parse_door, put_door, sessions_after
from portal.publish_body import (
    BadRequest,
    LinkKeyRequired,
    is_token_hash,
    parse_batch,
    parse_link_key,
    parse_publication,
    parse_publication_object,
)
from portal.services import Portal, log_tr, services
from portal.webhook_events import webhook_events_after

log = logging.getLogger("facteur.portal")

NO_TOKEN_CODE = "api_token_not_configured"  # noqa: S105 (a code, read by the agent's client: a configuration problem
MAX_EVENTS = 1000
MAX_REVOKE_BODY = 1024  # {"link_key": "<64 hex>"} and some slack
# ASCII digits only: int() and str.isdigit() accept other scripts' digits and superscripts too
DIGITS = re.compile(r"[0-9]{1,19}")


def api_error(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=status)


def too_many_requests(retry_after: int) -> JSONResponse:
    """The answer past ``[portal] api_rate_limit``: the agent slows its portal channel down."""
    return JSONResponse(
        {"error": f"too many requests; try again in {retry_after} s"},
        status_code=429,
        headers={"Retry-After": str(retry_after)},
    )


def _refusal(exc: BadRequest | PublishRefused) -> JSONResponse:
    return api_error(exc.status, str(exc), **({"code": exc.code} if exc.code else {}))


def _refusal_entry(exc: BadRequest | PublishRefused) -> dict[str, Any]:
    """A batch result's fields for a refused entry: what a PUT of it would have answered."""
    return {"status": exc.status, "error": str(exc), **({"code": exc.code} if exc.code else {})}


def _note_refused(token_hash: str, exc: BadRequest | PublishRefused) -> None:
    """One log line for a change refused for want of a proof (an agent too old, or a stolen API token)."""
    if exc.status == 403:
        log.warning(
            log_tr().format(
                N_("link {link}…: a change without the proof of its token was refused"), link=token_hash[:8]
            )
        )


def _refused(request: Request, portal: Portal) -> Response | None:
    """The response refusing this call, or None when its bearer token is the portal's."""
    expected = portal.options.api_token
    if not expected:
        return api_error(
            503,
            f"the portal has no API token: set the environment variable {portal.options.token_env}",
            code=NO_TOKEN_CODE,
        )
    given = request.headers.get("authorization", "")
    if not hmac.compare_digest(given.encode("utf-8"), f"Bearer {expected}".encode()):
        return JSONResponse(
            {"error": "wrong or missing API token"},
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer realm="facteur-portal"'},
        )
    return None


async def bounded_body(request: Request, limit: int) -> bytes | None:
    """The body, or None once it passes ``limit`` bytes (announced or streamed)."""
    announced = request.headers.get("content-length")
    if announced and DIGITS.fullmatch(announced) and int(announced) > limit:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)


async def health(request: Request) -> Response:
    portal = services(request)
    return _refused(request, portal) or JSONResponse({"ok": True})


async def _put_parts(request: Request, limit: int | None = None) -> tuple[Portal, str, bytes] | Response:
    """What every PUT to a token hash checks first: the API token, the path's hash, a body of at
    most ``limit`` bytes (``[portal] max_body_mb`` when None); the refusal, else the three."""
    portal = services(request)
    refused = _refused(request, portal)
    if refused:
        return refused
    token_hash = request.path_params["token_hash"]
    if not is_token_hash(token_hash):
        return api_error(400, "the path must end with a token hash (64 lowercase hex digits)")
    limit = portal.options.max_body_bytes if limit is None else limit
    body = await bounded_body(request, limit)
    if body is None:
        return api_error(413, f"the body is larger than {limit} bytes")
    return portal, token_hash, body


async def put_link(request: Request) -> Response:
    parts = await _put_parts(request)
    if isinstance(parts, Response):
        return parts
    portal, token_hash, body = parts
    now = portal.now()
    try:
        publication = parse_publication(token_hash, body, now)
        created = await run_in_threadpool(portal.store.publish, publication, now)
    except (BadRequest, PublishRefused) as exc:
        _note_refused(token_hash, exc)
        return _refusal(exc)
    _log_published(token_hash, created)
    return JSONResponse({"token_hash": token_hash, "created": created}, status_code=201 if created else 200)


async def post_links(request: Request) -> Response:
    """Many PUTs in one request: one blob-folder sync and one transaction for the lot."""
    portal = services(request)
    refused = _refused(request, portal)
    if refused:
        return refused
    body = await bounded_body(request, portal.options.max_body_bytes)
    if body is None:
        return api_error(413, f"the body is larger than {portal.options.max_body_bytes} bytes")
    now = portal.now()
    try:
        entries = parse_batch(body)
    except LinkKeyRequired as exc:
        _note_refused(exc.token_hash, exc)
        return _refusal(exc)
    except BadRequest as exc:
        return _refusal(exc)
    results: list[dict[str, Any]] = []
    publications: list[Publication] = []
    for token_hash, entry in entries:
        results.append({"token_hash": token_hash})
        try:
            publications.append(parse_publication_object(token_hash, entry, now))
        except BadRequest as exc:
            _note_refused(token_hash, exc)
            results[-1].update(_refusal_entry(exc))
    outcomes = iter(await run_in_threadpool(portal.store.publish_many, publications, now))
    for result in results:
        if "status" in result:
            continue
        outcome = next(outcomes)
        if isinstance(outcome, PublishRefused):
            _note_refused(result["token_hash"], outcome)
            result.update(_refusal_entry(outcome))
        else:
            result["status"] = 201 if outcome else 200
            _log_published(result["token_hash"], outcome)
    return JSONResponse({"results": results})


def _log_published(token_hash: str, created: bool) -> None:
    msgid = N_("link {link}… published") if created else N_("link {link}… replaced")
    log.info(log_tr().format(msgid, link=token_hash[:8]))


async def revoke_link(request: Request) -> Response:
    portal = services(request)
    refused = _refused(request, portal)
    if refused:
        return refused
    token_hash = request.path_params["token_hash"]
    if not is_token_hash(token_hash):
        return api_error(400, "the path must hold a token hash (64 lowercase hex digits)")
    body = await bounded_body(request, MAX_REVOKE_BODY)
    if body is None:
        return api_error(413, f"the body is larger than {MAX_REVOKE_BODY} bytes")
    try:
        link_key = parse_link_key(body)
        if not await run_in_threadpool(portal.store.revoke, token_hash, link_key, portal.now()):
            return api_error(404, "no such link")
    except (BadRequest, PublishRefused) as exc:
        _note_refused(token_hash, exc)
        return _refusal(exc)
    log.info(log_tr().format(N_("link {link}… revoked"), link=token_hash[:8]))
    return JSONResponse({"token_hash": token_hash, "revoked": True})


def _int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not DIGITS.fullmatch(raw) or not low <= int(raw) <= high:
        raise BadRequest(f"{name} must be an integer from {low} to {high}")
    return int(raw)


def _feed_page(request: Request, default_limit: int) -> tuple[int, int]:
    """A feed's ``after`` cursor and page size, from the query (``BadRequest`` when out of range)."""
    return (
        _int_param(request, "after", 0, 0, 2**63 - 1),
        _int_param(request, "limit", default_limit, 1, MAX_EVENTS),
    )


async def events(request: Request) -> Response:
    portal = services(request)
    refused = _refused(request, portal)
    if refused:
        return refused
    try:
        after, limit = _feed_page(request, 500)
    except BadRequest as exc:
        return api_error(400, str(exc))
    rows, last = await run_in_threadpool(portal.store.events, after, limit)
    return JSONResponse(
        {
            "events": [
                {
                    "id": row.id,
                    "tag": event_tag(row.token_hash),
                    "kind": row.kind,
                    "document": row.document,
                    "at": row.at.isoformat().replace("+00:00", "Z"),
                }
                for row in rows
            ],
            "last": last,
        }
    )


async def _feed(
    request: Request, page: Callable[[int, int], dict[str, Any]], default_limit: int = 100
) -> Response:
    """A feed the agent pulls from its cursor: the API token, ``after`` and ``limit`` checked, then
    ``page(after, limit)`` (a database read, off the event loop) as the answer."""
    portal = services(request)
    refused = _refused(request, portal)
    if refused:
        return refused
    try:
        after, limit = _feed_page(request, default_limit)
    except BadRequest as exc:
        return api_error(400, str(exc))
    return JSONResponse(await run_in_threadpool(page, after, limit))


async def stripe_events(request: Request) -> Response:
    """Stripe's events the webhook kept, for the agent to apply: ``{"events": [{"id", "event"}], "last"}``."""

    def page(after: int, limit: int) -> dict[str, Any]:
        rows, last = webhook_events_after(after, limit)
        return {"events": [{"id": id, "event": event} for id, event in rows], "last": last}

    return await _feed(request, page)


async def put_pay_door(request: Request) -> Response:
    """An invoice's Pay page (``portal.pay_doors``): 200 with the version kept."""
    parts = await _put_parts(request, MAX_DOOR_BODY)
    if isinstance(parts, Response):
        return parts
    portal, token_hash, body = parts
    try:
        door = parse_door(body)
        version = await run_in_threadpool(put_door, token_hash, door, portal.now())
    except BadRequest as exc:
        return _refusal(exc)
    except DoorRefused as exc:
        if exc.status == 403:
            log.warning(
                log_tr().format(
                    N_("Pay page {page}…: a change without its key was refused"), page=token_hash[:8]
                )
            )
        return api_error(exc.status, str(exc), code=exc.code)
    return JSONResponse({"version": version})


async def pay_sessions(request: Request) -> Response:
    """The Checkout Sessions the Pay pages made: ``{"sessions": [...], "last"}``."""

    def page(after: int, limit: int) -> dict[str, Any]:
        items, last = sessions_after(after, limit)
        return {"sessions": items, "last": last}

    return await _feed(request, page)


ROUTES = [
    Route("/api/v1/health", health, methods=["GET"]),
    Route("/api/v1/links", post_links, methods=["POST"]),
    Route("/api/v1/links/{token_hash}", put_link, methods=["PUT"]),
    Route("/api/v1/links/{token_hash}/revoke", revoke_link, methods=["POST"]),
    Route("/api/v1/events", events, methods=["GET"]),
    Route("/api/v1/stripe-events", stripe_events, methods=["GET"]),
    Route("/api/v1/pay/{token_hash}", put_pay_door, methods=["PUT"]),
    Route("/api/v1/pay-sessions", pay_sessions, methods=["GET"]),
]

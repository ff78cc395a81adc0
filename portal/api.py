"""The agent's JSON API (``/api/v1``), authenticated with a bearer token from the environment.

- ``GET  /api/v1/health``: ``{"ok": true}``, the agent's reachability probe;
- ``PUT  /api/v1/links/{token_hash}``: publish or replace a link (201 created, 200 replaced,
  409 when that link was revoked, 400 bad body, 413 body too large);
- ``POST /api/v1/links``: publish up to ``MAX_BATCH`` links in one call, as PUTs one after the
  other would; 200 with a status per link (201, 200, 409, 400), 400 when the batch itself is bad;
- ``POST /api/v1/links/{token_hash}/revoke``: 200 (again too), 404 unknown;
- ``GET  /api/v1/events?after=N&limit=M``: what patients did, oldest first.

No token configured on the portal: every call answers 503; a wrong or missing bearer,
401. Errors are ``{"error": reason}``.
"""

from __future__ import annotations

import hmac
import logging
import re
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from locales import N_
from portal.links import LinkRevokedError, Publication
from portal.publish_body import (
    BadRequest,
    is_token_hash,
    parse_batch,
    parse_publication,
    parse_publication_object,
)
from portal.services import Portal, log_tr, services

log = logging.getLogger("facteur.portal")

NO_TOKEN_CODE = "api_token_not_configured"  # noqa: S105 (a code, read by the agent's client: a configuration problem
MAX_EVENTS = 1000
REVOKED = "this link was revoked; publish a new link instead"
# ASCII digits only: int() and str.isdigit() accept other scripts' digits and superscripts too
DIGITS = re.compile(r"[0-9]{1,19}")


def api_error(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=status)


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


async def _body(request: Request, limit: int) -> bytes | None:
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


async def put_link(request: Request) -> Response:
    portal = services(request)
    refused = _refused(request, portal)
    if refused:
        return refused
    token_hash = request.path_params["token_hash"]
    if not is_token_hash(token_hash):
        return api_error(400, "the path must end with a token hash (64 lowercase hex digits)")
    body = await _body(request, portal.options.max_body_bytes)
    if body is None:
        return api_error(413, f"the body is larger than {portal.options.max_body_bytes} bytes")
    now = portal.now()
    try:
        publication = parse_publication(token_hash, body, now)
    except BadRequest as exc:
        return api_error(400, str(exc))
    try:
        created = await run_in_threadpool(portal.store.publish, publication, now)
    except LinkRevokedError:
        return api_error(409, REVOKED)
    _log_published(token_hash, created)
    return JSONResponse({"token_hash": token_hash, "created": created}, status_code=201 if created else 200)


async def post_links(request: Request) -> Response:
    """Many PUTs in one request: one blob-folder sync and one transaction for the lot."""
    portal = services(request)
    refused = _refused(request, portal)
    if refused:
        return refused
    body = await _body(request, portal.options.max_body_bytes)
    if body is None:
        return api_error(413, f"the body is larger than {portal.options.max_body_bytes} bytes")
    now = portal.now()
    try:
        entries = parse_batch(body)
    except BadRequest as exc:
        return api_error(400, str(exc))
    results: list[dict[str, Any]] = []
    publications: list[Publication] = []
    for token_hash, entry in entries:
        results.append({"token_hash": token_hash})
        try:
            publications.append(parse_publication_object(token_hash, entry, now))
        except BadRequest as exc:
            results[-1].update(status=400, error=str(exc))
    outcomes = iter(await run_in_threadpool(portal.store.publish_many, publications, now))
    for result in results:
        if "status" in result:
            continue
        outcome = next(outcomes)
        if isinstance(outcome, LinkRevokedError):
            result.update(status=409, error=REVOKED)
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
    if not await run_in_threadpool(portal.store.revoke, token_hash, portal.now()):
        return api_error(404, "no such link")
    log.info(log_tr().format(N_("link {link}… revoked"), link=token_hash[:8]))
    return JSONResponse({"token_hash": token_hash, "revoked": True})


def _int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not DIGITS.fullmatch(raw) or not low <= int(raw) <= high:
        raise BadRequest(f"{name} must be an integer from {low} to {high}")
    return int(raw)


async def events(request: Request) -> Response:
    portal = services(request)
    refused = _refused(request, portal)
    if refused:
        return refused
    try:
        after = _int_param(request, "after", 0, 0, 2**63 - 1)
        limit = _int_param(request, "limit", 500, 1, MAX_EVENTS)
    except BadRequest as exc:
        return api_error(400, str(exc))
    rows, last = await run_in_threadpool(portal.store.events, after, limit)
    return JSONResponse(
        {
            "events": [
                {
                    "id": row.id,
                    "token_hash": row.token_hash,
                    "kind": row.kind,
                    "document": row.document,
                    "at": row.at.isoformat().replace("+00:00", "Z"),
                }
                for row in rows
            ],
            "last": last,
        }
    )


ROUTES = [
    Route("/api/v1/health", health, methods=["GET"]),
    Route("/api/v1/links", post_links, methods=["POST"]),
    Route("/api/v1/links/{token_hash}", put_link, methods=["PUT"]),
    Route("/api/v1/links/{token_hash}/revoke", revoke_link, methods=["POST"]),
    Route("/api/v1/events", events, methods=["GET"]),
]

"""The portal's ASGI application: ``create_app(options)``, the one factory the CLI and the tests use.

Its state lives in ``options.data_dir`` (0700): ``portal.db`` (0600), ``blobs/`` and the
grant-signing ``secret`` when none comes from the environment; the PIN ``pepper`` too, unless
the environment or ``[portal] pepper_file`` keeps it elsewhere. The clock is injected,
so tests can stand one second before an expiry, then on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from locales import N_
from portal import api, pages, pay_pages
from portal.blobs import BlobStore, ensure_private_dir
from portal.checkout import PortalCheckout
from portal.grants import Grants, load_or_create_secret
from portal.headers import SecurityHeaders
from portal.links import LinkStore
from portal.pepper import confirm_peppers, load_peppers
from portal.ratelimit import RateLimiter, client_address
from portal.services import Clock, Portal, PortalOptions, log_tr, system_clock
from portal.storage import (
    DATABASE_FILE,
    close_portal_database,
    connect_portal_database,
    pepper_versions_in_use,
    prepare_portal_schema,
    record_pepper_checks,
    recorded_pepper_checks,
)

log = logging.getLogger("facteur.portal")

STATIC = Path(__file__).parent / "static"
SWEEP_SECONDS = 300.0
UNLIMITED_PREFIXES = ("/static/", "/favicon.ico")
API_PREFIX = "/api/"


class RateLimit:
    """Counts every request but the stylesheet's against the client's address: the API's against a
    limit of its own (``[portal] api_rate_limit``, sized for an agent's batches), the pages' against
    ``[portal] rate_limit``; both answer 429 with ``Retry-After``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(UNLIMITED_PREFIXES):
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        portal: Portal = scope["app"].state.portal
        address = client_address(
            request.client.host if request.client else None,
            request.headers.get("x-forwarded-for"),
            portal.options.trust_forwarded,
        )
        is_api = scope["path"].startswith(API_PREFIX)
        limiter = portal.api_limiter if is_api else portal.limiter
        if limiter.allow(address):
            await self.app(scope, receive, send)
            return
        retry_after = limiter.retry_after(address)
        response: Response
        if is_api:
            response = api.too_many_requests(retry_after)
        else:
            response = pages.too_many_requests_page(request, retry_after)
        await response(scope, receive, send)


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    if _is_api(request):
        reason = {404: "no such endpoint", 405: "method not allowed"}.get(status, "error")
        return api.api_error(status, reason)
    if status == 404:
        return pages.not_found_page(request)
    if status == 405:
        return pages.error_page(request, 400)
    return pages.error_page(request, status if 400 <= status < 600 else 500)


def loggable_path(path: str) -> str:
    """A path fit for a log: a link's or a Pay page's token is a secret, so it is cut off."""
    for secret in ("/l/", "/pay/"):
        if path.startswith(secret):
            return f"{secret}…"
    return path


async def _server_error(request: Request, exc: Exception) -> Response:
    log.exception(
        log_tr().format(
            N_("error on {method} {path}"), method=request.method, path=loggable_path(request.url.path)
        )
    )
    if _is_api(request):
        return api.api_error(500, "internal error")
    return pages.error_page(request, 500)


async def _no_favicon(request: Request) -> Response:
    return Response(status_code=404)


async def _sweep_forever(portal: Portal, every: float) -> None:
    while True:
        try:
            swept = await run_in_threadpool(portal.store.sweep, portal.now())
            if swept:
                log.info(
                    log_tr().nformat(
                        "deleted the documents of {n} expired or revoked link",
                        "deleted the documents of {n} expired or revoked links",
                        swept,
                    )
                )
        except Exception:
            log.exception(log_tr().gettext(N_("the sweep of expired links failed; trying again later")))
        await asyncio.sleep(every)


def build_portal(
    options: PortalOptions, clock: Clock = system_clock, monotonic: Callable[[], float] = time.monotonic
) -> Portal:
    """Open the portal's storage under ``options.data_dir`` (creating it owner-only) with its pepper;
    ``ConfigError`` when the pepper cannot serve the live links (``portal.pepper``)."""
    data_dir = ensure_private_dir(options.data_dir)
    database = connect_portal_database(data_dir / DATABASE_FILE)
    try:
        peppers = load_peppers(
            options.pepper,
            options.pepper_env,
            options.pepper_path,
            needed=pepper_versions_in_use(database, clock()),
        )
        prepare_portal_schema(database, peppers)
        confirm_peppers(peppers, recorded_pepper_checks())
        record_pepper_checks({version: peppers.check(version) for version in peppers.versions})
    except BaseException:
        close_portal_database()
        raise
    return Portal(
        options=options,
        store=LinkStore(BlobStore(data_dir / "blobs"), peppers),
        grants=Grants(load_or_create_secret(data_dir, options.secret)),
        limiter=RateLimiter(options.rate_limit, monotonic),
        api_limiter=RateLimiter(options.api_rate_limit, monotonic),
        clock=clock,
        checkout=PortalCheckout(options.checkout) if options.checkout is not None else None,
    )


def create_app(
    options: PortalOptions,
    *,
    clock: Clock = system_clock,
    monotonic: Callable[[], float] = time.monotonic,
    sweep_seconds: float | None = SWEEP_SECONDS,
    extra_routes: Sequence[BaseRoute] = (),
) -> ASGIApp:
    """The portal, ready for uvicorn; ``sweep_seconds=None`` leaves the sweep to the caller;
    ``extra_routes``: the Stripe webhook where the clinic enables it."""
    portal = build_portal(options, clock, monotonic)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        sweeper = asyncio.create_task(_sweep_forever(portal, sweep_seconds)) if sweep_seconds else None
        try:
            yield
        finally:
            if sweeper is not None:
                sweeper.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sweeper

    routes = [
        Route("/l/{token}", pages.link_page, methods=["GET"]),
        Route("/l/{token}", pages.submit_pin, methods=["POST"]),
        Route("/l/{token}/documents/{slot}", pages.download, methods=["GET"]),
        Route("/pay/{token}", pay_pages.pay, methods=["GET"]),
        Route("/paid", pay_pages.paid_page, methods=["GET"]),
        Route("/pay-cancelled", pages.pay_cancelled_page, methods=["GET"]),
        Route("/favicon.ico", _no_favicon, methods=["GET"]),
        *extra_routes,
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
        *api.ROUTES,
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(RateLimit)],
        exception_handlers={404: _http_error, 405: _http_error, 500: _server_error},
        lifespan=lifespan,
    )
    # Starlette's trailing-slash redirect is absolute and built from the request's Host header,
    # which a client chooses; the portal's own redirects are relative paths
    app.router.redirect_slashes = False
    app.state.portal = portal
    return SecurityHeaders(app)

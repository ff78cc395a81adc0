"""``facteur portal``: the portal under uvicorn, with its sweep and live-reloaded wording.

uvicorn's access log is off (a link's token is in its path, and a token is a secret),
and so are its proxy headers: the client address comes from X-Forwarded-For only when
``[portal] trust_forwarded`` says the portal sits behind a proxy (``portal.ratelimit``).
"""

from __future__ import annotations

import logging
import os
import sys

from locales import N_
from models.core.config import Config
from models.core.logs import OneLineFormatter
from portal.services import PortalOptions, log_tr

log = logging.getLogger("facteur.portal")


def split_listen(listen: str) -> tuple[str, int]:
    """``"127.0.0.1:8088"`` -> ``("127.0.0.1", 8088)``; ``"[::1]:9000"`` -> ``("::1", 9000)``."""
    host, _, port = listen.rpartition(":")
    if not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ValueError(f"expected host:port, not {listen!r}")
    return host.strip("[]"), int(port)


def configure_logging(level: int = logging.INFO) -> None:
    """One line per event on stderr; journald adds the time and the unit."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(OneLineFormatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("facteur")
    root.handlers[:] = [handler]
    root.setLevel(level)


def serve(config: Config, listen: str) -> None:
    """Run the portal until SIGTERM/SIGINT."""
    import uvicorn

    from portal.app import create_app
    from portal.slow_clients import deadline_protocol

    host, port = split_listen(listen)
    os.umask(0o077)  # everything the portal writes is for its owner only
    options = PortalOptions.from_config(config)
    from portal.stripe_webhook import stripe_webhook_routes

    # a clinic with a public address: Stripe's events kept for the agent (never the clinic's database)
    webhook = stripe_webhook_routes(config)
    app = create_app(options, extra_routes=webhook)
    watcher = None
    if config.locales.watch:
        from locales.watch import CatalogWatcher

        watcher = CatalogWatcher().start()
    if not options.api_token:
        log.warning(
            log_tr().format(
                N_("no API token in {variable}: the agent cannot publish until it is set"),
                variable=options.token_env,
            )
        )
    log.info(
        log_tr().format(N_("portal on {address}, data in {path}"), address=listen, path=str(options.data_dir))
    )
    try:
        uvicorn.run(
            app,
            host=host,
            port=port,
            http=deadline_protocol(config.portal.header_timeout),  # slow clients: ``portal.slow_clients``
            limit_concurrency=config.portal.max_connections,
            access_log=False,
            proxy_headers=False,
            server_header=False,
            log_level="warning",
            timeout_graceful_shutdown=10,
        )
    finally:
        if watcher is not None:
            watcher.stop()

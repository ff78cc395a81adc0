"""What the portal's routes share: its options (from the configuration), store, grants, limiters, clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from starlette.requests import Request

from locales import N_, Translator, default_registry
from models.core.config import MIN_API_TOKEN_CHARS, Config
from models.core.errors import ConfigError
from portal.checkout import CheckoutOptions, PortalCheckout
from portal.grants import Grants
from portal.links import LinkStore
from portal.pepper import PEPPER_FILE
from portal.ratelimit import RateLimiter

Clock = Callable[[], dt.datetime]


def system_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class PortalOptions:
    """The portal's settings, resolved: paths absolute, secrets read from the environment."""

    data_dir: Path
    api_token: str | None
    token_env: str
    secret: str | None  # the grant-signing secret from the environment; None: the file in data_dir
    rate_limit: int
    trust_forwarded: bool
    max_body_bytes: int
    secure_cookies: bool
    default_timezone: str = "America/Toronto"
    default_country: str = "CA"
    api_rate_limit: int = 3000
    pepper: str | None = None  # the PIN pepper's entries from the environment; None: the file
    pepper_env: str = "FACTEUR_PORTAL_PEPPER"
    pepper_file: Path | None = None  # None: data_dir/pepper
    public_url: str = ""  # [portal] url: where Checkout sends the patient back
    checkout: CheckoutOptions | None = None  # the Pay pages' road to Stripe

    @property
    def pepper_path(self) -> Path:
        return self.pepper_file or self.data_dir / PEPPER_FILE

    @classmethod
    def from_config(cls, config: Config) -> PortalOptions:
        """The options; ``ConfigError`` when the API token is set but shorter than ``MIN_API_TOKEN_CHARS``."""
        p = config.portal
        api_token = config.secret(p.token_env)
        if api_token and len(api_token) < MIN_API_TOKEN_CHARS:
            raise ConfigError(
                N_("the portal API token in {variable} ([portal] token_env) has fewer than {n} characters"),
                variable=p.token_env,
                n=MIN_API_TOKEN_CHARS,
            )
        return cls(
            data_dir=config.resolve(p.data_dir),
            api_token=api_token,
            token_env=p.token_env,
            secret=config.secret(p.secret_env) if p.secret_env else None,
            rate_limit=p.rate_limit,
            api_rate_limit=p.api_rate_limit,
            pepper=config.secret(p.pepper_env) if p.pepper_env else None,
            pepper_env=p.pepper_env,
            pepper_file=config.resolve(p.pepper_file) if p.pepper_file else None,
            trust_forwarded=p.trust_forwarded,
            max_body_bytes=int(p.max_body_mb * 1024 * 1024),
            secure_cookies=p.url.startswith("https://"),
            default_timezone=config.clinic.timezone,
            default_country=config.clinic.country,
            public_url=p.url,
            checkout=CheckoutOptions(
                keys_dir=config.resolve(config.stripe.keys_dir),
                platform_env=config.stripe.portal_key_env,
                api_base=config.stripe.api_base,
                timeout=min(config.stripe.timeout, 10.0),  # a patient is waiting
                ca_file=str(config.resolve(config.stripe.ca_file)) if config.stripe.ca_file else "",
            ),
        )


@dataclass
class Portal:
    """One running portal's collaborators, reachable from a request as ``request.app.state.portal``."""

    options: PortalOptions
    store: LinkStore
    grants: Grants
    limiter: RateLimiter  # the patient pages'
    api_limiter: RateLimiter  # the agent's API's
    clock: Clock
    checkout: PortalCheckout | None = None  # the Pay pages' Stripe client

    def now(self) -> dt.datetime:
        return self.clock()


def log_tr() -> Translator:
    """The translator of the portal's log lines: the clinic's language, like the agent's."""
    registry = default_registry()
    return registry.translator(registry.log_language)


def services(request: Request) -> Portal:
    portal: Portal = request.app.state.portal
    return portal

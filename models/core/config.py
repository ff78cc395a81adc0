"""Facteur's configuration: a TOML file, or the embedded defaults.

Where it comes from, first found wins: ``--config PATH``, the ``FACTEUR_CONFIG``
variable, ``./facteur.toml``, else the defaults below (SQLite, a Maildir and an
SMS file under ``var/``, the portal on 127.0.0.1). Relative paths in a file are
relative to that file's folder; in the defaults, to the working directory.
Secrets are never in the file: it names the environment variable holding each.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from locales import L_, N_
from models.core.database_url import parse_url
from models.core.errors import ConfigError

CONFIG_ENV = "FACTEUR_CONFIG"
LOCAL_CONFIG = "facteur.toml"


@dataclass(frozen=True)
class DatabaseSettings:
    url: str = "sqlite:///var/facteur.db"


@dataclass(frozen=True)
class ClinicSettings:
    """Seeds the clinic's record on ``facteur db init``; afterwards Settings owns it."""

    name: str = "Clinique Facteur"
    country: str = "CA"
    region: str = "QC"
    timezone: str = "America/Toronto"
    language: str = "fr"


@dataclass(frozen=True)
class EmailSettings:
    backend: str = "maildir"
    path: str = "var/mail"
    host: str = "localhost"
    port: int = 587
    security: str = "starttls"
    username: str = ""
    password_env: str = ""
    from_address: str = "facteur@localhost"
    timeout: float = 30.0
    max_per_minute: int = 0  # the provider's sending limits (0: none); see the admin guide's presets
    max_per_day: int = 0


@dataclass(frozen=True)
class SmsSettings:
    """``file`` appends each SMS to ``path`` (the embedded default); ``http`` posts to a gateway,
    in its generic JSON request (``mode = "json"``) or Twilio's (``mode = "twilio"``)."""

    backend: str = "file"
    path: str = "var/sms.log"
    url: str = ""
    token_env: str = ""
    sender: str = ""
    mode: str = "json"
    account_sid: str = ""  # Twilio's account, in the request path and as the basic-auth user
    timeout: float = 10.0
    max_per_minute: int = 0  # the gateway's sending limit (0: none)


MIN_API_TOKEN_CHARS = 32  # the agent↔portal token, checked on both sides: a short one can be guessed


@dataclass(frozen=True)
class PortalSettings:
    url: str = "http://127.0.0.1:8088"
    listen: str = "127.0.0.1:8088"
    token_env: str = "FACTEUR_PORTAL_TOKEN"  # noqa: S105 (the variable's name, not a secret)
    link_days: int = 14
    data_dir: str = "var/portal"  # the portal's own database and encrypted documents
    secret_env: str = "FACTEUR_PORTAL_SECRET"  # noqa: S105 (a name); else a file in data_dir
    # the PIN pepper (``portal.pepper``): the variable naming it, else a file kept apart from portal.db
    pepper_env: str = "FACTEUR_PORTAL_PEPPER"
    pepper_file: str = ""  # empty: data_dir/pepper
    rate_limit: int = 30  # patient page requests per minute per address
    # API requests per minute per address: one agent draining a backlog makes about 10 a second at
    # its busiest (batched publications), so this leaves room for a few agents behind one address
    api_rate_limit: int = 3000
    header_timeout: float = 10.0  # seconds a client has to send a request's headers (slow clients)
    max_connections: int = 200  # at once; past it, 503 (uvicorn's limit_concurrency)
    trust_forwarded: bool = False  # take the address from X-Forwarded-For (behind a proxy only)
    max_body_mb: float = 20.0


@dataclass(frozen=True)
class StripeSettings:
    """Payment links (Checkout Sessions on each billing company's Stripe account) and their payments."""

    # each company's own restricted keys, owner-only files named by its account (models.core.stripe_keys)
    keys_dir: str = "var/secrets/stripe"
    # a Connect platform's key, for accounts without their own (a vendor hosting the platform)
    api_key_env: str = "STRIPE_API_KEY"
    portal_key_env: str = "STRIPE_PORTAL_KEY"  # the portal's, likewise
    api_base: str = ""  # Stripe's own address unless set (tests point it at a local fake)
    timeout: float = 30.0
    sync_seconds: float = 60.0  # how often the agent pulls payments while online
    success_url: str = ""  # where Checkout sends the patient after paying; default: the portal's /paid
    webhook: bool = False  # the portal also takes Stripe's webhook (a clinic with a public address)
    webhook_secret_env: str = "STRIPE_WEBHOOK_SECRET"  # noqa: S105 (the variable's name, not a secret)
    ca_file: str = (
        ""  # certificate authorities to trust for Stripe instead of the library's (a TLS-inspecting proxy)
    )


@dataclass(frozen=True)
class AgentSettings:
    poll_seconds: float = 1.0  # a cheap indexed read; keeps the 2-second pick-up
    concurrency: int = 4  # emails (SMTP connections) and SMS at once
    in_flight: int = 32  # messages worked on at once (publishing, waiting for a connection, texting)
    lease_seconds: float = 600.0  # longer than any one send; an expired lease is rescued
    retry_base_seconds: float = 60.0
    retry_cap_seconds: float = 3600.0
    give_up_days: float = 5.0
    offline_probe_max_seconds: float = 60.0
    cache_dir: str = "var/cache"
    cache_max_mb: int = 500  # past it, the least recently used PDFs are dropped


@dataclass(frozen=True)
class ReminderSettings:
    """Scheduled messages that fell due while the agent was offline go out when it is back if at
    most ``late_days`` late; older ones are skipped (and shown as skipped)."""

    late_days: int = 3


@dataclass(frozen=True)
class LocalesSettings:
    """The clinic's own wording, layered over the shipped catalogs; watched for edits."""

    override_dir: str = ""
    watch: bool = True


@dataclass(frozen=True)
class TemplatesSettings:
    """What rendering one staff-edited template may spend (in a helper process): a render over it
    is refused in the editor and fails its one message in the agent."""

    render_seconds: float = 2.0
    render_memory_mb: int = 256


@dataclass(frozen=True)
class PrintSettings:
    """How the TUI prints a PIN slip; where the slip is kept when it cannot be printed."""

    command: str = "lp"
    folder: str = "var/slips"


@dataclass(frozen=True)
class Config:
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    clinic: ClinicSettings = field(default_factory=ClinicSettings)
    email: EmailSettings = field(default_factory=EmailSettings)
    sms: SmsSettings = field(default_factory=SmsSettings)
    portal: PortalSettings = field(default_factory=PortalSettings)
    stripe: StripeSettings = field(default_factory=StripeSettings)
    agent: AgentSettings = field(default_factory=AgentSettings)
    reminders: ReminderSettings = field(default_factory=ReminderSettings)
    locales: LocalesSettings = field(default_factory=LocalesSettings)
    templates: TemplatesSettings = field(default_factory=TemplatesSettings)
    print: PrintSettings = field(default_factory=PrintSettings)
    source: Path | None = None  # the file read, None for the embedded defaults

    @property
    def base_dir(self) -> Path:
        """Where relative paths start: the config file's folder, else the working directory."""
        return self.source.parent if self.source else Path.cwd()

    def resolve(self, path: str) -> Path:
        candidate = Path(path).expanduser()
        return candidate if candidate.is_absolute() else self.base_dir / candidate

    def secret(self, env_name: str) -> str | None:
        """The secret held by the environment variable ``env_name``, if set."""
        return os.environ.get(env_name) or None if env_name else None


# Allowed values and ranges: (section, key) -> check, and what a person is told is expected.
_CHOICES: dict[tuple[str, str], tuple[str, ...]] = {
    ("email", "backend"): ("maildir", "smtp"),
    ("email", "security"): ("none", "starttls", "tls"),
    ("sms", "backend"): ("file", "http"),
    ("sms", "mode"): ("json", "twilio"),
    ("clinic", "language"): ("fr", "en"),
}
_RANGES: dict[tuple[str, str], tuple[float, float]] = {
    ("email", "port"): (1, 65535),
    ("email", "timeout"): (1, 600),
    ("stripe", "timeout"): (1, 600),
    ("stripe", "sync_seconds"): (5, 86400),
    ("portal", "link_days"): (1, 30),
    ("portal", "rate_limit"): (1, 100000),
    ("portal", "api_rate_limit"): (60, 1000000),
    ("portal", "max_body_mb"): (1, 500),
    ("portal", "header_timeout"): (0.1, 600),
    ("portal", "max_connections"): (10, 100000),
    ("agent", "poll_seconds"): (0.1, 3600),
    ("agent", "concurrency"): (1, 64),
    ("agent", "in_flight"): (1, 256),
    ("agent", "lease_seconds"): (1, 86400),
    ("agent", "retry_base_seconds"): (0.01, 3600),
    ("agent", "retry_cap_seconds"): (0.01, 86400),
    ("agent", "give_up_days"): (0.001, 365),
    ("agent", "offline_probe_max_seconds"): (0.1, 3600),
    ("agent", "cache_max_mb"): (10, 1000000),
    ("reminders", "late_days"): (0, 365),
    ("sms", "timeout"): (1, 120),
    ("sms", "max_per_minute"): (0, 100000),
    ("email", "max_per_minute"): (0, 100000),
    ("email", "max_per_day"): (0, 10000000),
    ("templates", "render_seconds"): (0.1, 60),
    ("templates", "render_memory_mb"): (64, 4096),
}
_URLS = {("portal", "url"), ("stripe", "api_base"), ("stripe", "success_url"), ("sms", "url")}
_TYPE_NAMES = {str: L_("a string"), int: L_("an integer"), float: L_("a number"), bool: L_("true or false")}


def find_config_path(explicit: str | os.PathLike[str] | None) -> Path | None:
    """The file to read, by the documented order; None means the embedded defaults."""
    if explicit:
        return Path(explicit)
    from_env = os.environ.get(CONFIG_ENV)
    if from_env:
        return Path(from_env)
    local = Path.cwd() / LOCAL_CONFIG
    return local if local.is_file() else None


def load_config(explicit: str | os.PathLike[str] | None = None) -> Config:
    """Read and check the configuration; raise ``ConfigError`` naming file and key."""
    path = find_config_path(explicit)
    if path is None:
        return Config()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(N_("{file}: no such configuration file"), file=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(N_("{file}: cannot read it: {reason}"), file=str(path), reason=str(exc)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(N_("{file}: not valid TOML: {reason}"), file=str(path), reason=str(exc)) from None
    return parse_config(raw, path.resolve())


def parse_config(raw: dict[str, Any], source: Path | None = None) -> Config:
    file = str(source) if source else "<config>"
    sections: dict[str, Any] = {}
    known = {f.name: f for f in fields(Config) if f.name != "source"}
    for section_name, values in raw.items():
        if section_name not in known:
            raise ConfigError(
                N_("{file}: unknown section [{section}]; expected one of: {expected}"),
                file=file,
                section=section_name,
                expected=", ".join(known),
            )
        if not isinstance(values, dict):
            raise ConfigError(
                N_("{file}: {section} must be a [section] table"), file=file, section=section_name
            )
        settings_class = known[section_name].default_factory
        sections[section_name] = _parse_section(file, section_name, settings_class, values)
    return Config(**sections, source=source)


def _parse_section(file: str, section: str, settings_class: Any, values: dict[str, Any]) -> Any:
    expected_types = {f.name: str(f.type) for f in fields(settings_class)}
    checked: dict[str, Any] = {}
    for key, value in values.items():
        if key not in expected_types:
            raise ConfigError(
                N_("{file}: unknown key {key} in [{section}]; expected one of: {expected}"),
                file=file,
                key=key,
                section=section,
                expected=", ".join(expected_types),
            )
        checked[key] = _check_value(file, section, key, expected_types[key], value)
    return settings_class(**checked)


def _check_value(file: str, section: str, key: str, type_name: str, value: Any) -> Any:
    expected: type = {"str": str, "int": int, "float": float, "bool": bool}[type_name]
    where = {"file": file, "key": f"{section}.{key}"}
    if isinstance(value, bool) and expected is not bool:
        ok = False
    elif expected is float:
        ok = isinstance(value, int | float)
    else:
        ok = isinstance(value, expected)
    if not ok:
        raise ConfigError(
            N_("{file}: {key} must be {expected}, not {value}"),
            expected=_TYPE_NAMES[expected],
            value=repr(value),
            **where,
        )
    if expected is float:
        value = float(value)
    choices = _CHOICES.get((section, key))
    if choices and value not in choices:
        raise ConfigError(
            N_("{file}: {key} must be one of {expected}, not {value}"),
            expected=", ".join(choices),
            value=repr(value),
            **where,
        )
    bounds = _RANGES.get((section, key))
    if bounds and not bounds[0] <= value <= bounds[1]:
        raise ConfigError(
            N_("{file}: {key} must be between {low} and {high}, not {value}"),
            low=bounds[0],
            high=bounds[1],
            value=value,
            **where,
        )
    if (section, key) in _URLS and value and not value.startswith(("http://", "https://")):
        raise ConfigError(
            N_("{file}: {key} must be an http:// or https:// URL, not {value}"), value=repr(value), **where
        )
    if key.endswith("_env") and value and not (value.isascii() and value.isidentifier()):
        raise ConfigError(
            N_("{file}: {key} names an environment variable (like SMTP_PASSWORD), not {value}"),
            value=repr(value),
            **where,
        )
    if (section, key) == ("portal", "listen"):
        _check_listen(value, where)
    if (section, key) == ("database", "url"):
        try:
            parse_url(value)
        except ConfigError as exc:
            raise ConfigError(N_("{file}: {key}: {problem}"), problem=exc, **where) from None
    return value


def _check_listen(value: str, where: dict[str, str]) -> None:
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ConfigError(
            N_("{file}: {key} must be host:port, like 127.0.0.1:8088, not {value}"),
            value=repr(value),
            **where,
        )

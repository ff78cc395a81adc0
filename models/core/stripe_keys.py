"""Which Stripe key acts on a billing company's account, and where it is kept.

Default: each billing company has its own Stripe account and its own *restricted* key
(``rk_…``) holding only the permissions Facteur uses. The agent's key is read from the
variable ``STRIPE_KEY_<account>`` or the owner-only file ``<keys_dir>/<account>.key``; the
portal's (Checkout Sessions only) from ``STRIPE_PORTAL_KEY_<account>`` or
``<keys_dir>/<account>.portal.key``. Requests made with a company's own key carry no
``Stripe-Account`` header. A vendor hosting a Connect platform may set one platform key
instead (``[stripe] api_key_env``, ``portal_key_env``): it then acts on every connected
account through that header, which is why it is not the default (docs/operations.md).

Keys are read when used, so a key written from Settings serves the next request; they
never reach the database or a log (``mask`` shows one).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from locales import N_
from models.core.config import Config
from models.core.errors import ValidationError

KEY_PATTERN = re.compile(r"(rk|sk)_(live|test)_[A-Za-z0-9]{10,247}")
ACCOUNT_PATTERN = re.compile(r"acct_[A-Za-z0-9]{8,64}")


class KeyRole(StrEnum):
    AGENT = "agent"  # Checkout Sessions write, Events read, Charges read, Refunds write
    PORTAL = "portal"  # Checkout Sessions write (a fresh session when a patient clicks Pay)


# The restricted key's permissions each role needs: Stripe's dashboard names, and what a probe lists
AGENT_PERMISSIONS = (
    N_("Checkout Sessions: write"),
    N_("Events: read"),
    N_("Charges: read"),
    N_("Refunds: write"),
)
PORTAL_PERMISSIONS = (N_("Checkout Sessions: write"),)

_SUFFIX = {KeyRole.AGENT: ".key", KeyRole.PORTAL: ".portal.key"}
_VARIABLE = {KeyRole.AGENT: "STRIPE_KEY_", KeyRole.PORTAL: "STRIPE_PORTAL_KEY_"}


@dataclass(frozen=True)
class Credential:
    """A key and whether it reaches the account through Connect (the ``Stripe-Account`` header)."""

    key: str
    connect: bool

    def __repr__(self) -> str:  # never the key itself, whoever prints it
        return f"Credential({mask(self.key)}, connect={self.connect})"


@dataclass(frozen=True)
class StripeKeys:
    """Where one program (the agent or the portal) finds its keys."""

    keys_dir: Path
    role: KeyRole = KeyRole.AGENT
    platform_env: str = ""  # a Connect platform key's variable, for the accounts without their own

    def for_account(self, account: str) -> Credential | None:
        """The key that acts on ``account``: its own, else the platform's; None when neither is set."""
        own = self.own_key(account)
        if own:
            return Credential(own, connect=False)
        platform = os.environ.get(self.platform_env) if self.platform_env else None
        return Credential(platform, connect=True) if platform else None

    def request_options(self, account: str, **extra: Any) -> dict[str, Any] | None:
        """A ``stripe`` request's options that act on ``account``: its key, and the
        ``Stripe-Account`` header where that key is a platform's; None when no key acts on it."""
        credential = self.for_account(account)
        if credential is None:
            return None
        return {
            "api_key": credential.key,
            **({"stripe_account": account} if credential.connect else {}),
            **extra,
        }

    def own_key(self, account: str) -> str | None:
        if ACCOUNT_PATTERN.fullmatch(account) is None:
            return None
        from_env = os.environ.get(_VARIABLE[self.role] + account)
        if from_env:
            return from_env.strip()
        try:
            return self.path(account).read_text(encoding="ascii").strip() or None
        except (OSError, UnicodeDecodeError):
            return None

    def path(self, account: str) -> Path:
        return self.keys_dir / f"{account}{_SUFFIX[self.role]}"

    def configured(self) -> bool:
        """Whether any key may be found: a platform key, or a keys folder (keys are added later)."""
        has_platform = bool(self.platform_env and os.environ.get(self.platform_env))
        return (
            has_platform
            or self.keys_dir.is_dir()
            or any(name.startswith(_VARIABLE[self.role]) for name in os.environ)
        )

    def write(self, account: str, key: str) -> Path:
        """Keep ``key`` for ``account`` in an owner-only file (its folder owner-only too), replacing
        the old one in one step; ``ValidationError`` for a value that is not a Stripe secret key."""
        validate_key(key, KEY_FIELDS[self.role], restricted=self.role is KeyRole.PORTAL)
        if ACCOUNT_PATTERN.fullmatch(account) is None:
            raise ValidationError(
                "stripe_account_id", N_("a key needs the company's Stripe account id (acct_…) first")
            )
        for folder in reversed((self.keys_dir, *self.keys_dir.parents)):
            if not folder.exists():  # each folder made here is owner-only, not only the last
                folder.mkdir(mode=0o700)
        self.keys_dir.chmod(0o700)
        target = self.path(account)
        partial = target.with_name(target.name + ".partial")
        partial.unlink(missing_ok=True)  # a file left there keeps no mode of its own
        fd = os.open(partial, os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(key.strip() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        partial.replace(target)
        return target


KEY_FIELDS = {KeyRole.AGENT: "stripe_key", KeyRole.PORTAL: "stripe_portal_key"}  # the Settings form's


def validate_key(key: str, field: str = "stripe_key", *, restricted: bool = False) -> str:
    """A Stripe secret or restricted key (``rk_live_…``, ``rk_test_…``; ``sk_…`` is accepted for the
    agent but holds every permission: the admin guide says why a restricted key is better).
    ``restricted``: only a restricted key (the portal's, on a host patients reach)."""
    text = key.strip()
    if KEY_PATTERN.fullmatch(text) is None:
        raise ValidationError(field, N_("this is not a Stripe key: expected rk_live_…, rk_test_… (or sk_…)"))
    if restricted and not text.startswith("rk_"):
        raise ValidationError(
            field,
            N_("the portal's key must be a restricted key (rk_…): a secret key could move all the money"),
        )
    return text


def mask(key: str) -> str:
    """A key as Stripe's dashboard shows it: its kind and last four characters."""
    prefix = key[:8] if key[:3] in ("rk_", "sk_") else ""
    return f"{prefix}…{key[-4:]}" if len(key) > 12 else "…"


def stripe_keys(config: Config, role: KeyRole = KeyRole.AGENT) -> StripeKeys:
    """The keys ``config`` points the agent (or the portal) at."""
    settings = config.stripe
    platform = settings.api_key_env if role is KeyRole.AGENT else settings.portal_key_env
    return StripeKeys(config.resolve(settings.keys_dir), role, platform)

"""Checking a billing company's Stripe keys from Settings: each permission Facteur needs is asked
once (a listing of ``limit=1``), and the ones Stripe refuses are named."""

from __future__ import annotations

from dataclasses import dataclass, field

from agent.stripe.api import StripeApi
from locales import N_, Translator
from models.core.config import Config
from models.core.errors import DeliveryError
from models.core.stripe_keys import KeyRole, mask, stripe_keys


@dataclass(frozen=True)
class KeyCheck:
    role: KeyRole
    masked: str = ""  # the key as the dashboard shows it; empty: none is kept
    refused: list[str] = field(default_factory=list)  # permissions Stripe refuses
    error: str = ""  # the key itself refused (401), or Stripe out of reach

    def text(self, tr: Translator) -> str:
        who = tr.gettext(ROLE_NAMES[self.role])
        if not self.masked:
            return tr.format(N_("{who}: no key kept"), who=who)
        if self.error:
            return tr.format(
                N_("{who} ({key}): not checked: {reason}"), who=who, key=self.masked, reason=self.error
            )
        if self.refused:
            missing = ", ".join(tr.gettext(p) for p in self.refused)
            return tr.format(
                N_("{who} ({key}): Stripe refuses {permissions}; add them to the key in Stripe's dashboard"),
                who=who,
                key=self.masked,
                permissions=missing,
            )
        return tr.format(N_("{who} ({key}): every permission it needs is granted"), who=who, key=self.masked)

    @property
    def ok(self) -> bool:
        return bool(self.masked) and not self.error and not self.refused


ROLE_NAMES = {KeyRole.AGENT: N_("Agent's key"), KeyRole.PORTAL: N_("Portal's key")}


async def check_keys(config: Config, account: str, tr: Translator) -> list[KeyCheck]:
    """The company's own keys (the agent's and the portal's), each probed once with Stripe."""
    checks = []
    for role in (KeyRole.AGENT, KeyRole.PORTAL):
        keys = stripe_keys(config, role)
        key = keys.own_key(account)
        if key is None:
            checks.append(KeyCheck(role))
            continue
        api = StripeApi(keys, api_base=config.stripe.api_base, timeout=min(config.stripe.timeout, 15))
        try:
            checks.append(KeyCheck(role, mask(key), await api.refused_permissions(account, role)))
        except DeliveryError as exc:
            checks.append(KeyCheck(role, mask(key), error=exc.render(tr)))
        finally:
            await api.close()
    return checks

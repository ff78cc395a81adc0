"""Why a scheduled message was cancelled, skipped or postponed, stored so each reader reads it in
their own language: ``ScheduledMessage.reason`` holds a msgid and its placeholders as JSON.

The msgids are the ones below, or any other marked with ``N_`` by a caller (the Stripe sync
cancels reminders "because the invoice was paid online"); a reason that is not this JSON (an
older row, a hand edit) is shown as it is.
"""

from __future__ import annotations

import json
from typing import Any

from locales import N_, LazyText, Translator

PAID = N_("the invoice is paid")
VOIDED = N_("the invoice was voided")
NOTHING_OWED = N_("nothing is owed on the invoice any more")
OPTED_OUT = N_("the patient does not accept payment reminders")
NO_EMAIL = N_("the invoice has no email address to send it to")
NO_PHONE = N_("the PIN goes by text message and the invoice has no cell phone number")
NO_INSURANCE_PIN = N_("the PIN is the health insurance number's last six characters and the patient has none")
TEMPLATE_OFF = N_("the template was deactivated")
TEMPLATE_GONE = N_("the template was deleted")
TOO_LATE = N_("it fell due while the agent was offline, more than {limit} days ago")
POSTPONED = N_("postponed: this invoice already had a reminder today")
STATEMENTS_INSTEAD = N_("the patient receives statements of account instead of reminders")
NO_PATIENT_EMAIL = N_("the patient has no email address to send it to")
NO_ATTACHMENT_CONSENT = N_(
    "the PDF goes attached to a plain email and the patient has not consented to attachments"
)
KIND_CHANGED = N_("the template's kind was changed")
NO_STATEMENTS = N_("the patient no longer receives statements of account")
NOTHING_OWED_ON_ACCOUNT = N_("nothing is owed on the account any more")
STATEMENT_RECENT = N_("postponed: a statement of this account was made on {date}")
CANCELLED_BY = N_("cancelled by {name}")
CANCELLED_BY_HAND = N_("cancelled from the command line")
PAUSED = N_("paused by staff until {date}: {reason}")


def encode(msgid: str, **params: Any) -> str:
    """What goes in ``ScheduledMessage.reason``: the msgid, its placeholders' values (numbers, or
    text), and which of them are msgids themselves (``L_``), translated when read."""
    plain = {name: value if isinstance(value, int | float) else str(value) for name, value in params.items()}
    lazy = sorted(name for name, value in params.items() if isinstance(value, LazyText))
    return json.dumps({"msgid": msgid, "params": plain, "lazy": lazy}, ensure_ascii=False)


def reason_text(stored: str | None, tr: Translator) -> str:
    """A stored reason in ``tr``'s language; ``""`` when there is none."""
    if not stored:
        return ""
    try:
        data = json.loads(stored)
        msgid, params = str(data["msgid"]), dict(data.get("params") or {})
        for name in data.get("lazy") or ():
            params[name] = LazyText(params[name])
    except (ValueError, TypeError, KeyError):
        return stored
    return tr.format(msgid, **params)

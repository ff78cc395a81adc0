"""Closing a payment link on Stripe (expire its session), shared by the step and the pull.

A session can be expired only while it is open: when Stripe refuses, the session is read
back; expired already is as good, completed means a payment is on its way (the link is
marked so, and the pull records the payment when it clears).
"""

from __future__ import annotations

from agent.errors import RejectedError
from agent.steps import DbRunner
from agent.stripe.api import StripeApi
from locales import N_
from models.core.enums import PaymentLinkStatus
from models.database.base import utcnow
from models.links import link_sessions
from models.links.link_sessions import LinkRecord


async def expire_link(
    api: StripeApi,
    db: DbRunner,
    link: LinkRecord,
    status: PaymentLinkStatus,
    *,
    message_id: int | None = None,
    detail: str | None = None,
) -> bool:
    """Expire ``link``'s session and record it as ``status``; False when it turned out completed
    (someone is paying it: it stays, and nothing new may be offered meanwhile)."""
    try:
        session = await api.expire_session(link.account, link.session_id)
    except RejectedError:
        session = await api.retrieve_session(link.account, link.session_id)
    if session.get("status") == "complete":
        await db(link_sessions.mark_completed, link.id, utcnow())
        return False
    if session.get("status") != "expired":
        raise RejectedError(
            N_("Stripe did not expire session {session}: it is {status}"),
            session=link.session_id,
            status=str(session.get("status")),
        )
    await db(link_sessions.close_link, link.id, status, message_id=message_id, detail=detail)
    return True

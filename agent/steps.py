"""The seams other parts plug into the agent: steps before an email, and feeds pulled while online.

A **delivery step** does one external side effect an email depends on, before the
email is composed: publish the document to the portal, create the Stripe Checkout
Session; or one that follows it once it is accepted (``after_email``): text the PIN,
so no patient gets a PIN for an email that failed. Steps run in order; each is idempotent across retries (it
reads what an earlier attempt already did from the outbox row, and keys every
external call on the row), and puts what the email must show on the ``Delivery``.
A step raises the ``agent.errors`` classes; the agent records the failure on the
step's channel and retries, fails or goes offline exactly as for the email.

A **sync job** pulls a feed while the clinic is online (portal download events,
Stripe payments): every ``interval_seconds``, once more at the end of ``--once``,
never two runs of one job at a time. An ``OfflineError`` from a job is logged and
the job waits for its next turn; it does not take the agent offline (email may
still go out).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from models.core.enums import Channel
from models.messaging.tables import OutboxMessage

if TYPE_CHECKING:
    from agent.facts import MessageFacts

T = TypeVar("T")


class DbRunner(Protocol):
    """Runs ``function(*args, **kwargs)`` on the agent's database thread."""

    def __call__(self, function: Callable[..., T], /, *args: Any, **kwargs: Any) -> Awaitable[T]: ...


@dataclass
class Delivery:
    """One message on its way: what the steps before the email learned, for the email to show."""

    message: OutboxMessage
    agent_id: str
    facts: MessageFacts | None = None  # its invoice, clinic, sender, template: read with the claim
    pdf: bytes | None = None  # its invoice's PDF in its language, when it was ready at the claim
    download_url: str | None = None  # the portal link (secure delivery)
    link_expires_at: datetime | None = None
    payment_url: str | None = None  # the Stripe Checkout Session's url
    payment_expires_at: datetime | None = None
    pin: str | None = None  # an SMS PIN between its publication and its SMS; memory only, never stored
    last_step: bool = False  # set by the agent for the last step after the email: it may finish the row


class DeliveryStep(Protocol):
    """One side effect before the email, or after it (``after_email``); see the module's docstring."""

    channel: Channel
    after_email: bool  # runs once the email is accepted (the PIN by SMS), else before it

    def wanted(self, message: OutboxMessage) -> bool:
        """Whether this message needs the step at all (its options, what is already done)."""

    async def run(self, delivery: Delivery, db: DbRunner) -> None:
        """Do the step (or find it done), record its transmission, fill ``delivery``."""

    async def probe(self) -> None:
        """Raise ``OfflineError`` unless the step's server can be reached now."""

    async def close(self) -> None: ...


class SyncJob(Protocol):
    """A feed pulled while online; see the module's docstring."""

    name: str
    interval_seconds: float

    async def run(self, db: DbRunner) -> None:
        """Pull what is new since the job's cursor and apply it; raise ``OfflineError`` when unreachable."""

    async def close(self) -> None: ...

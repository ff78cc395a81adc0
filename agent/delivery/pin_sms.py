"""``PinSmsStep``: text the PIN the publishing step just drew to the message's cell phone.

It runs once the email is accepted (``after_email``), so a patient never gets a PIN for an email
that failed. ``PortalPublishStep`` (which, for an SMS message whose PIN is not sent yet, draws a
fresh PIN and re-publishes its hash) runs before the email; the PIN lives only in memory
(``Delivery.pin``) until the SMS; it is never stored, logged or kept in a transmission. When
the SMS fails after the email, the retry draws a new PIN and publishes its hash again, and does
not email again (``sent_at``). ``pin_sent_at`` on the outbox row says the SMS was accepted. The
SMS says nothing about the invoice's content.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime

from agent.channels.sms import SmsChannel
from agent.errors import RejectedError
from agent.pacing import Pace
from agent.steps import DbRunner, Delivery
from locales import N_, translator
from models.billing.invoice import Invoice
from models.core.enums import Channel, PinMode, TransmissionStatus
from models.database.base import fk_id, utcnow
from models.messaging.outbox import Reply, mark_step
from models.messaging.tables import OutboxMessage
from models.people.clinic import BillingCompany, Clinic

PIN_TEXT = N_("{clinic}: your PIN to open the invoice we emailed you is {pin}")
STATEMENT_PIN_TEXT = N_("{clinic}: your PIN to open the statement of account we emailed you is {pin}")


def pin_sms_text(language: str, clinic_name: str, pin: str, *, statement: bool = False) -> str:
    """The SMS, in the recipient's language: the clinic and the PIN, nothing about the invoice (or
    the statement of account) it opens."""
    wording = STATEMENT_PIN_TEXT if statement else PIN_TEXT
    return translator(language).format(wording, clinic=clinic_name, pin=pin)


def _clinic_name(message: OutboxMessage) -> str:
    clinic = (
        Clinic.select(Clinic.name)
        .join(BillingCompany)
        .join(Invoice)
        .where(Invoice.id == fk_id(message, "invoice"))
        .get()
    )
    return str(clinic.name)


class PinSmsStep:
    """Sends the SMS PIN through ``sms`` (the gateway or the file backend), ``at_once`` at a time
    (the agent's ``concurrency``, like its SMTP connections): a gateway is not flooded with every
    message in flight, and a crash can repeat no more SMS than that."""

    channel = Channel.SMS
    after_email = True  # the email says the PIN comes by text; a PIN without the email helps nobody

    def __init__(
        self,
        sms: SmsChannel,
        *,
        at_once: int = 4,
        pace: Pace | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.sms = sms
        self.clock = clock
        self.pace = pace or Pace()  # ``[sms] max_per_minute``, and slowed by a 429
        self._at_once = asyncio.Semaphore(at_once)

    def wanted(self, message: OutboxMessage) -> bool:
        return message.pin_mode == PinMode.SMS and message.pin_sent_at is None

    async def run(self, delivery: Delivery, db: DbRunner) -> None:
        message = delivery.message
        pin = delivery.pin
        if pin is None:
            # the publishing step draws it: without that step no PIN can match the portal's
            raise RejectedError(N_("no PIN to send: the link was not published first"))
        if not message.recipient_phone:
            raise RejectedError(N_("no cell phone number to send the PIN to"))
        known = delivery.facts
        clinic_name = known.clinic.name if known is not None else await db(_clinic_name, message)
        text = pin_sms_text(
            message.language, clinic_name, pin, statement=fk_id(message, "statement") is not None
        )
        async with self._at_once:  # held until the text is recorded: a crash repeats no more
            await self.pace.turn()
            reply = await self.sms.send(message.recipient_phone, text, f"facteur-{message.id}", secret=pin)
            self.pace.accepted()
            kept = Reply(code=reply.code, text=reply.text, provider_id=reply.provider_id)
            await db(
                mark_step,
                message,
                delivery.agent_id,
                Channel.SMS,
                TransmissionStatus.SENT,
                kept,
                now=self.clock(),
                pin_sent_at=self.clock(),
                finish=delivery.last_step,  # the message sent in the same write: one commit, not two
            )
        delivery.pin = None  # the email does not need it

    async def probe(self) -> None:
        await self.sms.probe()

    async def close(self) -> None:
        await self.sms.close()

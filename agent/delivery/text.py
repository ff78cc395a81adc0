"""``SmsTextStep``: a text message to the patient — a reminder or a payment link
(``models.workflow.texting``) — the whole job of an outbox row whose ``medium`` is ``sms``.

It runs after the Stripe step, which made the invoice's Pay page (``Delivery.payment_url``). Before
anything goes it reads the patient's consent to text messages once more: withdrawn since the text
was queued, the message fails alone, saying why. The text is the template's body in the patient's
language (``models.messaging.text_templates``), at most 3 SMS; it is sent once: a retry after the
gateway took it (a crash before it was recorded) finds its transmission and sends nothing again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from agent.channels.sms import SmsChannel
from agent.errors import DeferredError, OfflineError, RejectedError, SkippedError
from agent.pacing import Pace
from agent.steps import DbRunner, Delivery
from locales import N_
from models.admin.templates import wording_of
from models.billing.invoice import Invoice
from models.billing.invoicing import clinic_today
from models.core.enums import Channel, InvoiceStatus, MessageKind, TemplateChannel, TransmissionStatus
from models.core.errors import FacteurError
from models.database.base import fk_id, utcnow
from models.messaging import schedule_reasons as reasons
from models.messaging.outbox import mark_step
from models.messaging.sms_text import MAX_SEGMENTS, count_sms, too_long
from models.messaging.tables import OutboxMessage, Template, Transmission
from models.messaging.template_budget import RenderInterrupted
from models.messaging.template_fields import values_for_invoice
from models.messaging.template_render import TemplateProblem
from models.messaging.text_templates import budgeted_text
from models.workflow.texting import text_refusal

SMS_WITHDRAWN = N_("{name} withdrew their consent to text messages: the text was not sent")
NO_PAY_PAGE = N_("no payment page could be made for the text: is Stripe set up for this invoice's company?")
TOO_LONG = N_("the text takes {count} SMS, more than {max}: shorten the template")
NO_TEMPLATE = N_("the text's template was deleted")


@dataclass(frozen=True)
class _Text:
    """What the text needs from the database, read in one go on the database thread."""

    consented: bool
    patient_name: str
    phone: str  # the patient's cell phone now: a number changed since the text was queued wins
    owing: bool  # billed, with a balance: else the text has nothing left to ask
    opted_out: bool  # of reminders, since a reminder by text was queued
    refusal: FacteurError | None  # why no text may go now (``texting.text_refusal``): a landline since
    body: str | None  # the template's body in the message's language; None: the template is gone
    invoice: Invoice
    already_sent: bool  # an earlier attempt's text was taken by the gateway


def _text(message: OutboxMessage) -> _Text:
    invoice = Invoice.get_by_id(fk_id(message, "invoice"))
    patient = invoice.patient
    template = Template.get_or_none(Template.id == fk_id(message, "template"))
    body = wording_of(template)[f"body_{message.language}"] if template is not None else None
    sent = Transmission.select().where(
        (Transmission.message == message.id)
        & (Transmission.channel == Channel.SMS.value)
        & (Transmission.status == TransmissionStatus.SENT.value)
    )
    owing = invoice.status == InvoiceStatus.BILLED and invoice.balance_cents > 0
    opted_out = message.kind == MessageKind.REMINDER and not patient.receive_reminders
    return _Text(
        consented=bool(patient.consent_sms),
        patient_name=patient.full_name,
        phone=(patient.cell_phone or "").strip(),
        owing=owing,
        opted_out=opted_out,
        refusal=text_refusal(invoice),
        body=body,
        invoice=invoice,
        already_sent=sent.exists(),
    )


class SmsTextStep:
    """See the module's docstring; ``sms`` is a channel of its own (closed with the step)."""

    channel = Channel.SMS
    after_email = False

    def __init__(
        self, sms: SmsChannel, *, pace: Pace | None = None, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.sms = sms
        self.pace = pace or Pace()  # ``[sms] max_per_minute``, and slowed by a 429
        self.clock = clock

    def wanted(self, message: OutboxMessage) -> bool:
        return message.medium == TemplateChannel.SMS

    async def run(self, delivery: Delivery, db: DbRunner) -> None:
        message = delivery.message
        facts = await db(_text, message)
        if facts.already_sent:
            return
        if not facts.owing:  # paid or voided while it waited (a weekend, a pause)
            raise SkippedError(reasons.NOTHING_OWED)
        if facts.opted_out:
            raise SkippedError(reasons.OPTED_OUT)
        if not facts.consented:
            raise RejectedError(SMS_WITHDRAWN, name=facts.patient_name)
        if facts.refusal is not None:  # no cell phone any more, or a landline since
            raise RejectedError(facts.refusal.message, **facts.refusal.params)
        if facts.body is None:
            raise RejectedError(NO_TEMPLATE)
        if not delivery.payment_url:
            raise RejectedError(NO_PAY_PAGE)
        try:
            text = await db(self._render, facts, delivery.payment_url, message.language)
        except RenderInterrupted:  # the agent is stopping: the message waits, nothing spent
            raise OfflineError(N_("the agent is stopping")) from None
        except TemplateProblem as exc:  # an admin's template this text cannot use: it alone fails
            raise RejectedError(N_("the text's template cannot be used: {reason}"), reason=exc) from None
        count = count_sms(text)
        if too_long(count):
            raise RejectedError(TOO_LONG, count=count.segments, max=MAX_SEGMENTS)
        await self.pace.turn()
        reply = await self.sms.send(facts.phone, text, f"facteur-{message.id}")
        self.pace.accepted()
        now = self.clock()
        if not await db(
            mark_step, message, delivery.agent_id, Channel.SMS, TransmissionStatus.SENT, reply, now=now
        ):
            raise DeferredError(N_("the message was taken back by the queue meanwhile"))

    @staticmethod
    def _render(facts: _Text, payment_url: str, language: str) -> str:
        clinic = facts.invoice.billing_company.clinic
        values = values_for_invoice(facts.invoice, clinic, today=clinic_today(clinic))
        return budgeted_text(facts.body or "", values.with_links(None, payment_url), language)

    async def probe(self) -> None:
        await self.sms.probe()

    async def close(self) -> None:
        await self.sms.close()

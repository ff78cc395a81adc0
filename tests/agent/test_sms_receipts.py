"""The SMS receipts pass against the test gateway on loopback (both formats), on the test database."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest

from agent.channels.sms import FORGOTTEN, HttpSms
from agent.channels.sms_file import FileSms
from agent.sms_receipts import SmsReceiptsJob, check_sms_receipts
from models.core.enums import Channel, PinMode, TransmissionStatus
from models.database.base import utcnow
from models.messaging.sms_receipts import PIN_NOT_DELIVERED_NOTICE, receipts_to_check
from models.messaging.tables import Notification, OutboxMessage, Transmission
from models.workflow.sending import enqueue_invoice_email
from testbed.invoices import billed_invoice
from testbed.sms_gateway import SmsGateway
from tests.agent.test_sms import TEXT, free_port, json_client, twilio_client
from tests.conftest import Setup

T = TypeVar("T")
DELIVERED, FAILS, SILENT = "+15145551234", "+15145551230", "+15145551239"  # the test gateway's endings


async def inline(function: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """The agent's database runner, on the test's own thread."""
    return function(*args, **kwargs)


async def texts_sent(setup: Setup, client: HttpSms, *phones: str) -> list[Transmission]:
    """Each PIN message's text sent through ``client``, recorded as the agent records it."""
    sent = []
    for phone in phones:
        invoice = billed_invoice(setup.company)
        message = enqueue_invoice_email(invoice, pin_mode=PinMode.SMS, phone=phone, staff=setup.provider)
        reply = await client.send(phone, TEXT, f"facteur-{message.id}", secret="482913")
        sent.append(
            Transmission.create(
                invoice=invoice.id,
                message=message.id,
                channel=Channel.SMS,
                status=TransmissionStatus.SENT,
                reply_code=reply.code,
                provider_id=reply.provider_id,
                created_at=utcnow() - timedelta(minutes=2),
            )
        )
    return sent


def receipts() -> dict[str, tuple[str, str | None, str | None]]:
    """Each text's receipt: status, reply code, detail."""
    rows = Transmission.select().where(Transmission.status != TransmissionStatus.SENT)
    return {str(row.provider_id): (row.status, row.reply_code, row.detail) for row in rows}


@pytest.mark.parametrize("make", [json_client, twilio_client])
async def test_one_pass_records_delivered_and_failed_and_asks_again_about_the_rest(
    setup: Setup, sms_gateway: SmsGateway, make: Callable[..., HttpSms]
) -> None:
    client = make(sms_gateway)
    delivered, failed, silent = await texts_sent(setup, client, DELIVERED, FAILS, SILENT)
    assert await check_sms_receipts(client, inline) == 2
    twilio = client.mode == "twilio"
    assert receipts() == {
        delivered.provider_id: ("delivered", None, None),
        failed.provider_id: ("failed", "30005" if twilio else None, "unknown subscriber"),
    }
    (notice,) = Notification.select()
    assert notice.message == PIN_NOT_DELIVERED_NOTICE and json.loads(notice.params)["recipient"] == FAILS
    assert [t.id for t in receipts_to_check(utcnow(), 10)] == [silent.id]
    asked = len(sms_gateway.asked)
    assert await check_sms_receipts(client, inline) == 0  # only the silent one is asked about again
    assert len(sms_gateway.asked) == asked + 1
    sms_gateway.set_status(str(silent.provider_id), "delivered")
    assert await check_sms_receipts(client, inline) == 1
    assert receipts_to_check(utcnow(), 10) == []
    await client.close()


async def test_an_offline_gateway_records_nothing_and_raises_nothing(
    setup: Setup, sms_gateway: SmsGateway
) -> None:
    await texts_sent(setup, json_client(sms_gateway), DELIVERED, FAILS)
    offline = HttpSms(f"http://127.0.0.1:{free_port()}", token="t", timeout=1.0)
    assert await check_sms_receipts(offline, inline) == 0
    await offline.close()
    assert receipts() == {} and len(receipts_to_check(utcnow(), 10)) == 2


async def test_a_busy_answer_skips_one_text_and_slow_down_ends_the_pass(
    setup: Setup, sms_gateway: SmsGateway
) -> None:
    client = json_client(sms_gateway)
    first, second, third = await texts_sent(setup, client, DELIVERED, DELIVERED, DELIVERED)
    sms_gateway.script("status:503")
    assert await check_sms_receipts(client, inline) == 2
    assert set(receipts()) == {second.provider_id, third.provider_id}
    sms_gateway.script("status:429")
    assert await check_sms_receipts(client, inline) == 0
    assert len(sms_gateway.asked) == 4  # three, then one that was told to slow down
    assert await check_sms_receipts(client, inline) == 1
    assert set(receipts()) == {first.provider_id, second.provider_id, third.provider_id}
    await client.close()


async def test_a_text_the_gateway_forgot_or_will_not_say_about_is_unknown(
    setup: Setup, sms_gateway: SmsGateway
) -> None:
    client = json_client(sms_gateway)
    forgotten, refused = await texts_sent(setup, client, SILENT, SILENT)
    sms_gateway.forget(str(forgotten.provider_id))
    sms_gateway.script("accept", "status:400")  # the second answers 400, echoing the text
    assert await check_sms_receipts(client, inline) == 2
    unknown = receipts()
    assert unknown[str(forgotten.provider_id)] == ("unknown", "404", FORGOTTEN)
    status, code, detail = unknown[str(refused.provider_id)]
    assert (status, code) == ("unknown", "400") and detail is not None and "482913" not in detail
    assert Notification.select().count() == 0  # nothing is known to have failed
    await client.close()


async def test_a_pass_is_bounded(setup: Setup, sms_gateway: SmsGateway) -> None:
    client = json_client(sms_gateway)
    await texts_sent(setup, client, DELIVERED, DELIVERED, DELIVERED)
    assert await check_sms_receipts(client, inline, limit=2) == 2
    assert len(sms_gateway.asked) == 2 and sms_gateway.most_at_once == 1
    await client.close()


async def test_the_file_backend_has_no_receipts(setup: Setup, tmp_path: Path) -> None:
    backend = FileSms(tmp_path / "sms.log")
    reply = await backend.send(DELIVERED, TEXT, "facteur-1")
    message = enqueue_invoice_email(billed_invoice(setup.company), pin_mode=PinMode.SMS, phone=DELIVERED)
    Transmission.create(
        invoice=message.__data__["invoice"],
        message=message.id,
        channel=Channel.SMS,
        status=TransmissionStatus.SENT,
        provider_id=reply.provider_id,
    )
    assert await check_sms_receipts(backend, inline) == 0
    assert receipts() == {}


async def test_the_job_runs_a_pass_and_closes_its_channel(setup: Setup, sms_gateway: SmsGateway) -> None:
    client = twilio_client(sms_gateway)
    await texts_sent(setup, client, DELIVERED)
    job = SmsReceiptsJob(client, log_language="fr")
    assert (job.name, job.interval_seconds) == ("sms-receipts", 300.0)
    await job.run(inline)
    assert job.last == 1 and [row[0] for row in receipts().values()] == ["delivered"]
    await job.close()
    with pytest.raises(RuntimeError, match="closed"):
        await client.status("SM1")
    assert OutboxMessage.select().count() == 1


async def test_texts_a_carrier_never_answers_for_do_not_keep_the_newer_ones_from_being_asked(
    setup: Setup,
) -> None:
    """A text still on its way is asked about again after ``ASK_AGAIN``, not every pass: 51 texts
    without a final answer, passes of 50, and the 51st is asked about on the second pass."""
    from agent.channels.sms import SmsState, SmsStatus

    invoice = billed_invoice(setup.company)
    now = utcnow()
    for index in range(51):
        Transmission.create(
            invoice=invoice,
            channel="sms",
            status="sent",
            provider_id=f"SM{index:03}",
            created_at=now - timedelta(hours=10) + timedelta(minutes=index),
        )

    class Silent(HttpSms):
        def __init__(self) -> None:
            self.asked: list[str] = []

        async def status(self, provider_id: str) -> SmsStatus:
            self.asked.append(provider_id)
            return SmsStatus(SmsState.PENDING)  # a carrier that never sends a receipt

    gateway, asked = Silent(), {}
    await check_sms_receipts(gateway, inline, now=now, asked=asked)
    assert len(gateway.asked) == 50 and "SM050" not in gateway.asked
    await check_sms_receipts(gateway, inline, now=now + timedelta(minutes=5), asked=asked)
    assert gateway.asked[50:] == ["SM050"]  # the others wait for their turn to be asked again

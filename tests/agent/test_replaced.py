"""The newest link of an invoice wins: a send that a newer send of the same invoice replaces ends
``replaced`` (not sent, not failed, nobody told), its PIN is never texted, and its link never opens.
End to end through ``agent --once``, the real portal, aiosmtpd and the SMS gateway."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from models.core.enums import OutboxStatus
from models.database.base import utcnow
from models.messaging.secure_link import token_hash
from models.messaging.tables import Notification, OutboxMessage
from models.workflow.sending import enqueue_invoice_email, resend
from testbed.sms_gateway import SmsGateway
from tests.agent.smtp_server import SmtpServer
from tests.agent.test_delivery import reload
from tests.agent.test_secure_delivery import (  # noqa: F401
    download,
    drain,
    link_in,
    patient_invoice,
    portal,
    rows,
    secure_config,
)
from tests.conftest import Setup
from tests.portal.conftest import RunningPortal, start_portal  # noqa: F401


async def test_two_sends_of_one_invoice_in_one_batch_the_older_is_replaced(
    setup: Setup,
    smtp_server: SmtpServer,
    sms_gateway: SmsGateway,
    portal: RunningPortal,  # noqa: F811
    tmp_path: Path,
) -> None:
    """Staff corrected the address and sent again before the agent ran: one email, one PIN."""
    config = secure_config(tmp_path, smtp_server, sms_gateway, portal)
    invoice = patient_invoice(setup)
    older = enqueue_invoice_email(invoice, staff=setup.provider, pin_mode="sms", email="old@example.org")
    newer = enqueue_invoice_email(invoice, staff=setup.provider, pin_mode="sms", email="marie@example.org")
    assert await drain(config, tmp_path) is True

    replaced, sent = reload(older), reload(newer)
    assert (replaced.status, replaced.attempts, replaced.link_token) == (OutboxStatus.REPLACED, 0, None)
    assert replaced.last_error == f"remplacé par le message {newer.id}, un envoi plus récent de cette facture"
    assert rows(older) == []  # no server was asked for it
    assert sent.status == OutboxStatus.SENT
    assert [r.envelope_to for r in smtp_server.handler.received] == [["marie@example.org"]]
    assert len(sms_gateway.sent) == 1
    path, _ = link_in(smtp_server.handler.received[0].email)
    assert download(portal, path, sms_gateway.sent[0].pin).startswith(b"%PDF-")
    old_link = portal.browser().post(f"/l/{older.link_token}", data={"pin": "000000"})
    assert old_link.status_code in (404, 410)  # never published; remembered as replaced if named in time
    assert Notification.select().count() == 0


async def test_a_message_emailed_before_a_crash_is_replaced_by_a_resend_not_failed(
    setup: Setup,
    smtp_server: SmtpServer,
    sms_gateway: SmsGateway,
    portal: RunningPortal,  # noqa: F811
    tmp_path: Path,
) -> None:
    """Its email went, its PIN did not (the gateway failed, as after a crash); staff sent again. The
    newer send's email and PIN go, the older link closes (410), the older message is replaced."""
    config = secure_config(tmp_path, smtp_server, sms_gateway, portal)
    # not due again within the first drain, however long it takes: the test makes it due itself
    config = replace(config, agent=replace(config.agent, retry_base_seconds=60.0, retry_cap_seconds=60.0))
    invoice = patient_invoice(setup)
    older = enqueue_invoice_email(invoice, staff=setup.provider, pin_mode="sms")
    sms_gateway.script("status:503")
    await drain(config, tmp_path)
    assert reload(older).status == OutboxStatus.PENDING and reload(older).sent_at is not None
    newer = resend(reload(older), staff=setup.provider)
    OutboxMessage.update(next_attempt_at=utcnow()).where(OutboxMessage.id == older.id).execute()

    assert await drain(config, tmp_path) is True
    assert reload(older).status == OutboxStatus.REPLACED
    assert rows(older) == [("portal", "published"), ("email", "sent"), ("sms", "deferred")]
    assert reload(newer).status == OutboxStatus.SENT
    assert len(smtp_server.handler.received) == 2 and len(sms_gateway.sent) == 2  # the 503, then the newer's
    old_path, old_token = link_in(smtp_server.handler.received[0].email)
    new_path, new_token = link_in(smtp_server.handler.received[1].email)
    assert token_hash(old_token) != token_hash(new_token)
    assert portal.browser().post(old_path.split("?")[0], data={"pin": "000000"}).status_code == 410
    assert download(portal, new_path, sms_gateway.sent[1].pin).startswith(b"%PDF-")
    assert Notification.select().count() == 0

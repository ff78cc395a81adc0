"""Staff revoke a patient's live download link from Facteur: a ``revoke`` task through the outbox (so
it waits offline), carried to the real portal by ``agent --once``; the link then says the clinic
revoked it, and the patient's list of live links no longer shows it."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.core.enums import OutboxStatus
from models.links.live_links import LinkKind, RevokeRefused, live_links, revoke_link
from models.links.tables import DownloadLink
from models.messaging.notifications import REVOKE_FAILED_NOTICE
from models.messaging.tables import Notification
from models.workflow.sending import enqueue_invoice_email
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


async def test_a_revoked_link_says_so_on_the_portal_and_leaves_the_list(
    setup: Setup,
    smtp_server: SmtpServer,
    sms_gateway: SmsGateway,
    portal: RunningPortal,  # noqa: F811
    tmp_path: Path,
) -> None:
    config = secure_config(tmp_path, smtp_server, sms_gateway, portal)
    invoice = patient_invoice(setup)
    sent = enqueue_invoice_email(invoice, staff=setup.provider, pin_mode="sms")
    assert await drain(config, tmp_path) is True
    path, _ = link_in(smtp_server.handler.received[0].email)
    assert download(portal, path, sms_gateway.sent[0].pin).startswith(b"%PDF-")
    assert await drain(config, tmp_path) is True  # pulls the download back

    (live,) = live_links(invoice.patient.id)
    assert (live.kind, live.document, live.sent_to) == (
        LinkKind.DOWNLOAD,
        invoice.number,
        "marie.tremblay@example.org",
    )
    assert (live.opened, live.revoking, live.locked) == (1, False, False)
    assert live.sent_at == reload(sent).sent_at and live.last_opened_at is not None

    task = revoke_link(LinkKind.DOWNLOAD, live.id, staff=setup.provider)
    assert (
        revoke_link(LinkKind.DOWNLOAD, live.id, staff=setup.provider).id == task.id
    )  # asked twice: one task
    assert [link.revoking for link in live_links(invoice.patient.id)] == [True]
    page = portal.browser().get(path)
    assert page.status_code == 200  # offline or not yet done: the link still opens

    assert await drain(config, tmp_path) is True
    done = reload(task)
    assert done.status == OutboxStatus.SENT and rows(task) == [("portal", "revoked")]
    assert DownloadLink.get_by_id(live.id).revoked_at is not None
    assert live_links(invoice.patient.id) == []
    page = portal.browser().get(path)
    assert page.status_code == 410 and "Ce lien a été révoqué" in page.text
    assert "Communiquez avec la clinique" in page.text
    with pytest.raises(RevokeRefused, match="already revoked"):
        revoke_link(LinkKind.DOWNLOAD, live.id, staff=setup.provider)
    assert len(smtp_server.handler.received) == 1 and len(sms_gateway.sent) == 1  # a revocation sends nothing
    assert Notification.select().count() == 0


async def test_a_link_without_its_key_fails_alone_and_the_next_task_goes(
    setup: Setup,
    smtp_server: SmtpServer,
    sms_gateway: SmsGateway,
    portal: RunningPortal,  # noqa: F811
    tmp_path: Path,
) -> None:
    """A link published before links had keys cannot be proven to the portal: its task fails with the
    reason and whoever asked is told; another link's revocation in the same run goes."""
    config = secure_config(tmp_path, smtp_server, sms_gateway, portal)
    first, second = patient_invoice(setup), patient_invoice(setup)
    for invoice in (first, second):
        enqueue_invoice_email(invoice, staff=setup.provider, pin_mode="sms")
    assert await drain(config, tmp_path) is True
    links = {link.document: link for link in live_links(first.patient.id) + live_links(second.patient.id)}
    old, fine = links[first.number], links[second.number]
    DownloadLink.update(link_key=None).where(DownloadLink.id == old.id).execute()

    failed = revoke_link(LinkKind.DOWNLOAD, old.id, staff=setup.provider)
    done = revoke_link(LinkKind.DOWNLOAD, fine.id, staff=setup.provider)
    assert await drain(config, tmp_path) is True
    assert reload(failed).status == OutboxStatus.FAILED and "avant que les liens aient des clés" in str(
        reload(failed).last_error
    )
    assert reload(done).status == OutboxStatus.SENT
    (notice,) = Notification.select()
    assert (notice.staff_id, notice.message) == (setup.provider.id, REVOKE_FAILED_NOTICE)

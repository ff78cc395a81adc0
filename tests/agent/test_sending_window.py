"""The clinic's sending window, end to end through ``agent --once`` with the agent's clock put in a
weekend: the scheduler queues the due reminder, which waits for Monday 08:00 (and so does the
automatic invoice email), while an invoice staff send goes at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from agent.pdf import InvoicePdfs
from agent.scheduler import SchedulerJob
from agent.service import build_agent
from models.core.enums import MessageKind, OutboxStatus, ScheduleStatus
from models.messaging.tables import OutboxMessage, ScheduledMessage
from models.workflow.sending import enqueue_invoice_email
from testbed.invoices import billed_invoice
from tests.agent.conftest import agent_config
from tests.agent.smtp_server import SmtpServer
from tests.agent.test_template_mail import billed_days_ago, reminders_on  # noqa: F401
from tests.conftest import Setup

SATURDAY = datetime(2026, 12, 12, 15, 0, tzinfo=UTC)  # 10:00 in Toronto
MONDAY_8 = datetime(2026, 12, 14, 13, 0, tzinfo=UTC)  # 08:00 in Toronto


async def run_at(clock: datetime, tmp_path: Path, port: int) -> None:
    job = SchedulerJob(3, clock=lambda: clock)
    config = agent_config(port, tmp_path)
    agent = build_agent(config, pdfs=InvoicePdfs(tmp_path / "pdf"), syncs=[job], clock=lambda: clock)
    assert await agent.run(once=True) is True


async def test_in_a_weekend_automatic_messages_wait_for_monday_and_staff_s_send_goes(
    reminders_on: Setup,  # noqa: F811
    smtp_server: SmtpServer,
    tmp_path: Path,
) -> None:
    clinic = reminders_on.clinic
    clinic.send_opens, clinic.send_closes, clinic.send_days, clinic.holiday_calendar = (
        "08:00",
        "18:00",
        "1-5",
        "CA-QC",
    )
    clinic.save()
    owing = billed_days_ago(reminders_on, (datetime.now(UTC) - SATURDAY).total_seconds() / 86400 + 15.1)
    manual = enqueue_invoice_email(billed_invoice(reminders_on.company), staff=reminders_on.provider)

    await run_at(SATURDAY, tmp_path, smtp_server.port)
    assert len(smtp_server.handler.received) == 1  # staff's send, at once
    assert OutboxMessage.get_by_id(manual.id).status == OutboxStatus.SENT
    queued = ScheduledMessage.select().where(
        (ScheduledMessage.invoice == owing.id) & (ScheduledMessage.status == ScheduleStatus.ENQUEUED)
    )
    assert len(queued) == 2  # the invoice email and the first reminder: queued by the scheduler
    reminder = OutboxMessage.get((OutboxMessage.invoice == owing.id) & (OutboxMessage.kind == "reminder"))
    waiting = OutboxMessage.select().where(OutboxMessage.invoice == owing.id)
    assert {(m.kind, m.status, m.attempts) for m in waiting} == {
        (MessageKind.INVOICE, OutboxStatus.PENDING, 0),  # the automatic invoice email: no attempt spent
        (MessageKind.REMINDER, OutboxStatus.PENDING, 0),
    }
    assert reminder.in_window and reminder.next_attempt_at == MONDAY_8

    await run_at(MONDAY_8 - timedelta(minutes=1), tmp_path, smtp_server.port)
    assert len(smtp_server.handler.received) == 1  # Monday 07:59: still closed
    await run_at(MONDAY_8, tmp_path, smtp_server.port)
    assert {OutboxMessage.get_by_id(m.id).status for m in waiting} == {OutboxStatus.SENT}
    assert len(smtp_server.handler.received) == 3

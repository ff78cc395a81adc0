"""The agent's PDFs rendered in child processes: through the shared cache, one render per invoice,
children replaced after a number of renders or when the wording changes, idle ones let go."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import agent.pdf.cache
from agent.render_pool import RenderPool
from agent.service import build_agent
from models.billing.invoice import Invoice
from models.core.config import Config
from models.core.enums import OutboxStatus
from models.core.errors import DatabaseError
from models.workflow.sending import enqueue_invoice_email
from testbed.invoices import billed_invoice
from tests.agent.conftest import agent_config, pdf_text
from tests.agent.smtp_server import SmtpServer
from tests.agent.test_delivery import reload
from tests.catalog_helpers import write_override
from tests.conftest import Setup


@pytest.fixture
def no_render_here(monkeypatch: pytest.MonkeyPatch) -> None:
    """This process cannot render: whatever is rendered, a child rendered."""

    def refuse(*_: object) -> bytes:
        raise AssertionError("rendered in the agent's process")

    monkeypatch.setattr(agent.pdf.cache, "render_invoice_pdf", refuse)


@pytest.fixture
def pool(tmp_path: Path) -> Iterator[RenderPool]:
    renders = RenderPool(tmp_path / "cache", processes=1, renders_per_child=2)
    yield renders
    renders.close()


def test_a_pdf_is_rendered_by_a_child_and_kept_in_the_cache(
    setup: Setup, pool: RenderPool, no_render_here: None
) -> None:
    invoice = billed_invoice(setup.company)
    pdf = pool.get(invoice, "fr")
    assert pdf.startswith(b"%PDF-") and invoice.number in pdf_text(pdf)
    assert pool.cache.path(invoice, "fr").read_bytes() == pdf  # the next get reads it
    assert pool.get(invoice, "fr") == pdf
    assert pool.filename(invoice, "en") == f"invoice-{invoice.number}.pdf"


def test_renders_asked_ahead_are_shared_and_children_are_replaced(
    setup: Setup, pool: RenderPool, no_render_here: None
) -> None:
    invoices = [billed_invoice(setup.company) for _ in range(5)]
    pool.prepare([(invoice, "fr") for invoice in invoices] + [(invoices[0], "fr")])
    # five renders on one child replaced after every two: none is lost while it is replaced
    for invoice in invoices:
        assert invoice.number in pdf_text(pool.get(invoice, "fr"))
    assert len(list(pool.cache.cache_dir.glob("*.pdf"))) == 5


def test_edited_wording_reaches_the_next_pdf(
    setup: Setup, tmp_path: Path, override_catalogs: Path, no_render_here: None
) -> None:
    pool = RenderPool(tmp_path / "cache", processes=1)
    try:
        invoice = billed_invoice(setup.company)
        assert "Échéance" in pdf_text(pool.get(invoice, "fr"))
        write_override(override_catalogs, "fr", {"Due date": "Payable au plus tard le"})
        assert "Payable au plus tard le" in pdf_text(pool.get(invoice, "fr"))
    finally:
        pool.close()


def test_idle_children_are_let_go_and_come_back(setup: Setup, tmp_path: Path) -> None:
    pool = RenderPool(tmp_path / "cache", processes=1, idle_seconds=0.0)
    try:
        first, second = billed_invoice(setup.company), billed_invoice(setup.company)
        pool.get(first, "fr")
        (child,) = pool._children
        assert child.executor is not None
        pool.trim()
        assert child.executor is None
        assert second.number in pdf_text(pool.get(second, "fr"))
    finally:
        pool.close()


def test_a_serving_agent_keeps_one_child_ready(setup: Setup, tmp_path: Path, no_render_here: None) -> None:
    pool = RenderPool(tmp_path / "cache", processes=2, renders_per_child=1, idle_seconds=0.0)

    def started() -> list[object]:
        return [child.executor for child in pool._children if child.executor is not None]

    try:
        pool.keep_one_ready()
        (ready,) = started()  # before any invoice is asked for
        invoice = billed_invoice(setup.company)
        assert invoice.number in pdf_text(pool.get(invoice, "fr"))
        # the ready child rendered it and retired after its one render: another is ready instead
        (successor,) = started()
        assert successor is not ready
        pool.trim()  # nothing to render: the children go, but the one kept ready
        assert started() == [successor]
    finally:
        pool.close()
    assert started() == []


def test_a_database_no_child_can_open_renders_here(
    setup: Setup, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def in_memory() -> str:
        raise DatabaseError("in memory")

    monkeypatch.setattr("agent.render_pool.current_url", in_memory)
    pool = RenderPool(tmp_path / "cache")
    invoice = billed_invoice(setup.company)
    assert invoice.number in pdf_text(pool.get(invoice, "fr"))
    assert all(child.executor is None for child in pool._children)


async def test_an_agent_attaches_what_its_render_processes_made(
    setup: Setup, smtp_server: SmtpServer, tmp_path: Path, no_render_here: None
) -> None:
    config = agent_config(smtp_server.port, tmp_path, cache_dir=str(tmp_path / "cache"))
    cached, fresh = billed_invoice(setup.company), billed_invoice(setup.company, language="en")
    ahead = RenderPool(tmp_path / "cache", processes=1, pay_base=config.portal.url)  # as the agent's
    try:
        ahead.get(cached, "fr")  # in the cache before the claim: read with it
    finally:
        ahead.close()
    messages = [enqueue_invoice_email(invoice) for invoice in (cached, fresh, cached)]
    assert await build_agent(config).run(once=True) is True
    assert {reload(message).status for message in messages} == {OutboxStatus.SENT}
    attached = {}
    for received in smtp_server.handler.received:
        (attachment,) = received.email.iter_attachments()
        attached.setdefault(attachment.get_filename(), set()).add(attachment.get_content())  # type: ignore[attr-defined]
    assert attached == {
        f"facture-{cached.number}.pdf": {
            (tmp_path / "cache" / config_path(cached, "fr", config)).read_bytes()
        },
        f"invoice-{fresh.number}.pdf": {(tmp_path / "cache" / config_path(fresh, "en", config)).read_bytes()},
    }


def config_path(invoice: Invoice, language: str, config: Config | None = None) -> str:
    """The cached file's name; with ``config``, as its agent names it (the QR code to its portal)."""
    pay_base = config.portal.url if config is not None else ""
    return agent.pdf.cache.InvoicePdfs(Path("cache"), pay_base=pay_base).path(invoice, language).name


async def test_offline_the_waiting_messages_pdfs_are_rendered_meanwhile(
    setup: Setup, tmp_path: Path, no_render_here: None
) -> None:
    import asyncio

    from models.messaging.tables import OutboxMessage
    from tests.agent.smtp_server import free_port

    enqueue_invoice_email(billed_invoice(setup.company))  # the agent finds out it is offline
    pool = RenderPool(tmp_path / "cache", processes=1)
    agent = build_agent(agent_config(free_port(), tmp_path), pdfs=pool)  # nothing listens: offline
    running = asyncio.create_task(agent.run())
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 60
        while agent.online:
            assert loop.time() < deadline, "the agent never went offline"
            await asyncio.sleep(0.05)
        # queued while offline: never claimed, yet their PDFs are ready when the clinic is back;
        # so is the PDF of an automatic email the scheduler will queue in two hours
        invoices = [billed_invoice(setup.company) for _ in range(3)]
        messages = [enqueue_invoice_email(invoice) for invoice in invoices]
        invoices.append(scheduled_in_two_hours(setup))
        while not all(pool.cache.path(invoice, "fr").exists() for invoice in invoices):
            assert loop.time() < deadline, "the waiting PDFs were not rendered while offline"
            await asyncio.sleep(0.05)
    finally:
        agent.stop()
        await asyncio.wait_for(running, 30)
    waiting = [OutboxMessage.get_by_id(message.id) for message in messages]
    assert {(m.status, m.attempts) for m in waiting} == {(OutboxStatus.PENDING, 0)}  # none was sent


def scheduled_in_two_hours(setup: Setup) -> Invoice:
    """A billed invoice whose automatic email (with the invoice attached) is due in two hours."""
    from datetime import timedelta

    from models.database.base import utcnow
    from models.messaging.tables import ScheduledMessage, Template

    template = Template.get(Template.system_key == "invoice_email")
    Template.update(active=True, attach_invoice=True).where(Template.id == template.id).execute()
    invoice = billed_invoice(setup.company)
    ScheduledMessage.create(invoice=invoice, template=template, due_at=utcnow() + timedelta(hours=2))
    return invoice

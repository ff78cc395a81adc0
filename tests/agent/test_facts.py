"""A claim's rows read together: no query per message afterwards, and as fresh as each claim."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import peewee
import pytest

from agent.facts import load_facts, message_facts
from agent.service import build_agent
from models.core.enums import OutboxStatus
from models.messaging.tables import OutboxMessage, Template
from models.people.clinic import Staff
from models.workflow.sending import enqueue_invoice_email
from testbed.invoices import billed_invoice
from tests.agent.conftest import agent_config
from tests.agent.smtp_server import SmtpServer
from tests.agent.test_delivery import real_pdfs, reload
from tests.conftest import Setup


@pytest.fixture
def queries(database: peewee.Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every SQL statement run from now on."""
    run: list[str] = []
    execute = database.execute_sql

    def counting(sql: str, *args: object, **kwargs: object) -> object:
        run.append(sql)
        return execute(sql, *args, **kwargs)

    monkeypatch.setattr(database, "execute_sql", counting)
    yield run


def test_a_claims_rows_come_in_three_queries_and_reading_them_costs_none(
    setup: Setup, queries: list[str]
) -> None:
    staff = Staff.create(login="reception", display_name="Léa Gagnon", roles="billing")
    template = Template.get_or_none(Template.kind == "reminder") or Template.create(
        kind="reminder", name="Rappel", subject_fr="s", body_fr="b", subject_en="s", body_en="b"
    )
    with_provider = billed_invoice(setup.company)
    with_provider.provider = setup.provider
    with_provider.save()
    without = billed_invoice(setup.company)
    messages = [
        enqueue_invoice_email(with_provider, staff=staff),
        enqueue_invoice_email(without),
        enqueue_invoice_email(without, template=template, attach_pdf=False),
    ]
    queries.clear()
    facts = load_facts(messages)
    assert len(queries) == 3  # invoices with their rows, the staff, the templates
    queries.clear()
    first, second, third = (facts[message.id] for message in messages)
    assert first.invoice.provider.display_name == "Dre Julie Roy"
    assert first.staff is not None and first.staff.display_name == "Léa Gagnon"
    assert first.clinic.name == "Clinique du Parc"
    assert first.invoice.patient.full_name == "Marie Tremblay"
    assert first.invoice.billing_company.name == "Clinique du Parc inc."
    assert second.invoice.provider is None and second.staff is None and second.template is None
    assert third.template is not None and third.template.id == template.id
    assert queries == []


def test_no_messages_no_query(database: peewee.Database, queries: list[str]) -> None:
    assert load_facts([]) == {}
    assert queries == []


def test_each_read_sees_the_changes_made_before_it(setup: Setup) -> None:
    message = enqueue_invoice_email(billed_invoice(setup.company), staff=setup.provider)
    assert message_facts(message).clinic.name == "Clinique du Parc"
    setup.clinic.name = "Clinique du Parc-Lafontaine"
    setup.clinic.save()
    setup.provider.display_name = "Dre Julie Roy-Tremblay"
    setup.provider.save()
    facts = message_facts(message)
    assert facts.clinic.name == "Clinique du Parc-Lafontaine"
    assert facts.staff is not None and facts.staff.display_name == "Dre Julie Roy-Tremblay"


async def test_a_running_agent_writes_the_clinic_and_sender_as_they_are_at_each_claim(
    setup: Setup, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    pdfs = real_pdfs(tmp_path)
    invoice = billed_invoice(setup.company)
    pdfs.get(invoice, "fr")
    agent = build_agent(agent_config(smtp_server.port, tmp_path, poll_seconds=0.1), pdfs=pdfs)
    running = asyncio.create_task(agent.run())
    try:
        first = enqueue_invoice_email(invoice, staff=setup.provider)
        await _sent(first)
        setup.clinic.name = "Clinique du Parc-Lafontaine"
        setup.clinic.save()
        setup.provider.display_name = "Dre Julie Roy-Tremblay"
        setup.provider.save()
        second = enqueue_invoice_email(invoice, staff=setup.provider)
        await _sent(second)
    finally:
        agent.stop()
        await running
    before, after = (received.email for received in smtp_server.handler.received)
    assert before["Subject"] == "Clinique du Parc" and "Dre Julie Roy <" in before["From"]
    assert after["Subject"] == "Clinique du Parc-Lafontaine"
    assert "Dre Julie Roy-Tremblay <" in after["From"]


async def _sent(message: OutboxMessage, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while reload(message).status != OutboxStatus.SENT:
        assert time.monotonic() < deadline, reload(message).last_error
        await asyncio.sleep(0.02)

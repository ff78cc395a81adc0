"""Template-based emails: the subject and body come from the template in the recipient's language,
with the delivery's links; the scheduler job queues reminders that the agent then sends (aiosmtpd)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from agent.compose import Composer
from agent.pdf import InvoicePdfs
from agent.scheduler import SchedulerJob
from agent.service import build_agent
from agent.steps import Delivery
from locales import translator
from locales.registry import default_registry
from models.billing.invoice import Invoice
from models.core.enums import MessageKind, OutboxStatus, PinMode, ScheduleStatus
from models.database.base import utcnow
from models.messaging.system_templates import FIRST_REMINDER
from models.messaging.tables import OutboxMessage, ScheduledMessage, Template
from models.people.patient import Patient
from models.workflow.lifecycle import bill, record_payment
from models.workflow.sending import enqueue_invoice_email
from testbed.invoices import billed_invoice
from tests.agent.conftest import agent_config, pdf_text
from tests.agent.smtp_server import SmtpServer
from tests.catalog_helpers import write_override
from tests.conftest import Setup


def plain(email: object) -> str:
    return email.get_body(("plain",)).get_content()  # type: ignore[attr-defined]


def html(email: object) -> str:
    return email.get_body(("html",)).get_content()  # type: ignore[attr-defined]


def shipped(key: str) -> Template:
    return Template.get(Template.system_key == key)


def test_a_reminder_is_written_from_its_template_in_the_recipients_language(
    setup: Setup, pdfs: InvoicePdfs
) -> None:
    setup.clinic.phone = "+15145551000"
    setup.clinic.save()
    template = shipped("reminder_first")
    for language, greeting, amount in (
        ("fr", "Bonjour Marie Tremblay,", "85,00\u00a0$"),
        ("en", "Hello", "$85.00"),
    ):
        invoice = billed_invoice(setup.company, language=language)
        message = enqueue_invoice_email(
            invoice, message="", kind=MessageKind.REMINDER, template=template, attach_pdf=False
        )
        email = Composer(pdfs, "facturation@clinique.example").compose(message)
        body = plain(email)
        assert email["Subject"] == "Clinique du Parc"
        assert email["Content-Language"] == language
        assert body.startswith(greeting) and amount in body and invoice.number in body
        assert "+15145551000" in body
        assert "{{" not in body and "checkout" not in body  # no payment link: the block is left out
        assert f'<html lang="{language}">' in html(email)
        assert list(email.iter_attachments()) == []  # the template said: no attachment


def test_an_admins_catalog_edit_words_the_next_reminder_and_a_broken_one_does_not(
    setup: Setup, pdfs: InvoicePdfs, override_catalogs: Path
) -> None:
    first = FIRST_REMINDER.wording()["body_fr"]
    edited = first.replace("Petit rappel :", "Un mot amical :")
    path = write_override(override_catalogs, "fr", {FIRST_REMINDER.body: edited})
    composer = Composer(pdfs, "facturation@clinique.example")

    def reminder_body() -> str:
        invoice = billed_invoice(setup.company, language="fr")
        message = enqueue_invoice_email(
            invoice,
            message="",
            kind=MessageKind.REMINDER,
            template=shipped("reminder_first"),
            attach_pdf=False,
        )
        return plain(composer.compose(message))

    assert "Un mot amical : la facture" in reminder_body()
    msgid, translation = path.read_text(encoding="utf-8").rsplit("msgstr", 1)  # the admin edits the French
    broken = translation.replace("{{ amount_due }}", "{{ montant }}").replace("Un mot amical", "Texte cassé")
    path.write_text(f"{msgid}msgstr{broken}", encoding="utf-8")
    (event,) = default_registry().refresh()
    assert not event.applied and "{{ amount_due }}" in event.problems[0].text(translator("en"))
    body = reminder_body()
    assert "Un mot amical : la facture" in body and "Texte cassé" not in body  # the last good text
    assert "85,00\u00a0$" in body


def test_the_delivery_links_fill_the_fields_and_html_links_them(setup: Setup, pdfs: InvoicePdfs) -> None:
    invoice = billed_invoice(setup.company, language="en")
    message = enqueue_invoice_email(invoice, message="", template=shipped("invoice_email"))
    delivery = Delivery(
        message,
        "host:1",
        download_url="https://portal.example/l/abc",
        payment_url="https://checkout.example/pay/xyz",
    )
    email = Composer(pdfs, "facturation@clinique.example").compose(message, delivery)
    body = plain(email)
    assert "You can view it securely here: https://portal.example/l/abc" in body
    assert "To pay online: https://checkout.example/pay/xyz" in body
    assert '<a href="https://checkout.example/pay/xyz">' in html(email)
    (attachment,) = list(email.iter_attachments())
    assert invoice.number in pdf_text(attachment.get_content())


def test_a_custom_subject_and_escaped_values(setup: Setup, pdfs: InvoicePdfs) -> None:
    invoice = billed_invoice(setup.company, language="fr")
    invoice.billed_to_name = "<b>Marie</b>"
    invoice.save()
    template = Template.create(
        kind="invoice",
        name="Custom",
        subject_fr="{{ clinic_name }} — facture {{ invoice_number }}",
        body_fr="Allô {{ billed_to_name }} & cie",
        subject_en="x",
        body_en="y",
    )
    message = enqueue_invoice_email(invoice, message="", template=template, attach_pdf=False)
    email = Composer(pdfs, "facturation@clinique.example").compose(message)
    assert email["Subject"] == f"Clinique du Parc — facture {invoice.number}"
    assert plain(email) == "Allô <b>Marie</b> & cie\n"
    assert "Allô &lt;b&gt;Marie&lt;/b&gt; &amp; cie" in html(email)


def test_a_message_whose_template_was_deleted_gets_the_standard_email(
    setup: Setup, pdfs: InvoicePdfs
) -> None:
    invoice = billed_invoice(setup.company)
    template = Template.create(
        kind="invoice", name="Gone", subject_fr="s", body_fr="b", subject_en="s", body_en="b"
    )
    message = enqueue_invoice_email(invoice, template=template)
    template.delete_instance()
    message = OutboxMessage.get_by_id(message.id)
    email = Composer(pdfs, "facturation@clinique.example").compose(message)
    assert plain(email).startswith("Bonjour Marie Tremblay,")


# The scheduler job, end to end -------------------------------------------------------------------


@pytest.fixture
def reminders_on(setup: Setup) -> Setup:
    setup.clinic.default_pin_mode = PinMode.NONE.value
    setup.clinic.save()
    Template.update(active=True).where(
        Template.channel == "email"
    ).execute()  # the emails; texts have their tests
    return setup


async def drain(tmp_path: Path, port: int, late_days: float = 3) -> bool:
    job = SchedulerJob(late_days)  # the real clock: the invoices are billed in the past instead
    agent = build_agent(agent_config(port, tmp_path), pdfs=InvoicePdfs(tmp_path / "pdf"), syncs=[job])
    return await agent.run(once=True)


def billed_days_ago(setup: Setup, days: float) -> Invoice:
    """A patient who consented to attachments (the clinic's PIN mode here is ``none``), billed then."""
    draft = billed_invoice(setup.company, draft=True)
    Patient.update(consent_email_attachments=True).where(Patient.id == draft.patient_id).execute()
    return bill(draft, now=utcnow() - timedelta(days=days))


async def test_billing_emails_the_invoice_and_the_scheduler_sends_the_due_reminder_in_the_same_run(
    reminders_on: Setup, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    invoice = billed_days_ago(reminders_on, 15.1)  # the first reminder fell due 2.4 hours ago
    assert await drain(tmp_path, smtp_server.port) is True
    invoice_email, reminder = (received.email for received in smtp_server.handler.received)
    assert invoice_email["Subject"] == reminder["Subject"] == "Clinique du Parc"
    assert "Voici votre facture" in plain(invoice_email)
    assert [a.get_filename() for a in invoice_email.iter_attachments()] == [f"facture-{invoice.number}.pdf"]
    assert "Petit rappel" in plain(reminder) and list(reminder.iter_attachments()) == []
    rows = {row.template.system_key: row for row in ScheduledMessage.select()}
    assert rows["reminder_first"].status == ScheduleStatus.ENQUEUED
    assert OutboxMessage.get_by_id(rows["reminder_first"].outbox_message_id).status == OutboxStatus.SENT
    assert rows["reminder_second"].status == ScheduleStatus.SCHEDULED  # not due for two more weeks


async def test_after_a_long_offline_spell_old_reminders_are_skipped_not_sent(
    reminders_on: Setup, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    invoice = billed_days_ago(reminders_on, 20)  # the first reminder is 5 days late
    record_payment(invoice, 100, "cash")  # a balance remains
    await drain(tmp_path, smtp_server.port, late_days=3)
    (only,) = smtp_server.handler.received  # the invoice email, queued at billing
    assert "Voici votre facture" in plain(only.email)
    first = ScheduledMessage.get(ScheduledMessage.template == shipped("reminder_first").id)
    assert first.status == ScheduleStatus.SKIPPED


async def test_a_template_that_loops_fails_its_own_message_and_the_others_go(
    setup: Setup, tmp_path: Path
) -> None:
    from models.messaging.notifications import DELIVERY_FAILED
    from models.messaging.tables import Notification
    from models.messaging.template_budget import Budget, configure_budget

    looping = Template.create(
        kind="reminder",
        name="Relance maison",
        subject_fr="Facture",
        body_fr="{% for a in 'x' * 1000 %}{% for b in 'x' * 1000 %}{% for c in 'x' * 1000 %}"
        "{% for d in 'x' * 1000 %}{% endfor %}{% endfor %}{% endfor %}{% endfor %}",  # time, not output
        subject_en="Invoice",
        body_en="Hello",
        attach_invoice=False,
    )
    stuck = enqueue_invoice_email(
        billed_invoice(setup.company),
        message="",
        kind=MessageKind.REMINDER,
        template=looping,
        attach_pdf=False,
        staff=setup.provider,
    )
    others = [enqueue_invoice_email(billed_invoice(setup.company)) for _ in range(3)]
    server = SmtpServer().start()
    configure_budget(Budget(seconds=1.0))
    try:
        agent = build_agent(agent_config(server.port, tmp_path), pdfs=InvoicePdfs(tmp_path / "pdf"))
        assert await agent.run(once=True) is True
    finally:
        configure_budget(Budget())
        server.stop()
    assert OutboxMessage.get_by_id(stuck.id).status == OutboxStatus.FAILED
    assert {OutboxMessage.get_by_id(m.id).status for m in others} == {OutboxStatus.SENT}
    (notice,) = Notification.select().where(Notification.kind == DELIVERY_FAILED)
    assert "« Relance maison »" in notice.params and "trop de temps" in notice.params  # names the template

"""Secure delivery end to end: the outbox -> ``agent --once`` -> the real portal on loopback, aiosmtpd
and the fake SMS gateway -> a patient's browser: the link from the email, the PIN from the SMS,
the exact PDF bytes; then the portal's events pulled back."""

from __future__ import annotations

import logging
import re
import sqlite3
from dataclasses import replace
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from agent.delivery.build import build_portal
from agent.delivery.publish import PortalPublishStep
from agent.pacing import Pace
from agent.service import build_agent
from models.billing.invoice import Invoice
from models.billing.invoicing import LineInput, create_draft
from models.core.config import Config, PortalSettings, SmsSettings
from models.core.enums import OutboxStatus
from models.database.base import utcnow
from models.links.tables import DownloadLink
from models.messaging.secure_link import legacy_link_key, link_key, link_key_verifier, pin_matches, token_hash
from models.messaging.tables import Notification, OutboxMessage, Transmission
from models.people.clinic import Clinic
from models.people.patient import Patient
from models.workflow.lifecycle import bill
from models.workflow.sending import enqueue_invoice_email, resend
from portal.storage import Link as PortalLink
from testbed.sms_gateway import SmsGateway
from tests.agent.conftest import agent_config
from tests.agent.smtp_server import SmtpServer
from tests.agent.test_delivery import real_pdfs, reload
from tests.conftest import Setup
from tests.portal.conftest import API_TOKEN, Clock, RunningPortal, StartPortal, start_portal  # noqa: F401

PHONE = "+15145551234"
RAMQ = "TREM80121512"  # the institution PIN: its last six, 121512
CODE, DESCRIPTION = "PHY-042", "Physiothérapie lombaire"  # health details: never in an email or SMS
LINK = re.compile(r"http://127\.0\.0\.1:\d+/l/([A-Za-z0-9_-]+)\?lang=(fr|en)")


@pytest.fixture
def portal(start_portal: StartPortal, monkeypatch: pytest.MonkeyPatch) -> RunningPortal:  # noqa: F811
    monkeypatch.setenv("FACTEUR_PORTAL_TOKEN", API_TOKEN)
    monkeypatch.setenv("SMS_TOKEN", "gateway-token")
    return start_portal(clock=Clock(utcnow()))


def secure_config(tmp_path: Path, smtp: SmtpServer, gateway: SmsGateway, portal: RunningPortal) -> Config:
    config = agent_config(smtp.port, tmp_path)
    return replace(
        config,
        sms=SmsSettings(
            backend="http", url=gateway.url, token_env="SMS_TOKEN", sender="CliniqueDP", timeout=2
        ),
        portal=PortalSettings(url=portal.url),
    )


def patient_invoice(setup: Setup, *, insurance: str | None = RAMQ, language: str = "fr") -> Invoice:
    patient = Patient.create(
        last_name="Tremblay",
        first_name="Marie",
        email="marie.tremblay@example.org",
        cell_phone=PHONE,
        language=language,
        health_insurance_number=insurance,
    )
    lines = [LineInput(DESCRIPTION, Decimal(1), 9500, Decimal(0), CODE)]
    return bill(
        create_draft(patient=patient, billing_company=setup.company, provider=setup.provider, lines=lines)
    )


async def drain(config: Config, tmp_path: Path) -> bool:
    return await build_agent(config, pdfs=real_pdfs(tmp_path)).run(once=True)


def rows(message: OutboxMessage) -> list[tuple[str, str]]:
    query = Transmission.select().where(Transmission.message == message.id).order_by(Transmission.id)
    return [(row.channel, row.status) for row in query]


def parts(email: EmailMessage) -> tuple[str, str]:
    plain = email.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = email.get_body(("html",)).get_content()  # type: ignore[union-attr]
    return plain, html


def link_in(email: EmailMessage) -> tuple[str, str]:
    """The link's path and its token, from the email's text part."""
    match = LINK.search(parts(email)[0])
    assert match is not None, parts(email)[0]
    return f"/l/{match[1]}?lang={match[2]}", match[1]


def download(portal: RunningPortal, path: str, pin: str) -> bytes:
    browser = portal.browser()
    opened = browser.post(path.split("?")[0], data={"pin": pin})
    assert opened.status_code == 200, opened.text
    pdf = browser.get(path.split("?")[0] + "/documents/0")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    return pdf.content


async def test_sms_mode_link_by_email_pin_by_sms_exact_pdf_and_the_download_comes_back(
    setup: Setup, smtp_server: SmtpServer, sms_gateway: SmsGateway, portal: RunningPortal, tmp_path: Path
) -> None:
    config = secure_config(tmp_path, smtp_server, sms_gateway, portal)
    invoice = patient_invoice(setup)
    message = enqueue_invoice_email(invoice, staff=setup.provider, pin_mode="sms")
    assert await drain(config, tmp_path) is True

    sent = reload(message)
    assert sent.status == OutboxStatus.SENT and sent.link_token is None  # the email carries it now
    assert sent.published_at is not None and sent.pin_sent_at is not None
    # the PIN goes once the email is accepted: no PIN for an email that failed
    # and the gateway's receipt, asked at the end of the run: the text reached the phone
    assert rows(message) == [
        ("portal", "published"),
        ("email", "sent"),
        ("sms", "sent"),
        ("sms", "delivered"),
    ]
    sms_row = Transmission.get((Transmission.message == message.id) & (Transmission.channel == "sms"))
    assert sms_row.provider_id == "sms-1"

    (sms,) = sms_gateway.sent
    assert sms.to == PHONE and re.fullmatch(r"\d{6}", sms.pin)
    assert CODE not in sms.text and DESCRIPTION not in sms.text and "Clinique du Parc" in sms.text

    (received,) = smtp_server.handler.received
    email = received.email
    assert email["Subject"] == "Clinique du Parc" and "Dre Julie Roy" in email["From"]
    assert list(email.iter_attachments()) == []  # a secure link never carries the document
    plain, html = parts(email)
    for text in (received.raw.decode("utf-8", "replace"), plain, html):
        assert CODE not in text and DESCRIPTION not in text and "Physioth" not in text
    assert "Votre facture du" in plain and "prête à être téléchargée" in plain  # the link mode's wording
    assert "Télécharger votre facture" in plain and "Télécharger votre facture" in html
    assert "se terminant par 34" in plain  # how the PIN comes: the number's last digits
    assert "Ce lien cesse de fonctionner le" in plain
    path, token = link_in(email)
    assert f'href="{portal.url}{path.replace("&", "&amp;")}"' in html

    pdf = download(portal, path, sms.pin)
    assert pdf == real_pdfs(tmp_path).get(Invoice.get_by_id(invoice.id), "fr")  # the exact bytes

    link = DownloadLink.get(DownloadLink.token_hash == token_hash(token))
    assert (link.pin_mode, link.download_count, fk(link, "message")) == ("sms", 0, message.id)
    assert pin_matches(token, sms.pin, link.pin_hash)
    assert abs((link.expires_at - sent.published_at).total_seconds() - 14 * 86400) < 5

    assert await drain(config, tmp_path) is True  # nothing due: the events are pulled
    link = DownloadLink.get_by_id(link.id)
    assert link.download_count == 1 and link.last_download_at is not None
    assert rows(message)[-1] == ("portal", "downloaded")
    assert await drain(config, tmp_path) is True  # pulled again: nothing counted twice
    assert DownloadLink.get_by_id(link.id).download_count == 1
    assert rows(message).count(("portal", "downloaded")) == 1


async def test_an_email_refused_for_good_sends_no_pin(
    setup: Setup, smtp_server: SmtpServer, sms_gateway: SmsGateway, portal: RunningPortal, tmp_path: Path
) -> None:
    """The PIN follows the email: a patient whose address bounces gets no PIN for a link never sent."""
    config = secure_config(tmp_path, smtp_server, sms_gateway, portal)
    message = enqueue_invoice_email(patient_invoice(setup), staff=setup.provider, pin_mode="sms")
    smtp_server.handler.script("rcpt:550")
    await drain(config, tmp_path)
    failed = reload(message)
    assert failed.status == OutboxStatus.FAILED and failed.pin_sent_at is None
    assert rows(message) == [("portal", "published"), ("email", "failed")]
    assert sms_gateway.sent == []


async def test_an_sms_retry_draws_a_new_pin_and_the_old_one_stops_working(
    setup: Setup,
    smtp_server: SmtpServer,
    sms_gateway: SmsGateway,
    portal: RunningPortal,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    config = secure_config(tmp_path, smtp_server, sms_gateway, portal)
    # not due again within the first drain, however long it takes: the test makes it due itself
    config = replace(config, agent=replace(config.agent, retry_base_seconds=60.0, retry_cap_seconds=60.0))
    message = enqueue_invoice_email(patient_invoice(setup), staff=setup.provider, pin_mode="sms")
    sms_gateway.script("status:503")  # the gateway takes the text, then fails
    await drain(config, tmp_path)
    deferred = reload(message)
    assert deferred.status == OutboxStatus.PENDING and deferred.pin_sent_at is None
    assert deferred.sent_at is not None and deferred.link_token  # emailed; the link kept for the PIN
    assert rows(message) == [("portal", "published"), ("email", "sent"), ("sms", "deferred")]
    assert len(smtp_server.handler.received) == 1

    OutboxMessage.update(next_attempt_at=utcnow()).where(OutboxMessage.id == message.id).execute()
    assert await drain(config, tmp_path) is True
    assert rows(message) == [
        ("portal", "published"),
        ("email", "sent"),
        ("sms", "deferred"),
        ("portal", "published"),  # the new PIN's hash, re-published on the same link
        ("sms", "sent"),  # and no second email
        ("sms", "delivered"),  # the gateway's receipt
    ]
    assert len(smtp_server.handler.received) == 1
    done = reload(message)
    assert done.status == OutboxStatus.SENT and done.pin_sent_at is not None and done.link_token is None
    first, second = (request.pin for request in sms_gateway.sent)
    assert first != second
    path, token = link_in(smtp_server.handler.received[0].email)
    assert DownloadLink.select().where(DownloadLink.token_hash == token_hash(token)).count() == 1

    stale = portal.browser().post(path.split("?")[0], data={"pin": first, "lang": "en"})
    assert stale.status_code == 200 and "4 attempts left" in stale.text
    assert download(portal, path, second).startswith(b"%PDF-")

    # The PINs are nowhere but in the SMS: not in a log, a transmission, nor the database.
    for pin in (first, second):
        assert pin not in caplog.text
        for transmission in Transmission.select():
            assert pin not in f"{transmission.detail} {transmission.provider_id} {transmission.reply_code}"
        assert not stored_anywhere(tmp_path / "facteur.db", pin)


async def test_more_messages_in_the_works_than_emails_or_texts_at_once(
    setup: Setup, smtp_server: SmtpServer, sms_gateway: SmsGateway, portal: RunningPortal, tmp_path: Path
) -> None:
    """``in_flight`` messages are published while ``concurrency`` emails and texts go at once: the
    SMTP connections and the gateway never see more than that, and a slow gateway does not keep
    the next messages from being published meanwhile."""
    config = secure_config(tmp_path, smtp_server, sms_gateway, portal)
    config = replace(config, agent=replace(config.agent, concurrency=2, in_flight=8))
    messages = [
        enqueue_invoice_email(patient_invoice(setup), staff=setup.provider, pin_mode="sms") for _ in range(10)
    ]
    sms_gateway.script(*["slow"] * 10)
    assert await drain(config, tmp_path) is True
    sent = [reload(message) for message in messages]
    assert all(m.status == OutboxStatus.SENT and m.pin_sent_at is not None for m in sent)
    assert len(sms_gateway.sent) == 10 and sms_gateway.most_at_once == 2
    assert smtp_server.handler.connections <= 2
    first_text = min(m.pin_sent_at for m in sent if m.pin_sent_at is not None)
    published_before = [m for m in sent if m.published_at is not None and m.published_at < first_text]
    assert len(published_before) > 2  # more than ``concurrency`` were in the works at once


async def test_institution_mode_uses_the_insurance_number_and_sends_no_sms(
    setup: Setup, smtp_server: SmtpServer, sms_gateway: SmsGateway, portal: RunningPortal, tmp_path: Path
) -> None:
    config = secure_config(tmp_path, smtp_server, sms_gateway, portal)
    invoice = patient_invoice(setup, language="en")
    message = enqueue_invoice_email(invoice, staff=setup.provider, pin_mode="institution")
    assert message.pin_hash is not None and "121512" not in message.pin_hash
    assert await drain(config, tmp_path) is True
    assert rows(message) == [("portal", "published"), ("email", "sent")]
    assert sms_gateway.sent == []
    email = smtp_server.handler.received[0].email
    plain, _ = parts(email)
    assert "Download your invoice" in plain and "The clinic gives you the PIN that opens it." in plain
    assert "ready to download" in plain and list(email.iter_attachments()) == []
    path, _ = link_in(email)
    assert path.endswith("?lang=en")
    assert download(portal, path, "121512").startswith(b"%PDF-")


async def test_a_resend_makes_a_new_link_and_revokes_the_old_one_even_one_made_before_link_keys(
    setup: Setup, smtp_server: SmtpServer, sms_gateway: SmsGateway, portal: RunningPortal, tmp_path: Path
) -> None:
    config = secure_config(tmp_path, smtp_server, sms_gateway, portal)
    first = enqueue_invoice_email(patient_invoice(setup), staff=setup.provider, pin_mode="sms")
    await drain(config, tmp_path)
    _, first_token = link_in(smtp_server.handler.received[0].email)
    published = DownloadLink.get(DownloadLink.token_hash == token_hash(first_token))
    assert published.link_key == link_key(first_token)  # kept: the token left with the email
    # as both upgrades leave a link published before link keys: its key from its PIN's hash
    legacy = legacy_link_key(published.pin_hash)
    DownloadLink.update(link_key=legacy).where(DownloadLink.id == published.id).execute()
    PortalLink.update(key_verifier=link_key_verifier(legacy)).where(
        PortalLink.token_hash == published.token_hash
    ).execute()
    again = resend(reload(first), staff=setup.provider)
    assert again.link_token and again.pin_mode == "sms" and again.recipient_phone == PHONE
    await drain(config, tmp_path)
    old_path, old_token = link_in(smtp_server.handler.received[0].email)
    new_path, new_token = link_in(smtp_server.handler.received[1].email)
    assert old_token != new_token
    replaced = portal.browser().post(old_path.split("?")[0], data={"pin": sms_gateway.sent[0].pin})
    assert replaced.status_code == 410
    assert download(portal, new_path, sms_gateway.sent[1].pin).startswith(b"%PDF-")
    old = DownloadLink.get(DownloadLink.token_hash == token_hash(old_token))
    new = DownloadLink.get(DownloadLink.token_hash == token_hash(new_token))
    assert old.revoked_at is not None and new.revoked_at is None


class StubPdfs:
    """A PDF without rendering one: what is measured here is the portal's answer."""

    def get(self, invoice: Invoice, language: str) -> bytes:
        return b"%PDF-1.7 stub"

    def filename(self, invoice: Invoice, language: str) -> str:
        return "facture.pdf"


class RefusingOnce:
    """The portal API's rate limiter, over its limit for the first request only."""

    def __init__(self) -> None:
        self.refused = False

    def allow(self, address: str) -> bool:
        refused, self.refused = self.refused, True
        return refused

    def retry_after(self, address: str) -> int:
        return 1


async def test_a_429_from_the_portal_slows_its_channel_and_fails_nothing(
    setup: Setup,
    smtp_server: SmtpServer,
    sms_gateway: SmsGateway,
    portal: RunningPortal,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    config = secure_config(tmp_path, smtp_server, sms_gateway, portal)
    portal.services.api_limiter = RefusingOnce()  # type: ignore[assignment]
    message = enqueue_invoice_email(patient_invoice(setup), staff=setup.provider, pin_mode="institution")
    pace = Pace(minute=0.1)  # a pause of a tenth of a second, for a clinic's minute
    step = PortalPublishStep(build_portal(config), StubPdfs(), pace=pace)
    assert await build_agent(config, pdfs=StubPdfs(), steps=[step], syncs=[]).run(once=True) is True
    done = reload(message)
    assert done.status == OutboxStatus.SENT
    assert rows(message) == [("portal", "deferred"), ("portal", "published"), ("email", "sent")]
    slowed = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(slowed) == 1 and slowed[0].startswith("portal")  # the portal's channel paused, once


async def test_a_locked_link_is_recorded_and_its_sender_told(
    setup: Setup, smtp_server: SmtpServer, sms_gateway: SmsGateway, portal: RunningPortal, tmp_path: Path
) -> None:
    config = secure_config(tmp_path, smtp_server, sms_gateway, portal)
    message = enqueue_invoice_email(patient_invoice(setup), staff=setup.provider, pin_mode="sms")
    await drain(config, tmp_path)
    path, token = link_in(smtp_server.handler.received[0].email)
    browser = portal.browser()
    for _ in range(5):
        browser.post(
            path.split("?")[0], data={"pin": "000000" if sms_gateway.sent[0].pin != "000000" else "1"}
        )
    await drain(config, tmp_path)
    link = DownloadLink.get(DownloadLink.token_hash == token_hash(token))
    assert link.locked_at is not None and fk(link, "message") == message.id
    (notice,) = Notification.select().where(Notification.kind == "link_locked")
    assert notice.staff_id == setup.provider.id  # type: ignore[attr-defined]


async def test_without_the_portal_token_the_messages_wait_and_nothing_leaves(
    setup: Setup,
    smtp_server: SmtpServer,
    sms_gateway: SmsGateway,
    portal: RunningPortal,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("FACTEUR_PORTAL_TOKEN")
    config = secure_config(tmp_path, smtp_server, sms_gateway, portal)
    message = enqueue_invoice_email(patient_invoice(setup), staff=setup.provider, pin_mode="sms")
    assert await drain(config, tmp_path) is False  # offline: a configuration problem, no attempt spent
    waiting = reload(message)
    assert (waiting.status, waiting.attempts) == (OutboxStatus.PENDING, 0)
    assert "FACTEUR_PORTAL_TOKEN" in (waiting.last_error or "")
    assert sms_gateway.sent == [] and smtp_server.handler.received == []


async def test_the_link_lives_as_many_days_as_the_clinic_says(
    setup: Setup, smtp_server: SmtpServer, sms_gateway: SmsGateway, portal: RunningPortal, tmp_path: Path
) -> None:
    Clinic.update(link_days=3).execute()
    config = secure_config(tmp_path, smtp_server, sms_gateway, portal)
    message = enqueue_invoice_email(patient_invoice(setup), staff=setup.provider, pin_mode="institution")
    await drain(config, tmp_path)
    link = DownloadLink.get(DownloadLink.message == message.id)
    assert abs((link.expires_at - reload(message).published_at).total_seconds() - 3 * 86400) < 5


def fk(row: Any, name: str) -> Any:
    return row.__data__.get(name)


TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2})?")


def stored_anywhere(database: Path, pin: str) -> bool:
    """Whether ``pin`` is a value, or a word in a value, of any row; timestamps' digits do not count."""
    alone = re.compile(rf"(?<![0-9A-Za-z]){pin}(?![0-9A-Za-z])")
    connection = sqlite3.connect(database)
    try:
        tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            for row in connection.execute(f'SELECT * FROM "{table}"'):
                for value in row:
                    text = str(value)
                    if alone.search(text) and not TIMESTAMP.fullmatch(text):
                        return True
    finally:
        connection.close()
    return False


async def test_without_its_steps_a_secure_message_fails_rather_than_leave_without_its_link(
    setup: Setup, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    message = enqueue_invoice_email(patient_invoice(setup), staff=setup.provider, pin_mode="institution")
    agent = build_agent(
        agent_config(smtp_server.port, tmp_path), pdfs=real_pdfs(tmp_path), steps=[], syncs=[]
    )
    await agent.run(once=True)
    failed = reload(message)
    assert failed.status == OutboxStatus.FAILED and "not published" in (failed.last_error or "")
    assert smtp_server.handler.received == []  # never an email without its link, nor with the PDF

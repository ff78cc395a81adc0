"""The email itself: headers without health details, fr and en bodies, and the Maildir backend."""

from __future__ import annotations

import mailbox
from email import message_from_bytes, policy
from pathlib import Path

from agent.compose import Composer
from agent.pdf import InvoicePdfs
from agent.service import build_agent
from models.core.config import parse_config
from models.core.enums import OutboxStatus
from models.messaging.tables import OutboxMessage, Transmission
from models.workflow.lifecycle import record_payment
from models.workflow.sending import enqueue_invoice_email
from testbed.invoices import billed_invoice
from tests.agent.conftest import pdf_text
from tests.conftest import Setup


def plain_body(email: object) -> str:
    return email.get_body(("plain",)).get_content()  # type: ignore[attr-defined]


def test_french_body(setup: Setup, pdfs: InvoicePdfs) -> None:
    setup.clinic.address = "123, rue du Parc\nMontréal QC"
    setup.clinic.save()
    invoice = billed_invoice(setup.company, language="fr", price_cents=123456)
    message = enqueue_invoice_email(invoice, staff=setup.provider)
    email = Composer(pdfs, "facturation@clinique.example").compose(message)
    body = plain_body(email)
    date = invoice.issue_date.strftime("%Y/%m/%d")
    assert body.startswith("Bonjour Marie Tremblay,\n\n")
    assert f"Vous trouverez ci-joint votre facture du {date}." in body
    assert "Montant dû : 1\u00a0234,56\u00a0$" in body
    assert "Clinique du Parc\n123, rue du Parc\nMontréal QC" in body
    assert email["Subject"] == "Clinique du Parc"
    assert email["Content-Language"] == "fr"
    html = email.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "Bonjour Marie Tremblay," in html and '<html lang="fr">' in html
    for header in ("Subject", "From", "To"):
        assert "Consultation" not in str(email[header])  # no service detail in headers


def test_english_body_escapes_html_and_shows_a_paid_invoice(setup: Setup, pdfs: InvoicePdfs) -> None:
    invoice = billed_invoice(setup.company, language="en", price_cents=5000)
    record_payment(invoice, 5000, "cash")
    message = enqueue_invoice_email(invoice, message="See <you> soon & thanks")
    email = Composer(pdfs, "facturation@clinique.example").compose(message)
    body = plain_body(email)
    assert body.startswith("Hello Marie Tremblay,\n\nSee <you> soon & thanks\n")
    assert "This invoice is paid. Thank you!" in body
    assert "Amount due" not in body
    html = email.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "See &lt;you&gt; soon &amp; thanks" in html
    (attachment,) = list(email.iter_attachments())
    assert attachment.get_filename() == f"invoice-{invoice.number}.pdf"
    assert "PAID" in pdf_text(attachment.get_content())  # the English PDF, stamped as paid


async def test_maildir_backend_writes_messages_a_mail_client_opens(
    setup: Setup, tmp_path: Path, pdfs: InvoicePdfs
) -> None:
    config = parse_config(
        {"email": {"backend": "maildir", "path": "mail"}, "locales": {"watch": False}}, tmp_path / "f.toml"
    )
    messages = [enqueue_invoice_email(billed_invoice(setup.company)) for _ in range(3)]
    assert await build_agent(config, pdfs=pdfs).run(once=True) is True
    folder = mailbox.Maildir(tmp_path / "mail", create=False)
    stored = sorted(
        (message_from_bytes(folder.get_bytes(key), policy=policy.default) for key in folder.iterkeys()),
        key=lambda e: str(e["Message-ID"]),
    )
    assert len(stored) == 3
    ids = {OutboxMessage.get_by_id(m.id).message_id for m in messages}
    assert {str(e["Message-ID"]).strip() for e in stored} == ids
    for email in stored:
        assert email["Subject"] == "Clinique du Parc"
        assert [part.get_content_type() for part in email.iter_attachments()] == ["application/pdf"]
    assert {m.status for m in OutboxMessage.select()} == {OutboxStatus.SENT}
    assert Transmission.select().where(Transmission.status == "sent").count() == 3

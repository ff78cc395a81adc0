"""What a statement of account's message carries: the statement's PDF, then each invoice it lists
(oldest first), in the reader's language. The portal takes at most ``MAX_DOCUMENTS`` per link: a
statement listing more carries the oldest invoices, the statement naming them all."""

from __future__ import annotations

import re

from agent.pdf.statement import render_statement_pdf
from agent.pdfs import PdfProvider
from locales import N_, translator
from models.billing.statements import Statement, items_of

MAX_DOCUMENTS = 10  # the portal's limit per link (portal.links.MAX_DOCUMENTS)
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def statement_filename(statement: Statement, language: str) -> str:
    """``releve-CDP-ST-00012.pdf`` / ``statement-CDP-ST-00012.pdf``."""
    name = translator(language).format(N_("statement-{reference}.pdf"), reference=statement.reference)
    return _UNSAFE.sub("-", name).strip("-.") or f"statement-{statement.id}.pdf"


def statement_document(statement_id: int, language: str, pay_base: str = "") -> tuple[str, bytes]:
    """(file name, PDF) of the statement alone (the one an email attaches); with the portal's
    address (``pay_base``), its PDF prints the QR code to its Pay page."""
    statement = Statement.get_by_id(statement_id)
    return statement_filename(statement, language), render_statement_pdf(statement, language, pay_base)


def statement_documents(
    statement_id: int, language: str, pdfs: PdfProvider, pay_base: str = ""
) -> list[tuple[str, bytes]]:
    """(file name, PDF) of the statement and of its invoices, at most ``MAX_DOCUMENTS`` in all."""
    statement = Statement.get_by_id(statement_id)
    documents = [statement_document(statement_id, language, pay_base)]
    for item in items_of(statement)[: MAX_DOCUMENTS - 1]:
        documents.append((pdfs.filename(item.invoice, language), pdfs.get(item.invoice, language)))
    return documents

"""A template-based email's subject and body (automatic invoice emails, reminders, scheduled statements).

When an outbox message names a template, the subject and the body come from the template's
wording in the recipient's language, rendered in the sandbox (``models.messaging.template_render``)
with the invoice's fields, money and dates formatted for that language and the clinic's
country, and the links the delivery steps made (``Delivery.download_url``, ``payment_url``;
empty when absent, so the template's ``{% if %}`` blocks can test them). A subject that
renders empty falls back to the clinic's name.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import jinja2
from markupsafe import Markup

from agent.steps import Delivery
from locales import DEFAULT_LANGUAGE, LANGUAGES
from models.admin.templates import wording_of
from models.billing.invoice import Invoice
from models.billing.invoicing import clinic_today
from models.billing.statements import Statement
from models.database.base import fk_id
from models.messaging.tables import OutboxMessage, Template
from models.messaging.template_fields import field_context, values_for_invoice, values_for_statement
from models.messaging.template_render import render
from models.people.clinic import Clinic

LAYOUTS = Path(__file__).parent / "templates"


@lru_cache(maxsize=1)
def _layout() -> jinja2.Template:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(LAYOUTS), autoescape=True)
    return env.get_template("template_email.html")


@dataclass(frozen=True)
class TemplateBody:
    """A rendered template: the subject line, and the body as text and as HTML."""

    language: str
    subject: str
    text_body: str
    html_fragment: str  # already escaped paragraphs

    def text(self) -> str:
        return self.text_body

    def html(self) -> str:
        return _layout().render(language=self.language, content=Markup(self.html_fragment))  # noqa: S704 (escaped by the sandbox)


def template_body(
    message: OutboxMessage, template: Template, invoice: Invoice, clinic: Clinic, delivery: Delivery | None
) -> TemplateBody:
    """``template`` rendered for ``message``'s recipient; raises ``TemplateProblem`` if it cannot be."""
    language = message.language if message.language in LANGUAGES else DEFAULT_LANGUAGE
    statement_id = fk_id(message, "statement")
    if statement_id is not None:  # a scheduled statement of account: its fields, not one invoice's
        statement = Statement.get_by_id(statement_id)
        values = values_for_statement(statement, clinic, today=clinic_today(clinic))
    else:
        values = values_for_invoice(invoice, clinic, today=clinic_today(clinic))
    if delivery is not None:
        values = values.with_links(delivery.download_url, delivery.payment_url, delivery.link_expires_at)
    wording = wording_of(template)  # a shipped template's wording may come from the catalogs
    subject, body = wording[f"subject_{language}"], wording[f"body_{language}"]
    rendered = render(subject, body, field_context(values, language), language)
    return TemplateBody(
        language=language,
        subject=rendered.subject or clinic.name,
        text_body=rendered.text,
        html_fragment=rendered.html,
    )

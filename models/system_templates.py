"""The templates Facteur ships, in French and English: the invoice email and two payment reminders.

They are created inactive by ``facteur db init`` (and by migration 7 for older databases);
an admin turns them on in the Templates screen, rewords them, or restores this wording.
Subjects show the clinic's name only: no health detail ever goes in a subject.
"""

# ruff: noqa: E501  (a paragraph of an email is one line: a break would show in the HTML part)

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import peewee

from locales import N_
from models.enums import DelayUnit, TemplateKind


@dataclass(frozen=True)
class SystemTemplate:
    key: str
    name: str  # a msgid: shown in each reader's language
    kind: TemplateKind
    delay_value: int
    delay_unit: DelayUnit
    attach_invoice: bool
    add_payment_link: bool
    subject_fr: str
    body_fr: str
    subject_en: str
    body_en: str

    def wording(self) -> dict[str, str]:
        return {
            "subject_fr": self.subject_fr,
            "body_fr": self.body_fr,
            "subject_en": self.subject_en,
            "body_en": self.body_en,
        }


def _blocks(body: str, language: str) -> str:
    """``body`` with its shared blocks put in: ``<<pay>>`` (the payment link) and ``<<contact>>``."""
    return body.replace("<<pay>>", _PAY[language]).replace("<<contact>>", _CONTACT[language])


_PAY_FR = """{% if payment_link %}

Pour payer en ligne : {{ payment_link }}
{% endif %}"""
_PAY_EN = """{% if payment_link %}

To pay online: {{ payment_link }}
{% endif %}"""
_CONTACT_FR = """{% if clinic_phone %}
Téléphone : {{ clinic_phone }}
{% endif %}
{% if clinic_email %}
Courriel : {{ clinic_email }}
{% endif %}"""
_CONTACT_EN = """{% if clinic_phone %}
Phone: {{ clinic_phone }}
{% endif %}
{% if clinic_email %}
Email: {{ clinic_email }}
{% endif %}"""

_PAY = {"fr": _PAY_FR, "en": _PAY_EN}
_CONTACT = {"fr": _CONTACT_FR, "en": _CONTACT_EN}

INVOICE_EMAIL = SystemTemplate(
    key="invoice_email",
    name=N_("Invoice email"),
    kind=TemplateKind.INVOICE,
    delay_value=0,
    delay_unit=DelayUnit.DAYS,
    attach_invoice=True,
    add_payment_link=True,
    subject_fr="{{ clinic_name }}",
    body_fr=_blocks(
        """Bonjour {{ billed_to_name }},

Voici votre facture {{ invoice_number }} du {{ issue_date }}.
{% if download_link %}
Vous pouvez la consulter en toute sécurité ici : {{ download_link }}
{% if link_expiry %}
Lien valide jusqu’au {{ link_expiry }}
{% endif %}
{% endif %}

Montant dû : {{ amount_due }}
Date d’échéance : {{ due_date }}
<<pay>>

Merci de votre confiance,
{{ clinic_name }}
<<contact>>""",
        "fr",
    ),
    subject_en="{{ clinic_name }}",
    body_en=_blocks(
        """Hello {{ billed_to_name }},

Here is your invoice {{ invoice_number }} of {{ issue_date }}.
{% if download_link %}
You can view it securely here: {{ download_link }}
{% if link_expiry %}
Link valid until {{ link_expiry }}
{% endif %}
{% endif %}

Amount due: {{ amount_due }}
Due date: {{ due_date }}
<<pay>>

Thank you,
{{ clinic_name }}
<<contact>>""",
        "en",
    ),
)

FIRST_REMINDER = SystemTemplate(
    key="reminder_first",
    name=N_("First payment reminder"),
    kind=TemplateKind.REMINDER,
    delay_value=15,
    delay_unit=DelayUnit.DAYS,
    attach_invoice=False,
    add_payment_link=True,
    subject_fr="{{ clinic_name }}",
    body_fr=_blocks(
        """Bonjour {{ billed_to_name }},

Petit rappel : la facture {{ invoice_number }} du {{ issue_date }} présente un solde de {{ amount_due }}, payable au plus tard le {{ due_date }}.
<<pay>>

Si vous avez déjà payé, veuillez ne pas tenir compte de ce message.

Merci,
{{ clinic_name }}
<<contact>>""",
        "fr",
    ),
    subject_en="{{ clinic_name }}",
    body_en=_blocks(
        """Hello {{ billed_to_name }},

A friendly reminder: invoice {{ invoice_number }} of {{ issue_date }} has a balance of {{ amount_due }}, due by {{ due_date }}.
<<pay>>

If you have already paid, please disregard this message.

Thank you,
{{ clinic_name }}
<<contact>>""",
        "en",
    ),
)

SECOND_REMINDER = SystemTemplate(
    key="reminder_second",
    name=N_("Second payment reminder"),
    kind=TemplateKind.REMINDER,
    delay_value=30,
    delay_unit=DelayUnit.DAYS,
    attach_invoice=False,
    add_payment_link=True,
    subject_fr="{{ clinic_name }}",
    body_fr=_blocks(
        """Bonjour {{ billed_to_name }},

Sauf erreur de notre part, la facture {{ invoice_number }} du {{ issue_date }} n’est pas encore réglée.
Solde à payer : {{ amount_due }}
Date d’échéance : {{ due_date }}
<<pay>>

Si vous avez déjà payé, veuillez ne pas tenir compte de ce message. Pour toute question, n’hésitez pas à nous joindre.

Merci,
{{ clinic_name }}
<<contact>>""",
        "fr",
    ),
    subject_en="{{ clinic_name }}",
    body_en=_blocks(
        """Hello {{ billed_to_name }},

According to our records, invoice {{ invoice_number }} of {{ issue_date }} is still unpaid.
Balance: {{ amount_due }}
Due date: {{ due_date }}
<<pay>>

If you have already paid, please disregard this message. If you have any questions, please contact us.

Thank you,
{{ clinic_name }}
<<contact>>""",
        "en",
    ),
)

SYSTEM_TEMPLATES: tuple[SystemTemplate, ...] = (INVOICE_EMAIL, FIRST_REMINDER, SECOND_REMINDER)
BY_KEY: dict[str, SystemTemplate] = {template.key: template for template in SYSTEM_TEMPLATES}


def system_rows(now: datetime) -> list[dict[str, Any]]:
    """The shipped templates as ``template`` rows (inactive), for the models and for migration 7."""
    return [
        {
            "kind": shipped.kind.value,
            "system_key": shipped.key,
            "name": shipped.name,
            "active": False,
            "delay_value": shipped.delay_value,
            "delay_unit": shipped.delay_unit.value,
            "attach_invoice": shipped.attach_invoice,
            "add_payment_link": shipped.add_payment_link,
            **shipped.wording(),
            "created_at": now,
            "updated_at": now,
        }
        for shipped in SYSTEM_TEMPLATES
    ]


def add_missing(table: peewee.Table | type[peewee.Model], now: datetime) -> int:
    """Insert the shipped templates ``table`` lacks (by ``system_key``); returns how many.

    ``now`` is aware for the ``Template`` model, naive UTC for a bare ``peewee.Table`` (migration 7)."""
    present = {row["system_key"] for row in table.select(table.system_key).dicts()}  # type: ignore[union-attr]
    rows = [row for row in system_rows(now) if row["system_key"] not in present]
    if rows:
        table.insert(rows).execute()  # a list of rows: one multi-row INSERT, for models and tables alike
    return len(rows)

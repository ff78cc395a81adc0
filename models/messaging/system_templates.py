"""The templates Facteur ships, in French and English: the invoice email, two payment reminders and
the monthly statement of account.

Their wording lives in the catalogs (``locales/``): each subject and body below is a msgid, its
English text, translated in ``fr/LC_MESSAGES/facteur.po``. A shipped template's row stores a part
as ``""`` while it follows the catalogs, so an admin who rewords it in a ``.po`` file (the site
override directory) changes the next email and what the Templates screen shows, live; the
catalog check keeps each translation's ``{{ fields }}`` and ``{% tags %}`` (``locales.pofile``).
A part reworded in the Templates screen is stored and wins over the catalogs; restoring the
shipped wording empties it again.

They are created inactive by ``facteur db init`` (and by migration 7 for older databases).
Subjects show the clinic's name only: no health detail ever goes in a subject.
"""

# ruff: noqa: E501  (a paragraph of an email is one line: a break would show in the HTML part)

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import peewee

from locales import LANGUAGES, N_, translator
from models.core.enums import DelayUnit, TemplateChannel, TemplateKind

PARTS: tuple[str, ...] = tuple(f"{part}_{lang}" for lang in LANGUAGES for part in ("subject", "body"))


@dataclass(frozen=True)
class SystemTemplate:
    key: str
    name: str  # a msgid: shown in each reader's language
    kind: TemplateKind
    delay_value: int
    delay_unit: DelayUnit
    attach_invoice: bool
    add_payment_link: bool
    subject: str  # a msgid: the English subject
    body: str  # a msgid: the English body
    channel: TemplateChannel = TemplateChannel.EMAIL  # a text message's template: its body only

    def wording(self) -> dict[str, str]:
        """The subjects and bodies as the catalogs word them now (``subject_fr``, ``body_fr``, …)."""
        wording: dict[str, str] = {}
        for language in LANGUAGES:
            tr = translator(language)
            wording[f"subject_{language}"] = tr.gettext(self.subject)
            wording[f"body_{language}"] = tr.gettext(self.body)
        return wording


# Translators: the shipped templates' subject: the clinic's name, never a health detail.
SUBJECT = N_("{{ clinic_name }}")

INVOICE_EMAIL = SystemTemplate(
    key="invoice_email",
    name=N_("Invoice email"),
    kind=TemplateKind.INVOICE,
    delay_value=0,
    delay_unit=DelayUnit.DAYS,
    attach_invoice=True,
    add_payment_link=True,
    subject=SUBJECT,
    # Translators: an email template. Keep every {{ field }} and {% tag %} as they are (the check
    # refuses a translation that drops, adds or reorders one); reword the text around them.
    body=N_(
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
{% if payment_link %}

To pay online: {{ payment_link }}
{% endif %}

Thank you,
{{ clinic_name }}
{% if clinic_phone %}
Phone: {{ clinic_phone }}
{% endif %}
{% if clinic_email %}
Email: {{ clinic_email }}
{% endif %}"""
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
    subject=SUBJECT,
    # Translators: an email template. Keep every {{ field }} and {% tag %} as they are (the check
    # refuses a translation that drops, adds or reorders one); reword the text around them.
    body=N_(
        """Hello {{ billed_to_name }},

A friendly reminder: invoice {{ invoice_number }} of {{ issue_date }} has a balance of {{ amount_due }}, due by {{ due_date }}.
{% if payment_link %}

To pay online: {{ payment_link }}
{% endif %}

If you have already paid, please disregard this message.

Thank you,
{{ clinic_name }}
{% if clinic_phone %}
Phone: {{ clinic_phone }}
{% endif %}
{% if clinic_email %}
Email: {{ clinic_email }}
{% endif %}"""
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
    subject=SUBJECT,
    # Translators: an email template. Keep every {{ field }} and {% tag %} as they are (the check
    # refuses a translation that drops, adds or reorders one); reword the text around them.
    body=N_(
        """Hello {{ billed_to_name }},

According to our records, invoice {{ invoice_number }} of {{ issue_date }} is still unpaid.
Balance: {{ amount_due }}
Due date: {{ due_date }}
{% if payment_link %}

To pay online: {{ payment_link }}
{% endif %}

If you have already paid, please disregard this message. If you have any questions, please contact us.

Thank you,
{{ clinic_name }}
{% if clinic_phone %}
Phone: {{ clinic_phone }}
{% endif %}
{% if clinic_email %}
Email: {{ clinic_email }}
{% endif %}"""
    ),
)

MONTHLY_STATEMENT = SystemTemplate(
    key="statement_monthly",
    name=N_("Monthly statement of account"),
    kind=TemplateKind.STATEMENT,
    delay_value=1,
    delay_unit=DelayUnit.MONTHS,
    attach_invoice=True,
    add_payment_link=True,
    subject=SUBJECT,
    # Translators: an email template. Keep every {{ field }} and {% tag %} as they are (the check
    # refuses a translation that drops, adds or reorders one); reword the text around them.
    body=N_(
        """Hello {{ billed_to_name }},

Here is your statement of account {{ statement_reference }} of {{ issue_date }}. It lists the invoices that still have a balance.
{% if download_link %}
You can view it and its invoices securely here: {{ download_link }}
{% if link_expiry %}
Link valid until {{ link_expiry }}
{% endif %}
{% endif %}

Balance due: {{ amount_due }}
{% if payment_link %}

To pay the whole balance online: {{ payment_link }}
{% endif %}

If you have already paid, please disregard this message.

Thank you,
{{ clinic_name }}
{% if clinic_phone %}
Phone: {{ clinic_phone }}
{% endif %}
{% if clinic_email %}
Email: {{ clinic_email }}
{% endif %}"""
    ),
)

# Text messages: the clinic, the amount and the invoice's Pay page (it needs no PIN); never a
# document's link (its PIN travels by text: a link and its PIN never share a channel), never a
# health detail. At most 3 SMS, checked when saved.
SMS_REMINDER = SystemTemplate(
    key="reminder_sms",
    name=N_("Payment reminder by text message"),
    kind=TemplateKind.REMINDER,
    delay_value=20,
    delay_unit=DelayUnit.DAYS,
    attach_invoice=False,
    add_payment_link=True,
    subject=SUBJECT,
    # Translators: a text message (SMS) template: keep it short (3 SMS at most, counted when saved)
    # and keep every {{ field }} in its order.
    body=N_(
        "{{ clinic_name }}: invoice {{ invoice_number }} still has {{ amount_due }} to pay. Pay online: {{ payment_link }}"
    ),
    channel=TemplateChannel.SMS,
)

SMS_PAYMENT_LINK = SystemTemplate(
    key="payment_sms",
    name=N_("Payment link by text message"),
    kind=TemplateKind.PAYMENT,
    delay_value=0,
    delay_unit=DelayUnit.DAYS,
    attach_invoice=False,
    add_payment_link=True,
    subject=SUBJECT,
    # Translators: a text message (SMS) template: keep it short (3 SMS at most, counted when saved)
    # and keep every {{ field }} in its order.
    body=N_(
        "{{ clinic_name }}: to pay invoice {{ invoice_number }} ({{ amount_due }}) online: {{ payment_link }}"
    ),
    channel=TemplateChannel.SMS,
)

SYSTEM_TEMPLATES: tuple[SystemTemplate, ...] = (
    INVOICE_EMAIL,
    FIRST_REMINDER,
    SECOND_REMINDER,
    MONTHLY_STATEMENT,
    SMS_PAYMENT_LINK,
    SMS_REMINDER,
)
BY_KEY: dict[str, SystemTemplate] = {template.key: template for template in SYSTEM_TEMPLATES}


def system_rows(
    now: datetime, shipped_ones: tuple[SystemTemplate, ...] = SYSTEM_TEMPLATES
) -> list[dict[str, Any]]:
    """The shipped templates as ``template`` rows (inactive), for the models and the migrations;
    with their channel when one of them is a text message's (a table older than schema 26 has none)."""
    texts = any(shipped.channel is not TemplateChannel.EMAIL for shipped in shipped_ones)
    return [
        {
            **({"channel": shipped.channel.value} if texts else {}),
            "kind": shipped.kind.value,
            "system_key": shipped.key,
            "name": shipped.name,
            "active": False,
            "delay_value": shipped.delay_value,
            "delay_unit": shipped.delay_unit.value,
            "attach_invoice": shipped.attach_invoice,
            "add_payment_link": shipped.add_payment_link,
            **dict.fromkeys(PARTS, ""),  # following the catalogs
            "created_at": now,
            "updated_at": now,
        }
        for shipped in shipped_ones
    ]


def add_missing(
    table: peewee.Table | type[peewee.Model],
    now: datetime,
    shipped_ones: tuple[SystemTemplate, ...] = SYSTEM_TEMPLATES,
) -> int:
    """Insert the shipped templates (of ``shipped_ones``) ``table`` lacks, by ``system_key``; returns
    how many. A migration names the ones of its day: a later kind would not pass its table's CHECK.

    ``now`` is aware for the ``Template`` model, naive UTC for a bare ``peewee.Table`` (migrations)."""
    present = {row["system_key"] for row in table.select(table.system_key).dicts()}  # type: ignore[union-attr]
    rows = [row for row in system_rows(now, shipped_ones) if row["system_key"] not in present]
    if rows:
        table.insert(rows).execute()  # a list of rows: one multi-row INSERT, for models and tables alike
    return len(rows)

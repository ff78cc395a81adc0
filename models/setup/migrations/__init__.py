"""Schema migrations, in order. Version 1 is the first released schema.

Each migration is a module ``vNNNN_<what>.py`` with ``VERSION`` and
``apply(database)``, written with ``playhouse.migrate`` so it runs on SQLite
and PostgreSQL alike. A migration never imports today's models: it describes
the change as it was on the day it was written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import peewee


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    apply: Callable[[peewee.Database], None]


from models.setup.migrations import (  # noqa: E402
    v0002_patient_search_name,
    v0003_agent_heartbeat,
    v0004_history_indexes,
    v0005_secure_delivery,
    v0006_stripe_payments,
    v0007_templates,
    v0008_template_catalogs,
    v0009_agent_blocked,
    v0010_replaced,
    v0011_agent_pace,
    v0012_link_keys,
    v0013_reversals,
    v0014_refund_requests,
    v0015_pay_doors,
    v0016_receipts,
    v0017_credit_notes,
    v0018_named_taxes,
    v0019_paper_pay,
    v0020_statements,
    v0021_statement_schedule,
    v0022_consent_records,
    v0023_link_revocations,
    v0024_sending_window,
    v0025_reminder_pauses,
    v0026_text_messages,
)

MIGRATIONS: tuple[Migration, ...] = (
    Migration(2, "patient.search_name", v0002_patient_search_name.apply),
    Migration(3, "agent_heartbeat", v0003_agent_heartbeat.apply),
    Migration(4, "history indexes", v0004_history_indexes.apply),
    Migration(
        5,
        "secure delivery: clinic contact, link days, PIN mode; outbox steps; sync cursors",
        v0005_secure_delivery.apply,
    ),
    Migration(
        6,
        "Stripe payments: applied events, link account and completion, link tasks, agent channels",
        v0006_stripe_payments.apply,
    ),
    Migration(7, "shipped templates; scheduled messages by time", v0007_templates.apply),
    Migration(8, "shipped templates follow the catalogs", v0008_template_catalogs.apply),
    Migration(9, "agent_heartbeat.blocked", v0009_agent_blocked.apply),
    Migration(10, "outbox and transmission status 'replaced'", v0010_replaced.apply),
    Migration(11, "agent_heartbeat.pace and paused_until", v0011_agent_pace.apply),
    Migration(12, "download_link.link_key and event_tag", v0012_link_keys.apply),
    Migration(13, "payment_reversal and payment_dispute: refunds and disputes", v0013_reversals.apply),
    Migration(14, "refund_request: refunds made through Stripe", v0014_refund_requests.apply),
    Migration(15, "pay_door: an invoice's Pay page on the portal", v0015_pay_doors.apply),
    Migration(16, "receipts: clinic.receipts, and receipt messages", v0016_receipts.apply),
    Migration(17, "credit notes, invoice.credited_cents, status 'credited'", v0017_credit_notes.apply),
    Migration(18, "named taxes: tax, invoice_tax, invoice_line.tax_codes", v0018_named_taxes.apply),
    Migration(
        19,
        "paper that pays: Swiss QR-bill creditors; a Pay page for every billed invoice",
        v0019_paper_pay.apply,
    ),
    Migration(
        20,
        "statements of account: statement, statement_item, statement_door, their messages",
        v0020_statements.apply,
    ),
    Migration(
        21,
        "statements as a template kind: patient.receive_statements, the monthly statement template",
        v0021_statement_schedule.apply,
    ),
    Migration(
        22,
        "consent records: consent_record, patient.consent_sms and email_withdrawn",
        v0022_consent_records.apply,
    ),
    Migration(
        23,
        "revoking download links, SMS receipts: outbox_message.revokes, statuses 'delivered', 'revoked'",
        v0023_link_revocations.apply,
    ),
    Migration(
        24,
        "the sending window: clinic.send_opens, send_closes, send_days, holiday_calendar; outbox in_window",
        v0024_sending_window.apply,
    ),
    Migration(
        25, "reminder_pause: staff pause an invoice's or a patient's reminders", v0025_reminder_pauses.apply
    ),
    Migration(
        26,
        "text messages: template.channel, kind 'payment', outbox_message.medium, the shipped text templates",
        v0026_text_messages.apply,
    ),
)


def latest_version() -> int:
    """The highest version (not the count: the numbers may leave gaps)."""
    return max((migration.version for migration in MIGRATIONS), default=1)

"""Statements of account on a schedule, on an injected clock: planned per account for the patients who
chose them, made and queued when due, put off after a statement staff made, skipped with the reason,
and replacing the reminders of those patients' own invoices only while a statement template is on."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from locales import translator
from models.billing.invoice import Invoice
from models.billing.invoicing import BilledTo, LineInput, create_draft
from models.billing.statements import Statement, items_of
from models.core.enums import MessageKind, PaymentMethod, PinMode, ScheduleStatus, TemplateKind
from models.messaging.schedule_reasons import reason_text
from models.messaging.schedule_time import due_time, from_wall, to_wall
from models.messaging.tables import OutboxMessage, ScheduledMessage, Template
from models.people.patient import Patient
from models.workflow.lifecycle import bill, record_payment
from models.workflow.reminders import cancel_scheduled, run_due
from models.workflow.statement_making import new_statement
from models.workflow.statement_schedule import account_of, plan_statements
from tests.conftest import Setup

EN = translator("en")
TORONTO = "America/Toronto"
MONDAY = from_wall(datetime(2026, 3, 2, 10, 0), TORONTO)


@pytest.fixture
def statement_template(setup: Setup) -> Template:
    """The shipped monthly statement on; PINs go by SMS."""
    setup.clinic.default_pin_mode = PinMode.SMS.value
    setup.clinic.save()
    Template.update(active=True).where(Template.kind == TemplateKind.STATEMENT.value).execute()
    return Template.get(Template.system_key == "statement_monthly")


def patient(*, statements: bool = True, name: str = "Gagnon") -> Patient:
    return Patient.create(
        last_name=name,
        first_name="Mathieu",
        email=f"{name.lower()}@example.org",
        cell_phone="+15145551234",
        language="fr",
        receive_statements=statements,
    )


def billed(setup: Setup, who: Patient, cents: int, week: int, **kwargs: object) -> Invoice:
    draft = create_draft(
        patient=who,
        billing_company=setup.company,
        lines=(LineInput("Séance", Decimal(1), cents),),
        **kwargs,  # type: ignore[arg-type]
    )
    return bill(draft, now=MONDAY + timedelta(weeks=week))


def waiting(template: Template) -> list[ScheduledMessage]:
    return list(
        ScheduledMessage.select()
        .where(
            (ScheduledMessage.template == template.id) & (ScheduledMessage.status == ScheduleStatus.SCHEDULED)
        )
        .order_by(ScheduledMessage.id)
    )


def wall(instant: datetime) -> datetime:
    return to_wall(instant, TORONTO)


def test_a_weekly_patient_gets_one_statement_a_month_instead_of_reminders(
    setup: Setup, statement_template: Template
) -> None:
    Template.update(active=True).where(Template.kind == TemplateKind.REMINDER.value).execute()
    weekly = patient()
    invoices = [billed(setup, weekly, 9000, week) for week in range(4)]
    other = billed(setup, patient(statements=False, name="Roy"), 5000, 0)
    insurer = billed(setup, weekly, 7000, 0, billed_to=BilledTo("Assurance XYZ", email="xyz@example.org"))

    (row,) = waiting(statement_template)  # one per account, not per invoice
    assert row.invoice_id == invoices[0].id
    assert wall(row.due_at) == datetime(2026, 4, 2, 10, 0)  # a calendar month after the first billing

    report = run_due(MONDAY + timedelta(days=16))  # the first reminders fall due
    assert report.enqueued == 2 and report.skipped == 1  # the other patient's and the insurer's go
    reminded = OutboxMessage.select().where(OutboxMessage.kind == MessageKind.REMINDER)
    assert {message.invoice_id for message in reminded} == {other.id, insurer.id}
    skipped = ScheduledMessage.get(
        (ScheduledMessage.invoice == invoices[0].id) & (ScheduledMessage.status == ScheduleStatus.SKIPPED)
    )
    assert (
        reason_text(skipped.reason, EN) == "the patient receives statements of account instead of reminders"
    )

    record_payment(Invoice.get_by_id(invoices[1].id), 9000, PaymentMethod.CASH)
    run_due(row.due_at)
    (message,) = OutboxMessage.select().where(OutboxMessage.kind == MessageKind.STATEMENT)
    mine = OutboxMessage.select().where(OutboxMessage.invoice.in_([invoice.id for invoice in invoices]))
    assert [each.kind for each in mine] == [MessageKind.STATEMENT]  # and never a reminder
    statement = Statement.get_by_id(message.statement_id)
    assert [item.invoice_id for item in items_of(statement)] == [
        invoices[0].id,
        invoices[2].id,
        invoices[3].id,
    ]
    assert statement.balance_cents == 27000
    assert message.template_id == statement_template.id and message.pin_mode == PinMode.SMS
    assert message.recipient_email == "gagnon@example.org" and message.recipient_phone == "+15145551234"
    assert ScheduledMessage.get_by_id(row.id).outbox_message_id == message.id

    (following,) = waiting(statement_template)  # the next, a month after this one
    assert wall(following.due_at) == datetime(2026, 5, 2, 10, 0)


def test_a_statement_staff_made_puts_the_scheduled_one_off_and_nothing_owed_skips_it(
    setup: Setup, statement_template: Template
) -> None:
    weekly = patient()
    first = billed(setup, weekly, 9000, 0)
    (row,) = waiting(statement_template)
    # staff made one from the patient's screen ten days before
    account_statement = new_statement(
        account_of(first), staff=setup.provider, now=row.due_at - timedelta(days=10)
    )
    assert run_due(row.due_at).postponed == 1
    put_off = ScheduledMessage.get_by_id(row.id)
    assert put_off.status == ScheduleStatus.SCHEDULED
    assert put_off.due_at == from_wall(wall(account_statement.created_at) + timedelta(days=31), TORONTO)
    assert reason_text(put_off.reason, EN).startswith("postponed: a statement of this account was made on")

    record_payment(Invoice.get_by_id(first.id), 9000, PaymentMethod.CASH)
    report = run_due(put_off.due_at)
    assert report.skipped == 1 and not waiting(statement_template)  # nothing owed: nothing planned
    assert (
        reason_text(ScheduledMessage.get_by_id(row.id).reason, EN)
        == "nothing is owed on the account any more"
    )
    assert Statement.select().count() == 1


def test_a_patient_who_opts_out_or_opts_in_later(setup: Setup, statement_template: Template) -> None:
    leaving = patient()
    billed(setup, leaving, 9000, 0)
    (row,) = waiting(statement_template)
    Patient.update(receive_statements=False).where(Patient.id == leaving.id).execute()
    assert run_due(row.due_at).skipped == 1
    assert reason_text(ScheduledMessage.get_by_id(row.id).reason, EN) == (
        "the patient no longer receives statements of account"
    )
    assert not waiting(statement_template) and Statement.select().count() == 0

    joining = patient(statements=False, name="Roy")
    billed(setup, joining, 4000, 0)
    assert not waiting(statement_template)
    Patient.update(receive_statements=True).where(Patient.id == joining.id).execute()
    late = MONDAY + timedelta(days=45)  # opted in after a month: the statement goes at once
    assert plan_statements(late) == 1
    (planned,) = waiting(statement_template)
    assert planned.due_at == late


def test_without_a_statement_template_on_reminders_go_and_nothing_is_planned(setup: Setup) -> None:
    Template.update(active=True).where(Template.kind == TemplateKind.REMINDER.value).execute()
    weekly = patient()
    billed(setup, weekly, 9000, 0)
    assert (
        ScheduledMessage.select().join(Template).where(Template.kind == TemplateKind.STATEMENT.value).count()
        == 0
    )
    assert run_due(MONDAY + timedelta(days=16)).enqueued == 1  # the patient is not left with nothing


def test_a_scheduled_statement_late_after_the_agent_was_offline_still_goes(
    setup: Setup, statement_template: Template
) -> None:
    billed(setup, patient(), 9000, 0)
    (row,) = waiting(statement_template)
    assert run_due(row.due_at + timedelta(days=10), late_days=3).enqueued == 1  # made now: never stale


def test_a_statement_that_cannot_reach_the_patient_is_skipped_once_a_turn_and_the_reminders_go(
    setup: Setup, statement_template: Template
) -> None:
    Template.update(active=True).where(Template.system_key == "reminder_first").execute()
    no_phone = Patient.create(
        last_name="Roy", first_name="Léa", email="lea@example.org", language="fr", receive_statements=True
    )  # the PIN goes by SMS and there is no cell phone: no statement can go
    invoice = billed(setup, no_phone, 9000, 0)
    (row,) = waiting(statement_template)
    run_due(MONDAY + timedelta(days=16))  # the reminder goes: the statements cannot reach her
    assert [m.kind for m in OutboxMessage.select()] == [MessageKind.REMINDER]
    assert run_due(row.due_at).skipped == 1
    assert run_due(row.due_at + timedelta(minutes=1)).skipped == 0  # not skipped again every pass
    (following,) = waiting(statement_template)
    assert wall(following.due_at) == datetime(2026, 5, 2, 10, 0)  # its next turn
    assert reason_text(ScheduledMessage.get_by_id(row.id).reason, EN).startswith("the PIN goes by text")
    assert following.invoice_id == invoice.id


def test_a_turn_staff_cancel_or_the_agent_makes_late_keeps_the_schedules_days(
    setup: Setup, statement_template: Template
) -> None:
    billed(setup, patient(), 9000, 0)
    (row,) = waiting(statement_template)
    cancel_scheduled(row.id, staff=setup.provider, now=MONDAY)
    run_due(MONDAY + timedelta(minutes=1))
    (april,) = waiting(statement_template)
    assert wall(april.due_at) == datetime(2026, 5, 2, 10, 0)  # that turn is skipped, not replanned
    assert run_due(april.due_at + timedelta(days=10)).enqueued == 1  # the agent was offline
    (may,) = waiting(statement_template)
    assert wall(may.due_at) == datetime(2026, 6, 2, 10, 0)  # the days are kept


def test_a_returning_patient_gets_a_statement_a_period_after_the_new_invoice(
    setup: Setup, statement_template: Template
) -> None:
    returning = patient()
    first = billed(setup, returning, 9000, 0)
    (row,) = waiting(statement_template)
    run_due(row.due_at)
    record_payment(Invoice.get_by_id(first.id), 9000, PaymentMethod.CASH)
    run_due(row.due_at + timedelta(days=31))  # nothing owed: skipped, nothing planned
    assert not waiting(statement_template)
    back = billed(setup, returning, 4000, 20)  # back five months later
    (planned,) = waiting(statement_template)
    assert planned.due_at == due_time(back.billed_at, 1, "months", TORONTO)

"""Statements of account on a schedule: every period, for the patients who chose them, instead of each
invoice's reminders.

The active *statement* template (one at a time) says how often (its delay is the period: 1 month)
and what the email says. A patient with ``receive_statements`` gets, for each account that owes
something (their own invoices, per billing company and currency: ``models.billing.statements``), one
scheduled message at a time, filed under the account's oldest owing invoice so the Communications
screen lists it:

- ``plan_statements`` gives each such account its next one, a period after its last statement (one
  staff made counts) or else after its oldest owing invoice was billed, and never in the past: billing
  runs it for the patient, and the agent's scheduler pass for everyone (a patient who opts in, a
  template turned on, an account after its last statement went);
- when it falls due (``dispatch_statement``), the statement is made as the account stands then and
  queued like one staff send: the clinic's PIN mode (the PDF attached only with the patient's consent),
  a Pay button where the template asks for one and the balance can be paid; or it is skipped with
  the reason (nothing owed, opted out, no email), or postponed when a statement went within the
  period meanwhile.

The reminders of an opted-in patient's own invoices are skipped while a statement template is on
(``automation.check_still_wanted``); an invoice billed to a third party keeps its reminders.
"""

from __future__ import annotations

from datetime import datetime

from models.billing.invoice import Invoice
from models.billing.statements import Account, Statement, open_invoices
from models.core.enums import InvoiceStatus, PinMode, ScheduleStatus
from models.core.errors import FacteurError
from models.database.base import fk_id, utcnow
from models.database.db import db, serialize_writers
from models.messaging import schedule_reasons as reasons
from models.messaging.schedule_time import due_time, local_day
from models.messaging.tables import OutboxMessage, ScheduledMessage, Template
from models.people.clinic import Clinic, get_clinic
from models.people.patient import Patient
from models.workflow.automation import Skip, default_pin, settle, statement_problem, statement_template
from models.workflow.statement_making import new_statement
from models.workflow.statement_sending import check_statement_payable, enqueue_statement


def plan_statements(now: datetime | None = None, *, patient_id: int | None = None) -> int:
    """Give each owing account of the opted-in patients (or of ``patient_id``) its next scheduled
    statement, where it has none waiting; returns how many were planned. Run it in a transaction."""
    template = statement_template()
    if template is None:
        return 0
    now = now or utcnow()
    # two agents planning at once would each find an account unplanned: the second waits for the
    # first and sees what it planned
    serialize_writers("statement-plan")
    choosing = Patient.select(Patient.id).where(Patient.receive_statements == True)  # noqa: E712
    if patient_id is not None:
        choosing = choosing.where(Patient.id == patient_id)
    if not choosing.exists():  # the usual case, every pass: no invoice is looked at
        return 0
    balance = Invoice.total_cents - Invoice.credited_cents - Invoice.paid_cents
    accounts = (
        Invoice.select(Invoice.patient, Invoice.billing_company, Invoice.currency)
        .where(
            Invoice.patient.in_(choosing)
            & ~Invoice.third_party
            & (Invoice.status == InvoiceStatus.BILLED.value)
            & (balance > 0)
        )
        .group_by(Invoice.patient, Invoice.billing_company, Invoice.currency)
        .tuples()
    )
    waiting = (
        ScheduledMessage.select(Invoice.patient, Invoice.billing_company, Invoice.currency)
        .join(Invoice)
        .where(
            (ScheduledMessage.template == template.id) & (ScheduledMessage.status == ScheduleStatus.SCHEDULED)
        )
        .tuples()
    )
    planned = {Account(int(p), int(c), str(cur)) for p, c, cur in waiting.execute()}
    clinic = get_clinic()
    count = 0
    for patient, company, currency in accounts.execute():
        account = Account(int(patient), int(company), str(currency))
        if account in planned:
            continue
        anchor = _oldest_owing(account)
        if anchor is None:
            continue
        # a period after the last of: this schedule's previous turn (sent, skipped or cancelled, at
        # the time it was due: the schedule keeps its days however late the agent made it), a
        # statement staff made, and the oldest invoice owing (a returning patient is not sent one
        # beside their new invoice)
        marks = (_last_turn(account, template), _last_statement_at(account, by_staff=True), anchor.billed_at)
        start = max((mark for mark in marks if mark is not None), default=now)
        due = max(due_time(start, template.delay_value, template.delay_unit, clinic.timezone), now)
        ScheduledMessage.create(invoice=anchor, template=template, due_at=due, created_at=now, updated_at=now)
        count += 1
    return count


def _oldest_owing(account: Account) -> Invoice | None:
    return next(
        (
            invoice
            for invoice in open_invoices(account)
            if invoice.status == InvoiceStatus.BILLED and invoice.balance_cents > 0
        ),
        None,
    )


def _last_statement_at(account: Account, *, by_staff: bool) -> datetime | None:
    """When the account's last statement was made (``by_staff``: the last one staff made)."""
    query = Statement.select(Statement.created_at).where(
        (Statement.patient == account.patient_id)
        & (Statement.billing_company == account.company_id)
        & (Statement.currency == account.currency)
    )
    if by_staff:
        query = query.where(Statement.created_by.is_null(False))
    last = query.order_by(Statement.created_at.desc()).first()
    return last.created_at if last is not None else None


def _last_turn(account: Account, template: Template) -> datetime | None:
    """When this schedule's last turn for the account was due (whatever became of it)."""
    last = (
        ScheduledMessage.select(ScheduledMessage.due_at)
        .join(Invoice)
        .where(
            (ScheduledMessage.template == template.id)
            & (ScheduledMessage.status != ScheduleStatus.SCHEDULED)
            & (Invoice.patient == account.patient_id)
            & (Invoice.billing_company == account.company_id)
            & (Invoice.currency == account.currency)
        )
        .order_by(ScheduledMessage.due_at.desc())
        .first()
    )
    return last.due_at if last is not None else None


def account_of(invoice: Invoice) -> Account:
    return Account(fk_id(invoice, "patient"), fk_id(invoice, "billing_company"), str(invoice.currency))


def dispatch_statement(
    row: ScheduledMessage, anchor: Invoice, template: Template, clinic: Clinic, now: datetime
) -> ScheduleStatus:
    """Make and queue the statement ``row`` stands for (``enqueued``), put it off to a period after
    a statement staff made since (``scheduled``), or record why it cannot go (``skipped``). The
    scheduler's next pass plans the next turn, a period after this one was due."""
    account = account_of(anchor)
    try:
        _check_wanted(anchor, template, clinic)
        last = _last_statement_at(account, by_staff=True)
        if last is not None:
            next_due = due_time(last, template.delay_value, template.delay_unit, clinic.timezone)
            if next_due > now:
                day = local_day(last, clinic.timezone).isoformat()
                settle(
                    row,
                    ScheduleStatus.SCHEDULED,
                    now,
                    due_at=next_due,
                    reason=reasons.encode(reasons.STATEMENT_RECENT, date=day),
                )
                return ScheduleStatus.SCHEDULED
        with db.atomic():  # a savepoint: a statement that cannot go leaves no statement behind
            message = _send(account, anchor, template, clinic, now)
    except FacteurError as exc:  # Skip, or what making or queueing it refused
        settle(row, ScheduleStatus.SKIPPED, now, reason=reasons.encode(exc.message, **exc.params))
        return ScheduleStatus.SKIPPED
    settle(row, ScheduleStatus.ENQUEUED, now, outbox_message=message.id, reason=None)
    return ScheduleStatus.ENQUEUED


def _check_wanted(anchor: Invoice, template: Template, clinic: Clinic) -> None:
    if not template.active:
        raise Skip(reasons.TEMPLATE_OFF)
    if not anchor.patient.receive_statements:
        raise Skip(reasons.NO_STATEMENTS)
    if _oldest_owing(account_of(anchor)) is None:
        raise Skip(reasons.NOTHING_OWED_ON_ACCOUNT)
    problem = statement_problem(anchor, template, clinic)
    if problem is not None:
        raise problem


def _send(
    account: Account, anchor: Invoice, template: Template, clinic: Clinic, now: datetime
) -> OutboxMessage:
    statement = new_statement(account, now=now)
    mode, phone, pin = default_pin(anchor, clinic)
    attach = mode is PinMode.NONE and bool(template.attach_invoice)  # with consent: statement_problem
    return enqueue_statement(
        statement,
        pin_mode=mode,
        phone=phone,
        pin=pin,
        now=now,
        message="",
        template=template,
        attach_pdf=attach if mode is PinMode.NONE else None,
        payment_link=bool(template.add_payment_link) and _payable(statement),
        in_window=True,  # automatic: it waits for the clinic's sending hours
    )


def _payable(statement: Statement) -> bool:
    """A Pay button where the statement can have one; where it cannot (no Stripe account, under
    Stripe's least, a credit to refund) the statement goes without it."""
    try:
        check_statement_payable(statement)
    except FacteurError:
        return False
    return True

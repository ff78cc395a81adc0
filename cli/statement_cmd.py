"""``facteur statement``: make, show, print, send and pay statements of account.

A statement lists what a patient owes one billing company (or is owed), every open invoice with its
credits and payments; ``pay`` applies one payment to its invoices oldest first.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from cli.arguments import command_group, count
from cli.context import Context, require_role
from cli.send_cmd import add_message_options
from locales import LANGUAGES, N_, Translator

if TYPE_CHECKING:
    from models.billing.statements import Statement

METHODS = ("cash", "card", "transfer")


def register(commands: argparse._SubParsersAction, tr: Translator) -> None:
    actions = command_group(
        commands, "statement", tr.gettext(N_("make, show, print, send and pay statements of account"))
    )
    make = actions.add_parser(
        "make", help=tr.gettext(N_("a statement of what a patient owes, per billing company and currency"))
    )
    make.add_argument("patient", type=count(tr), metavar="PATIENT", help=tr.gettext(N_("the patient's id")))
    make.add_argument(
        "--company", metavar="PREFIX", help=tr.gettext(N_("only this billing company (its number prefix)"))
    )
    make.add_argument("--json", action="store_true", help=tr.gettext(N_("JSON output")))
    make.set_defaults(handler=run_make)

    show = actions.add_parser("show", help=tr.gettext(N_("one statement with its invoices")))
    show.add_argument("reference", metavar="REFERENCE", help=tr.gettext(N_("the statement's reference")))
    show.add_argument("--json", action="store_true", help=tr.gettext(N_("JSON output")))
    show.set_defaults(handler=run_show)

    pdf = actions.add_parser("pdf", help=tr.gettext(N_("write a statement as PDF")))
    pdf.add_argument("reference", metavar="REFERENCE", help=tr.gettext(N_("the statement's reference")))
    pdf.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="FILE",
        help=tr.gettext(N_("the PDF file to write (- for standard output)")),
    )
    pdf.add_argument(
        "--lang", choices=LANGUAGES, help=tr.gettext(N_("the PDF's language (default: the patient's)"))
    )
    pdf.set_defaults(handler=run_pdf)

    pay = actions.add_parser(
        "pay", help=tr.gettext(N_("record one payment for a statement: its invoices are paid oldest first"))
    )
    pay.add_argument("reference", metavar="REFERENCE", help=tr.gettext(N_("the statement's reference")))
    pay.add_argument("amount", metavar="AMOUNT", help=tr.gettext(N_("amount, e.g. 85.00 or 85,00")))
    pay.add_argument("--method", choices=METHODS, default="cash", help=tr.gettext(N_("how it was paid")))
    pay.add_argument(
        "--reference",
        dest="payment_reference",
        default="",
        help=tr.gettext(N_("receipt, transfer or card reference")),
    )
    pay.set_defaults(handler=run_pay)
    _register_send(actions, tr)


def _register_send(actions: argparse._SubParsersAction, tr: Translator) -> None:
    send = actions.add_parser(
        "send", help=tr.gettext(N_("email a statement and its invoices to the patient (through the outbox)"))
    )
    send.add_argument("reference", metavar="REFERENCE", help=tr.gettext(N_("the statement's reference")))
    add_message_options(
        send,
        tr,
        email=N_("recipient (else the patient's email)"),
        phone=N_("SMS mode: the cell phone for the PIN"),
    )
    send.add_argument(
        "--payment-link",
        action="store_true",
        help=tr.gettext(N_('add a "Pay the balance" button: one Stripe payment for every invoice it lists')),
    )
    send.set_defaults(handler=run_send)


def run_send(args: argparse.Namespace, ctx: Context) -> int:
    from cli.send_cmd import default_pin_mode, report_pin, report_refused
    from models.billing.statements import find_statement, items_of
    from models.core.errors import FieldErrors
    from models.workflow.statement_sending import enqueue_statement

    staff = require_role(ctx, "billing")
    statement = find_statement(args.reference)
    anchor = items_of(statement)[-1].invoice
    try:
        message = enqueue_statement(
            statement,
            email=args.email,
            language=args.lang,
            message=args.message,
            staff=staff,
            pin_mode=args.pin_mode or default_pin_mode(anchor),
            pin=args.pin,
            phone=args.phone,
            payment_link=args.payment_link,
            in_window=args.in_window,
        )
    except FieldErrors as exc:
        return report_refused(ctx, exc)
    ctx.print(
        ctx.tr.format(
            N_("Statement {reference} is queued for {email} (message {id}); the agent sends it when online."),
            reference=statement.reference,
            email=message.recipient_email,
            id=message.id,
        )
    )
    report_pin(ctx, message, anchor, args.pin)
    return 0


def statement_record(statement: Statement) -> dict[str, object]:
    """A statement as ``--json`` gives it (stable keys; money in minor units, dates ISO 8601)."""
    from models.billing.statements import due_now, items_of

    return {
        "reference": statement.reference,
        "patient_id": statement.__data__["patient"],
        "billing_company": statement.billing_company.name,
        "currency": statement.currency,
        "issue_date": statement.issue_date.isoformat(),
        "balance_cents": statement.balance_cents,
        "due_now_cents": due_now(statement),
        "invoices": [
            {
                "number": item.invoice.number,
                "issue_date": item.invoice.issue_date.isoformat() if item.invoice.issue_date else None,
                "due_date": item.invoice.due_date.isoformat() if item.invoice.due_date else None,
                "total_cents": item.total_cents,
                "credited_cents": item.credited_cents,
                "paid_cents": item.paid_cents,
                "balance_cents": item.balance_cents,
            }
            for item in items_of(statement)
        ],
    }


def run_make(args: argparse.Namespace, ctx: Context) -> int:
    from models.billing.statements import accounts_of, items_of
    from models.core.errors import NotFoundError, ValidationError
    from models.people.clinic import BillingCompany
    from models.people.patient import Patient
    from models.workflow.statement_making import new_statement

    staff = require_role(ctx, "billing")
    patient = Patient.get_or_none(Patient.id == args.patient)
    if patient is None:
        raise NotFoundError(N_("no patient #{id}"), id=args.patient)
    accounts = accounts_of(patient)
    if args.company:
        company = BillingCompany.get_or_none(BillingCompany.number_prefix == args.company)
        if company is None:
            raise NotFoundError(N_("no billing company with the prefix {prefix}"), prefix=args.company)
        accounts = [account for account in accounts if account.company_id == company.id]
    if not accounts:
        raise ValidationError("patient", N_("nothing is owed on this account: there is no statement to make"))
    statements = [new_statement(account, staff=staff) for account in accounts]
    if args.json:
        ctx.print_json([statement_record(statement) for statement in statements])
        return 0
    for statement in statements:
        count = len(items_of(statement))
        ctx.print(
            ctx.tr.nformat(
                "Statement {reference}: {count} invoice, balance {balance}.",
                "Statement {reference}: {count} invoices, balance {balance}.",
                count,
                reference=statement.reference,
                count=count,
                balance=_money(ctx, statement.balance_cents, statement.currency),
            )
        )
    return 0


def run_show(args: argparse.Namespace, ctx: Context) -> int:
    from locales.formatting import format_date
    from models.billing.statements import due_now, find_statement, items_of
    from models.people.clinic import get_clinic

    require_role(ctx, "billing")  # a patient's whole account: what the TUI shows billing staff
    statement = find_statement(args.reference)
    if args.json:
        ctx.print_json(statement_record(statement))
        return 0
    currency = statement.currency
    ctx.print(
        ctx.tr.format(
            N_("Statement {reference} of {patient}, {date}"),
            reference=statement.reference,
            patient=statement.patient.full_name,
            date=format_date(statement.issue_date, ctx.tr.language, get_clinic().country),
        )
    )
    for item in items_of(statement):
        ctx.print(f"  {item.invoice.number:<18} {_money(ctx, item.balance_cents, currency):>14}")
    ctx.print(ctx.tr.format(N_("Balance: {amount}"), amount=_money(ctx, statement.balance_cents, currency)))
    ctx.print(ctx.tr.format(N_("Owed now: {amount}"), amount=_money(ctx, due_now(statement), currency)))
    return 0


def run_pdf(args: argparse.Namespace, ctx: Context) -> int:
    from agent.pdf.statement import render_statement_pdf
    from cli.doors import refuse_path_through_door
    from cli.invoice_pdf_cmd import write_pdf_output
    from models.billing.statements import find_statement

    refuse_path_through_door(ctx.door, args.output, "--output")
    require_role(ctx, "billing")  # a patient's whole account: what the TUI shows billing staff
    statement = find_statement(args.reference)
    if write_pdf_output(
        ctx, args.output, lambda: render_statement_pdf(statement, args.lang, ctx.config.portal.url)
    ):
        ctx.print(
            ctx.tr.format(
                N_("Wrote statement {reference} to {path}."), reference=statement.reference, path=args.output
            )
        )
    return 0


def run_pay(args: argparse.Namespace, ctx: Context) -> int:
    from models.billing.statements import due_now, find_statement
    from models.core.money import parse_amount
    from models.workflow.statement_payments import pay_statement

    staff = require_role(ctx, "billing")
    statement = find_statement(args.reference)
    cents = parse_amount(args.amount, statement.currency)
    payments = pay_statement(
        statement, cents, args.method, reference=args.payment_reference, recorded_by=staff
    )
    ctx.print(
        ctx.tr.nformat(
            "Recorded {amount} for statement {reference} on {count} invoice; still owed {due}.",
            "Recorded {amount} for statement {reference} on {count} invoices; still owed {due}.",
            len(payments),
            amount=_money(ctx, cents, statement.currency),
            reference=statement.reference,
            count=len(payments),
            due=_money(ctx, due_now(statement), statement.currency),
        )
    )
    for payment in payments:
        ctx.print(f"  {payment.invoice.number}: {_money(ctx, payment.amount_cents, statement.currency)}")
    return 0


def _money(ctx: Context, cents: int, currency: str) -> str:
    from locales.formatting import format_money
    from models.people.clinic import get_clinic

    return format_money(cents, currency, ctx.tr.language, get_clinic().country)

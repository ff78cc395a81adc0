"""``facteur payment add``: record a payment received at the desk or by transfer; ``facteur payment
refund``: give money back (a credit to refund after a credit note, or a payment returned)."""

from __future__ import annotations

import argparse

from cli.arguments import command_group
from cli.context import Context, require_role
from locales import N_, Translator

METHODS = ("cash", "card", "transfer", "stripe")


def register(commands: argparse._SubParsersAction, tr: Translator) -> None:
    actions = command_group(commands, "payment", tr.gettext(N_("record payments")))
    add = actions.add_parser("add", help=tr.gettext(N_("record a payment on a billed invoice")))
    add.add_argument("number", metavar="NUMBER", help=tr.gettext(N_("invoice number")))
    add.add_argument("amount", metavar="AMOUNT", help=tr.gettext(N_("amount, e.g. 85.00 or 85,00")))
    add.add_argument("--method", choices=METHODS, default="cash", help=tr.gettext(N_("how it was paid")))
    add.add_argument("--reference", default="", help=tr.gettext(N_("receipt, transfer or card reference")))
    add.set_defaults(handler=run_add)

    refund = actions.add_parser(
        "refund",
        help=tr.gettext(
            N_("give money back on an invoice: through Stripe for a Stripe payment, else by hand")
        ),
    )
    refund.add_argument("number", metavar="NUMBER", help=tr.gettext(N_("invoice number")))
    refund.add_argument("amount", metavar="AMOUNT", help=tr.gettext(N_("amount, e.g. 85.00 or 85,00")))
    refund.add_argument("--reason", default="", help=tr.gettext(N_("why the money goes back")))
    refund.set_defaults(handler=run_refund)


def run_add(args: argparse.Namespace, ctx: Context) -> int:
    from locales.formatting import format_money
    from models.billing.invoice import Invoice
    from models.billing.invoicing import find_invoice
    from models.core.money import parse_amount
    from models.people.clinic import get_clinic
    from models.workflow.lifecycle import record_payment

    staff = require_role(ctx, "billing")
    invoice = find_invoice(args.number)
    cents = parse_amount(args.amount, invoice.currency)
    record_payment(invoice, cents, args.method, reference=args.reference, recorded_by=staff)
    invoice = Invoice.get_by_id(invoice.id)
    country = get_clinic().country
    ctx.print(
        ctx.tr.format(
            N_("Recorded {amount} on invoice {number}; balance {balance}."),
            amount=format_money(cents, invoice.currency, ctx.tr.language, country),
            number=invoice.number,
            balance=format_money(invoice.balance_cents, invoice.currency, ctx.tr.language, country),
        )
    )
    return 0


def run_refund(args: argparse.Namespace, ctx: Context) -> int:
    """The newest payment that can give the whole amount back gives it: through Stripe (the agent
    makes the refund once online) when it came from Stripe, else recorded as given back by hand."""
    from locales.formatting import format_money
    from models.billing.invoice import Invoice, Payment
    from models.billing.invoicing import find_invoice
    from models.billing.reversals import refund_by_hand, refundable_cents, request_refund
    from models.core.enums import PaymentMethod
    from models.core.errors import ValidationError
    from models.core.money import parse_amount
    from models.people.clinic import get_clinic

    staff = require_role(ctx, "billing")
    invoice = find_invoice(args.number)
    cents = parse_amount(args.amount, invoice.currency)
    payments = Payment.select().where(Payment.invoice == invoice.id).order_by(Payment.id.desc())
    payment = next((p for p in payments if refundable_cents(p) >= cents), None)
    country = get_clinic().country

    def money(amount: int) -> str:
        return format_money(amount, invoice.currency, ctx.tr.language, country)

    if payment is None:
        raise ValidationError(
            "amount",
            N_("no payment of invoice {invoice} can give back {amount}"),
            invoice=invoice.number,
            amount=money(cents),
        )
    if payment.method == PaymentMethod.STRIPE:
        request_refund(payment.id, cents, args.reason, staff=staff)
        ctx.print(
            ctx.tr.format(
                N_("Refund of {amount} on invoice {number} queued: the agent makes it through Stripe."),
                amount=money(cents),
                number=invoice.number,
            )
        )
        return 0
    refund_by_hand(payment.id, cents, args.reason, staff=staff)
    invoice = Invoice.get_by_id(invoice.id)
    ctx.print(
        ctx.tr.format(
            N_("Recorded {amount} given back on invoice {number}; balance {balance}."),
            amount=money(cents),
            number=invoice.number,
            balance=money(invoice.balance_cents),
        )
    )
    return 0

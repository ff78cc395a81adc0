"""``facteur payment add``: record a payment received at the desk or by transfer."""

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

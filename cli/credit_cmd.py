"""``facteur invoice credit NUMBER --reason TEXT [--line N[=AMOUNT]]…``: a credit note on a billed or
paid invoice, for the whole invoice or chosen lines (an amount before tax each; the line's tax goes
with it). ``facteur payment refund`` gives back a credit to refund."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from cli.context import Context, require_role
from locales import N_, Translator

if TYPE_CHECKING:
    from models.billing.credit_notes import LineCredit


def register_credit(actions: argparse._SubParsersAction, tr: Translator) -> None:
    credit = actions.add_parser(
        "credit", help=tr.gettext(N_("issue a credit note on a billed or paid invoice"))
    )
    credit.add_argument("number", metavar="NUMBER", help=tr.gettext(N_("invoice number")))
    credit.add_argument("--reason", required=True, help=tr.gettext(N_("why the invoice is credited")))
    credit.add_argument(
        "--line",
        action="append",
        default=[],
        metavar="N[=AMOUNT]",
        help=tr.gettext(
            N_("credit line N: what it has left, or AMOUNT before tax (repeat; default: the whole invoice)")
        ),
    )
    credit.add_argument("--json", action="store_true", help=tr.gettext(N_("JSON output")))
    credit.set_defaults(handler=run_credit)


def parse_lines(values: list[str], currency: str) -> list[LineCredit] | None:
    """``--line`` values as credits; None (the whole invoice) when none is given."""
    from models.billing.credit_notes import LineCredit
    from models.core.errors import ValidationError
    from models.core.money import parse_amount

    if not values:
        return None
    credits: list[LineCredit] = []
    for value in values:
        position, _, amount = value.partition("=")
        if not position.strip().isdigit():
            raise ValidationError("line", N_("{value} is not a line number"), value=value)
        cents = parse_amount(amount, currency, "line") if amount.strip() else None
        credits.append(LineCredit(int(position), cents))
    return credits


def run_credit(args: argparse.Namespace, ctx: Context) -> int:
    from locales.formatting import format_money
    from models.billing.invoice import Invoice
    from models.billing.invoicing import find_invoice
    from models.people.clinic import get_clinic
    from models.views.serialize import credit_note_record
    from models.workflow.lifecycle import credit

    staff = require_role(ctx, "billing")
    invoice = find_invoice(args.number)
    lines = parse_lines(args.line, invoice.currency)
    note = credit(invoice, args.reason, lines, staff=staff)
    if args.json:
        ctx.print_json(credit_note_record(note))
        return 0
    invoice = Invoice.get_by_id(invoice.id)
    lang, country = ctx.tr.language, get_clinic().country

    def money(cents: int) -> str:
        return format_money(cents, invoice.currency, lang, country)

    ctx.print(
        ctx.tr.format(
            N_("Credit note {note} on invoice {invoice}: {amount}; balance {balance}."),
            note=note.number,
            invoice=invoice.number,
            amount=money(note.total_cents),
            balance=money(invoice.balance_cents),
        )
    )
    if invoice.balance_cents < 0:
        ctx.print(
            ctx.tr.format(
                N_("{amount} was received beyond what is owed: refund it (facteur payment refund)."),
                amount=money(-invoice.balance_cents),
            )
        )
    return 0

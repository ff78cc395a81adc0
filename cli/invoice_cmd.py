"""``facteur invoice``: list, show, bill, void, credit, send and print invoices."""

from __future__ import annotations

import argparse

from cli.arguments import command_group, count, iso_date
from cli.context import Context, require_role, require_staff
from cli.credit_cmd import register_credit
from cli.invoice_pdf_cmd import register_pdf
from cli.send_cmd import register_send
from locales import N_, Translator
from models.core.labels import INVOICE_STATUS, MONEY_BACK, PAYMENT_METHOD

STATUSES = ("draft", "billed", "paid", "void", "credited")


def register(commands: argparse._SubParsersAction, tr: Translator) -> None:
    actions = command_group(
        commands, "invoice", tr.gettext(N_("list, show, bill, void, credit, send and print invoices"))
    )

    listing = actions.add_parser("list", help=tr.gettext(N_("invoices, newest first")))
    listing.add_argument("--status", choices=STATUSES, help=tr.gettext(N_("only invoices in this status")))
    listing.add_argument(
        "--search", default="", metavar="TEXT", help=tr.gettext(N_("number or patient name"))
    )
    listing.add_argument(
        "--since", type=iso_date(tr), metavar="YYYY-MM-DD", help=tr.gettext(N_("issued on or after"))
    )
    listing.add_argument(
        "--until", type=iso_date(tr), metavar="YYYY-MM-DD", help=tr.gettext(N_("issued on or before"))
    )
    listing.add_argument(
        "--limit", type=count(tr), default=0, metavar="N", help=tr.gettext(N_("at most N invoices"))
    )
    listing.add_argument("--json", action="store_true", help=tr.gettext(N_("JSON output")))
    listing.set_defaults(handler=run_list)

    show = actions.add_parser("show", help=tr.gettext(N_("one invoice with its lines and payments")))
    show.add_argument("number", metavar="NUMBER", help=tr.gettext(N_("invoice number, or #id for a draft")))
    show.add_argument("--json", action="store_true", help=tr.gettext(N_("JSON output")))
    show.set_defaults(handler=run_show)

    bill = actions.add_parser("bill", help=tr.gettext(N_("bill a draft: it gets its number")))
    bill.add_argument("id", metavar="ID", help=tr.gettext(N_("the draft's id")))
    bill.set_defaults(handler=run_bill)

    void = actions.add_parser("void", help=tr.gettext(N_("void a billed invoice")))
    void.add_argument("number", metavar="NUMBER", help=tr.gettext(N_("invoice number")))
    void.add_argument("--reason", default="", help=tr.gettext(N_("why it is voided")))
    void.set_defaults(handler=run_void)

    register_send(actions, tr)
    register_pdf(actions, tr)
    register_credit(actions, tr)


def run_list(args: argparse.Namespace, ctx: Context) -> int:
    from models.core.enums import InvoiceStatus
    from models.views.queries import invoice_query
    from models.views.serialize import invoice_summary

    require_staff(ctx)
    ctx.database()
    query = invoice_query(
        status=InvoiceStatus(args.status) if args.status else None,
        text=args.search,
        since=args.since,
        until=args.until,
    )
    if args.limit > 0:
        query = query.limit(args.limit)
    if args.json:
        ctx.print_json([invoice_summary(invoice) for invoice in query])
        return 0
    from cli.table import print_table
    from locales.formatting import format_date, format_money
    from models.people.clinic import get_clinic

    clinic = get_clinic()
    lang, country = ctx.tr.language, clinic.country
    tr = ctx.tr
    rows = [
        [
            invoice.number or f"#{invoice.id}",
            tr.gettext(INVOICE_STATUS[invoice.status]),
            format_date(invoice.issue_date, lang, country) if invoice.issue_date else "",
            invoice.patient.full_name,
            format_money(invoice.total_cents, invoice.currency, lang, country),
            format_money(invoice.balance_cents, invoice.currency, lang, country),
        ]
        for invoice in query
    ]
    headers = [
        tr.gettext(h)
        for h in (N_("Number"), N_("Status"), N_("Issued"), N_("Patient"), N_("Total"), N_("Balance"))
    ]
    print_table(ctx, headers, rows, right=frozenset({4, 5}))
    return 0


def run_show(args: argparse.Namespace, ctx: Context) -> int:
    from models.billing.credit_notes import notes_of
    from models.billing.invoice import Payment
    from models.billing.invoicing import find_invoice, lines_of
    from models.billing.reversals import PaymentReversal
    from models.views.serialize import invoice_detail

    require_staff(ctx)
    ctx.database()
    invoice = find_invoice(args.number)
    lines = list(lines_of(invoice))
    payments = list(Payment.select().where(Payment.invoice == invoice.id).order_by(Payment.received_at))
    if args.json:
        ctx.print_json(invoice_detail(invoice, lines, payments))
        return 0
    from locales.formatting import format_date, format_money
    from models.people.clinic import get_clinic

    clinic = get_clinic()
    tr, lang, country = ctx.tr, ctx.tr.language, clinic.country

    def money(cents: int) -> str:
        return format_money(cents, invoice.currency, lang, country)

    ctx.print(
        tr.format(
            N_("Invoice {number} ({status})"),
            number=invoice.number or f"#{invoice.id}",
            status=tr.gettext(INVOICE_STATUS[invoice.status]),
        )
    )
    ctx.print(tr.format(N_("Patient: {name}"), name=invoice.patient.full_name))
    ctx.print(
        tr.format(
            N_("Billed to: {name} {email}"), name=invoice.billed_to_name, email=invoice.billed_to_email or ""
        )
    )
    if invoice.issue_date:
        ctx.print(
            tr.format(
                N_("Issued: {issued}, due: {due}"),
                issued=format_date(invoice.issue_date, lang, country),
                due=format_date(invoice.due_date, lang, country) if invoice.due_date else "",
            )
        )
    for line in lines:
        ctx.print(
            f"  {line.code:<10} {line.description[:40]:<40} "
            f"{line.quantity.normalize()!s:>6}  {money(line.total_cents):>12}"
        )
    ctx.print(tr.format(N_("Subtotal: {amount}"), amount=money(invoice.subtotal_cents)))
    ctx.print(tr.format(N_("Taxes: {amount}"), amount=money(invoice.tax_cents)))
    ctx.print(tr.format(N_("Total: {amount}"), amount=money(invoice.total_cents)))
    for payment in payments:
        ctx.print(
            tr.format(
                N_("Payment ({method}): {amount}"),
                method=tr.gettext(PAYMENT_METHOD[payment.method]),
                amount=money(payment.amount_cents),
            )
        )
    for back in (
        PaymentReversal.select().where(PaymentReversal.invoice == invoice.id).order_by(PaymentReversal.id)
    ):
        ctx.print(
            tr.format(
                N_("Money back ({kind}): {amount}"),
                kind=tr.gettext(MONEY_BACK[back.kind]),
                amount=money(-back.amount_cents),
            )
        )
    for note in notes_of(invoice):
        ctx.print(
            tr.format(
                N_("Credit note {note} ({date}): {amount} · {reason}"),
                note=note.number,
                date=format_date(note.issue_date, lang, country),
                amount=money(-note.total_cents),
                reason=note.reason,
            )
        )
    ctx.print(tr.format(N_("Balance: {amount}"), amount=money(invoice.balance_cents)))
    if invoice.balance_cents < 0:
        ctx.print(tr.format(N_("Credit to refund: {amount}"), amount=money(-invoice.balance_cents)))
    return 0


def run_bill(args: argparse.Namespace, ctx: Context) -> int:
    from models.billing.invoicing import find_invoice
    from models.workflow.lifecycle import bill

    require_role(ctx, "billing")
    invoice = bill(find_invoice(args.id if args.id.startswith("#") else f"#{args.id}"))
    ctx.print(ctx.tr.format(N_("Billed invoice {number}."), number=invoice.number))
    return 0


def run_void(args: argparse.Namespace, ctx: Context) -> int:
    from models.billing.invoicing import find_invoice
    from models.workflow.lifecycle import void

    require_role(ctx, "billing")
    invoice = void(find_invoice(args.number), args.reason)
    ctx.print(ctx.tr.format(N_("Voided invoice {number}."), number=invoice.number))
    return 0

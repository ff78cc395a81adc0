"""``facteur invoice send NUMBER``: queue an invoice email (registered by ``invoice_cmd``)."""

from __future__ import annotations

import argparse

from locales import N_, Translator
from tui.cli.context import Context, require_role


def register_send(actions: argparse._SubParsersAction, tr: Translator) -> None:
    send = actions.add_parser("send", help=tr.gettext(N_("email a billed invoice (through the outbox)")))
    send.add_argument("number", metavar="NUMBER", help=tr.gettext(N_("invoice number")))
    send.add_argument("--email", help=tr.gettext(N_("recipient (else the billed-to person's email)")))
    send.add_argument("--lang", choices=("fr", "en"), help=tr.gettext(N_("language of the email")))
    send.add_argument(
        "--message", metavar="TEXT", help=tr.gettext(N_("personal message (else the usual sentence)"))
    )
    send.add_argument(
        "--payment-link",
        action="store_true",
        help=tr.gettext(N_('add a Stripe payment link for the balance (a "Pay invoice" button)')),
    )
    send.set_defaults(handler=run_send)


def run_send(args: argparse.Namespace, ctx: Context) -> int:
    from models.invoicing import find_invoice
    from models.outbox import enqueue_invoice_email

    staff = require_role(ctx, "billing")
    invoice = find_invoice(args.number)
    if args.payment_link:
        from models.payment_links import check_link_offered, stripe_key_configured

        check_link_offered(
            invoice,
            key_configured=stripe_key_configured(ctx.config),
            key_variable=ctx.config.stripe.api_key_env,
        )
    message = enqueue_invoice_email(
        invoice,
        email=args.email,
        language=args.lang,
        message=args.message,
        staff=staff,
        payment_link=args.payment_link,
    )
    ctx.print(
        ctx.tr.format(
            N_("Invoice {number} is queued for {email} (message {id}); the agent sends it when online."),
            number=invoice.number,
            email=message.recipient_email,
            id=message.id,
        )
    )
    return 0

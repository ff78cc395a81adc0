"""``facteur invoice send NUMBER``: queue an invoice email (registered by ``invoice_cmd``)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from cli.context import Context, require_role
from locales import N_, Translator
from models.core.enums import PinMode
from models.core.errors import FieldErrors

if TYPE_CHECKING:
    from models.billing.invoice import Invoice
    from models.messaging.tables import OutboxMessage


def register_send(actions: argparse._SubParsersAction, tr: Translator) -> None:
    send = actions.add_parser("send", help=tr.gettext(N_("email a billed invoice (through the outbox)")))
    send.add_argument("number", metavar="NUMBER", help=tr.gettext(N_("invoice number")))
    add_message_options(
        send,
        tr,
        email=N_("recipient (else the billed-to person's email)"),
        phone=N_("SMS mode: the cell phone for the PIN (else the billed-to person's)"),
    )
    send.add_argument(
        "--payment-link",
        action="store_true",
        help=tr.gettext(N_('add a Stripe payment link for the balance (a "Pay invoice" button)')),
    )
    send.set_defaults(handler=run_send)

    text = actions.add_parser(
        "text",
        help=tr.gettext(
            N_("text the invoice's payment link to the patient (through the outbox; their consent)")
        ),
    )
    text.add_argument("number", metavar="NUMBER", help=tr.gettext(N_("invoice number")))
    text.add_argument(
        "--in-window",
        action="store_true",
        help=tr.gettext(N_("wait for the clinic's sending hours (else it goes at once)")),
    )
    text.set_defaults(handler=run_text)


def add_message_options(parser: argparse.ArgumentParser, tr: Translator, *, email: str, phone: str) -> None:
    """The options a message sent through the outbox takes: its address, language, message and PIN."""
    parser.add_argument("--email", help=tr.gettext(email))
    parser.add_argument("--lang", choices=("fr", "en"), help=tr.gettext(N_("language of the email")))
    parser.add_argument(
        "--message", metavar="TEXT", help=tr.gettext(N_("personal message (else the usual sentence)"))
    )
    parser.add_argument(
        "--pin-mode",
        choices=("sms", "institution", "none"),
        help=tr.gettext(
            N_(
                "how the PIN of the secure link reaches them: sms, institution (the clinic hands it over), "
                "or none (the PDF attached; needs the patient's consent); else the clinic's default"
            )
        ),
    )
    parser.add_argument(
        "--pin",
        metavar="PIN",
        help=tr.gettext(N_("institution mode: the PIN to hand over (else the insurance number's last 6)")),
    )
    parser.add_argument("--phone", metavar="E164", help=tr.gettext(phone))
    parser.add_argument(
        "--in-window",
        action="store_true",
        help=tr.gettext(N_("wait for the clinic's sending hours (else it goes at once)")),
    )


def report_refused(ctx: Context, exc: FieldErrors) -> int:
    """Every refused option, one line each; the exit code."""
    for error in exc.errors:
        ctx.err.write(ctx.tr.format(N_("facteur: {message}"), message=error.render(ctx.tr)) + "\n")
    return 1


def report_pin(ctx: Context, message: OutboxMessage, invoice: Invoice, pin: str | None) -> None:
    """How the PIN reaches the patient: by SMS to the number, or the one staff hand over."""
    from models.messaging.pin_modes import handover_pin

    if message.pin_mode == PinMode.SMS:
        ctx.print(ctx.tr.format(N_("The PIN goes by SMS to {phone}."), phone=message.recipient_phone))
    elif message.pin_mode == PinMode.INSTITUTION:
        ctx.print(ctx.tr.format(N_("PIN to hand over: {pin}"), pin=handover_pin(invoice, pin)))


def run_send(args: argparse.Namespace, ctx: Context) -> int:
    from models.billing.invoicing import find_invoice
    from models.workflow.sending import enqueue_invoice_email

    staff = require_role(ctx, "billing")
    invoice = find_invoice(args.number)
    mode = args.pin_mode or default_pin_mode(invoice)
    if args.payment_link:
        from models.links.payment_links import check_link_offered, stripe_key_configured

        check_link_offered(
            invoice,
            key_configured=stripe_key_configured(ctx.config),
            key_variable=ctx.config.stripe.api_key_env,
        )
    try:
        message = enqueue_invoice_email(
            invoice,
            email=args.email,
            language=args.lang,
            message=args.message,
            staff=staff,
            pin_mode=mode,
            pin=args.pin,
            phone=args.phone,
            payment_link=args.payment_link,
            in_window=args.in_window,
        )
    except FieldErrors as exc:
        return report_refused(ctx, exc)
    ctx.print(
        ctx.tr.format(
            N_("Invoice {number} is queued for {email} (message {id}); the agent sends it when online."),
            number=invoice.number,
            email=message.recipient_email,
            id=message.id,
        )
    )
    report_pin(ctx, message, invoice, args.pin)
    return 0


def default_pin_mode(invoice: Invoice) -> str:
    """The clinic's default PIN mode, SMS where that default is the attachment and it is not allowed."""
    from models.messaging.pin_modes import attachment_allowed

    mode = str(invoice.billing_company.clinic.default_pin_mode)
    if mode == PinMode.NONE and not attachment_allowed(invoice):
        return PinMode.SMS.value
    return mode


def run_text(args: argparse.Namespace, ctx: Context) -> int:
    """The payment-link text (``models.workflow.texting``): refused with the reason where none may go."""
    from models.billing.invoicing import find_invoice
    from models.links.payment_links import stripe_key_configured
    from models.workflow.texting import send_payment_text

    staff = require_role(ctx, "billing")
    invoice = find_invoice(args.number)
    message = send_payment_text(
        invoice, staff=staff, key_configured=stripe_key_configured(ctx.config), in_window=args.in_window
    )
    ctx.print(
        ctx.tr.format(
            N_("The payment link of invoice {number} is queued for a text to {phone} (message {id})."),
            number=invoice.number,
            phone=message.recipient_phone,
            id=message.id,
        )
    )
    return 0

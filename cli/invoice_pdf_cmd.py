"""``facteur invoice pdf NUMBER -o FILE``: an invoice as PDF, as patients receive it.

A draft can be previewed: its PDF carries a DRAFT watermark and no number. ``-o -`` writes the
PDF to standard output, the only way through sudo or SSH (``cli.doors``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from cli.context import Context, require_staff
from cli.doors import refuse_path_through_door
from locales import LANGUAGES, N_, Translator
from models.core.errors import FacteurError


class OutputError(FacteurError):
    """The PDF cannot be written where asked."""


def register_pdf(actions: argparse._SubParsersAction, tr: Translator) -> None:
    pdf = actions.add_parser(
        "pdf", help=tr.gettext(N_("write an invoice as PDF (a draft as a marked preview)"))
    )
    pdf.add_argument("number", metavar="NUMBER", help=tr.gettext(N_("invoice number, or #id for a draft")))
    pdf.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="FILE",
        help=tr.gettext(N_("the PDF file to write (- for standard output)")),
    )
    pdf.add_argument(
        "--lang",
        choices=LANGUAGES,
        help=tr.gettext(N_("the PDF's language (default: the billed-to person's, else the clinic's)")),
    )
    pdf.set_defaults(handler=run_pdf)


def run_pdf(args: argparse.Namespace, ctx: Context) -> int:
    from agent.pdf import invoice_language, render_invoice_pdf
    from agent.pdf.cache import write_private
    from models.billing.invoice import describe
    from models.billing.invoicing import find_invoice

    refuse_path_through_door(ctx.door, args.output, "--output")
    require_staff(ctx)
    ctx.database()
    target = Path(args.output).expanduser()
    if args.output != "-" and target.is_dir():
        raise OutputError(N_("{path} is a folder; give a file name"), path=str(target))
    invoice = find_invoice(args.number)
    language = args.lang or invoice_language(invoice)
    pdf = render_invoice_pdf(invoice, language)
    if args.output == "-":
        ctx.out.flush()
        binary = getattr(ctx.out, "buffer", None)
        if binary is None:
            raise OutputError(N_("standard output cannot take a PDF here"))
        binary.write(pdf)
        binary.flush()
        return 0
    try:
        write_private(target, pdf)
    except OSError as exc:
        raise OutputError(
            N_("cannot write {path}: {reason}"), path=str(target), reason=exc.strerror or str(exc)
        ) from exc
    ctx.print(
        ctx.tr.format(N_("Wrote invoice {invoice} to {path}."), invoice=describe(invoice), path=str(target))
    )
    return 0

"""``facteur invoice pdf NUMBER -o FILE``: an invoice as PDF, as patients receive it (or a credit
note, by its number).

A draft can be previewed: its PDF carries a DRAFT watermark and no number. ``-o -`` writes the
PDF to standard output, the only way through sudo or SSH (``cli.doors``).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from cli.context import Context, require_staff
from cli.doors import refuse_path_through_door
from locales import LANGUAGES, N_, Translator
from models.core.errors import FacteurError


class OutputError(FacteurError):
    """The PDF cannot be written where asked."""


def register_pdf(actions: argparse._SubParsersAction, tr: Translator) -> None:
    pdf = actions.add_parser(
        "pdf",
        help=tr.gettext(N_("write an invoice or a credit note as PDF (a draft as a marked preview)")),
    )
    pdf.add_argument(
        "number", metavar="NUMBER", help=tr.gettext(N_("invoice or credit note number, or #id for a draft"))
    )
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
    from agent.pdf.credit_note import render_credit_note_pdf
    from models.billing.credit_notes import CreditNote
    from models.billing.invoice import describe
    from models.billing.invoicing import find_invoice

    refuse_path_through_door(ctx.door, args.output, "--output")
    require_staff(ctx)
    ctx.database()
    note = CreditNote.get_or_none(CreditNote.number == args.number.strip())
    if note is not None:
        wrote, label = N_("Wrote credit note {invoice} to {path}."), note.number
        written = write_pdf_output(ctx, args.output, lambda: render_credit_note_pdf(note, args.lang))
    else:
        invoice = find_invoice(args.number)
        wrote, label = N_("Wrote invoice {invoice} to {path}."), describe(invoice)
        written = write_pdf_output(
            ctx,
            args.output,
            lambda: render_invoice_pdf(
                invoice, args.lang or invoice_language(invoice), ctx.config.portal.url
            ),
        )
    if written:
        ctx.print(ctx.tr.format(wrote, invoice=label, path=str(Path(args.output).expanduser())))
    return 0


def write_pdf_output(ctx: Context, output: str, render: Callable[[], bytes]) -> bool:
    """Write what ``render`` makes to ``output`` (owner-only), or to standard output for ``-``;
    True when a file was written. A folder or an unwritable path is refused before rendering."""
    from agent.pdf.cache import write_private

    target = Path(output).expanduser()
    if output != "-" and target.is_dir():
        raise OutputError(N_("{path} is a folder; give a file name"), path=str(target))
    pdf = render()
    if output == "-":
        ctx.out.flush()
        binary = getattr(ctx.out, "buffer", None)
        if binary is None:
            raise OutputError(N_("standard output cannot take a PDF here"))
        binary.write(pdf)
        binary.flush()
        return False
    try:
        write_private(target, pdf)
    except OSError as exc:
        raise OutputError(
            N_("cannot write {path}: {reason}"), path=str(target), reason=exc.strerror or str(exc)
        ) from exc
    return True

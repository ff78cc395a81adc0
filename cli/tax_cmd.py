"""``facteur tax``: list a billing company's taxes, add or end one, load a preset (admins change)."""

from __future__ import annotations

import argparse
from typing import Any

from cli.arguments import command_group, count, iso_date
from cli.context import Context, require_role, require_staff
from locales import N_, Translator


def register(commands: argparse._SubParsersAction, tr: Translator) -> None:
    from models.billing.tax_presets import PRESETS

    actions = command_group(
        commands, "tax", tr.gettext(N_("list a billing company's taxes, add or end one, load a preset"))
    )
    company_help = tr.gettext(N_("the billing company's number prefix (else the only one)"))

    listing = actions.add_parser("list", help=tr.gettext(N_("every tax and rate, with the dates they apply")))
    listing.add_argument("--company", metavar="PREFIX", help=company_help)
    listing.add_argument(
        "--on",
        type=iso_date(tr),
        metavar="YYYY-MM-DD",
        help=tr.gettext(N_("only the taxes in force that day")),
    )
    listing.add_argument("--json", action="store_true", help=tr.gettext(N_("JSON output")))
    listing.set_defaults(handler=run_list)

    add = actions.add_parser("add", help=tr.gettext(N_("add a tax, or a new rate of one (admins only)")))
    add.add_argument("--company", metavar="PREFIX", help=company_help)
    add.add_argument(
        "--code", required=True, help=tr.gettext(N_("a short code lines name it by: GST, QST, HST, VAT"))
    )
    add.add_argument("--name-fr", required=True, help=tr.gettext(N_("its name on French invoices: TPS")))
    add.add_argument("--name-en", required=True, help=tr.gettext(N_("its name on English invoices: GST")))
    add.add_argument("--rate", required=True, help=tr.gettext(N_("percent: 9.975")))
    add.add_argument(
        "--registration", default="", help=tr.gettext(N_("the company's registration number for it"))
    )
    add.add_argument(
        "--from",
        dest="valid_from",
        type=iso_date(tr),
        metavar="YYYY-MM-DD",
        help=tr.gettext(N_("first day it applies")),
    )
    add.add_argument(
        "--until",
        dest="valid_until",
        type=iso_date(tr),
        metavar="YYYY-MM-DD",
        help=tr.gettext(N_("last day it applies")),
    )
    add.add_argument(
        "--position", type=count(tr, 1000), default=0, metavar="N", help=tr.gettext(N_("print order"))
    )
    add.add_argument(
        "--not-on-new-lines",
        dest="on_new_lines",
        action="store_false",
        help=tr.gettext(N_("new invoice lines do not start with it")),
    )
    add.add_argument("--json", action="store_true", help=tr.gettext(N_("JSON output")))
    add.set_defaults(handler=run_add)

    end = actions.add_parser("end", help=tr.gettext(N_("set the last day a tax applies (admins only)")))
    end.add_argument("id", type=count(tr), metavar="ID", help=tr.gettext(N_("the tax's id (tax list)")))
    end.add_argument(
        "until", type=iso_date(tr), metavar="YYYY-MM-DD", help=tr.gettext(N_("last day it applies"))
    )
    end.set_defaults(handler=run_end)

    preset = actions.add_parser("preset", help=tr.gettext(N_("load a preset's taxes (admins only)")))
    preset.add_argument(
        "preset",
        metavar="PRESET",
        choices=[p.key for p in PRESETS],
        help="; ".join(f"{p.key}: {tr.gettext(p.label)}" for p in PRESETS).replace(
            "%", "%%"
        ),  # argparse formats
    )
    preset.add_argument("--company", metavar="PREFIX", help=company_help)
    preset.add_argument("--json", action="store_true", help=tr.gettext(N_("JSON output")))
    preset.set_defaults(handler=run_preset)


def tax_record(tax: Any) -> dict[str, Any]:
    """A tax's stable JSON keys."""
    return {
        "id": tax.id,
        "company": tax.billing_company.number_prefix,
        "code": tax.code,
        "name_fr": tax.name_fr,
        "name_en": tax.name_en,
        "rate": str(tax.rate.normalize()),
        "registration": tax.registration,
        "valid_from": tax.valid_from.isoformat() if tax.valid_from else None,
        "valid_until": tax.valid_until.isoformat() if tax.valid_until else None,
        "position": tax.position,
        "on_new_lines": tax.on_new_lines,
    }


def _company(prefix: str | None) -> Any:
    from models.core.errors import NotFoundError, ValidationError
    from models.people.clinic import BillingCompany

    if prefix:
        company = BillingCompany.get_or_none(BillingCompany.number_prefix == prefix.strip().upper())
        if company is None:
            raise NotFoundError(N_("no billing company with the prefix {prefix}"), prefix=prefix)
        return company
    companies = list(BillingCompany.select().order_by(BillingCompany.id).limit(2))
    if len(companies) != 1:
        raise ValidationError("company", N_("name the billing company: --company PREFIX"))
    return companies[0]


def _print_taxes(ctx: Context, taxes: list[Any]) -> None:
    from cli.table import print_table

    tr = ctx.tr
    headers = [
        tr.gettext(h)
        for h in (
            N_("Id"),
            N_("Company"),
            N_("Code"),
            N_("Name"),
            N_("Rate"),
            N_("From"),
            N_("Until"),
            N_("Registration"),
        )
    ]
    rows = [
        [
            str(tax.id),
            tax.billing_company.number_prefix,
            tax.code,
            tax.name_en if tr.language == "en" else tax.name_fr,
            f"{tax.rate.normalize()} %",
            tax.valid_from.isoformat() if tax.valid_from else "…",
            tax.valid_until.isoformat() if tax.valid_until else "…",
            tax.registration or "",
        ]
        for tax in taxes
    ]
    print_table(ctx, headers, rows, right=frozenset({4}))


def run_list(args: argparse.Namespace, ctx: Context) -> int:
    from models.billing.taxes import Tax
    from models.people.clinic import BillingCompany

    require_staff(ctx)  # billing staff name these codes on invoice lines
    query = Tax.select(Tax, BillingCompany).join(BillingCompany)
    if args.company:
        query = query.where(Tax.billing_company == _company(args.company).id)
    taxes = [
        tax
        for tax in query.order_by(
            BillingCompany.number_prefix, Tax.position, Tax.code, Tax.valid_from, Tax.id
        )
        if args.on is None or tax.applies_on(args.on)
    ]
    if args.json:
        ctx.print_json([tax_record(tax) for tax in taxes])
        return 0
    _print_taxes(ctx, taxes)
    return 0


def run_add(args: argparse.Namespace, ctx: Context) -> int:
    from models.billing.tax_definitions import TaxInput, add_tax

    require_role(ctx, "admin")  # Settings → Taxes: admins only
    data = TaxInput(
        args.code,
        args.name_fr,
        args.name_en,
        args.rate,
        args.registration,
        args.valid_from,
        args.valid_until,
        args.position,
        args.on_new_lines,
    )
    tax = add_tax(_company(args.company).id, data)
    if args.json:
        ctx.print_json(tax_record(tax))
        return 0
    ctx.print(ctx.tr.format(N_("Added {code} ({rate} %)."), code=tax.code, rate=tax.rate.normalize()))
    return 0


def run_end(args: argparse.Namespace, ctx: Context) -> int:
    from models.billing.tax_definitions import end_tax

    require_role(ctx, "admin")
    tax = end_tax(args.id, args.until)
    ctx.print(ctx.tr.format(N_("{code} applies until {date}."), code=tax.code, date=args.until.isoformat()))
    return 0


def run_preset(args: argparse.Namespace, ctx: Context) -> int:
    from models.billing.tax_definitions import load_preset

    require_role(ctx, "admin")
    added = load_preset(_company(args.company).id, args.preset)
    if args.json:
        ctx.print_json([tax_record(tax) for tax in added])
        return 0
    if not added:
        ctx.print(ctx.tr.gettext(N_("The company already has these taxes; nothing was added.")))
        return 0
    _print_taxes(ctx, added)
    return 0

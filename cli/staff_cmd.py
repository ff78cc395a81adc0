"""``facteur staff``: who may use Facteur, and in which roles."""

from __future__ import annotations

import argparse

from cli.arguments import command_group
from cli.context import Context, require_role
from locales import N_, Translator


def register(commands: argparse._SubParsersAction, tr: Translator) -> None:
    actions = command_group(commands, "staff", tr.gettext(N_("list and add staff members")))

    listing = actions.add_parser("list", help=tr.gettext(N_("staff members and their roles")))
    listing.add_argument("--json", action="store_true", help=tr.gettext(N_("JSON output")))
    listing.set_defaults(handler=run_list)

    add = actions.add_parser("add", help=tr.gettext(N_("add a staff member (admins only)")))
    add.add_argument("login", metavar="LOGIN", help=tr.gettext(N_("their Unix user name")))
    add.add_argument(
        "--name", required=True, help=tr.gettext(N_("the name shown to colleagues and patients"))
    )
    add.add_argument(
        "--roles", required=True, help=tr.gettext(N_("comma-separated: admin, billing, provider"))
    )
    add.add_argument("--language", default="fr", help=tr.gettext(N_("language of the interface: fr or en")))
    add.set_defaults(handler=run_add)


def run_list(args: argparse.Namespace, ctx: Context) -> int:
    from cli.table import print_table
    from models.people.clinic import Staff
    from models.views.serialize import staff_record

    require_role(ctx, "admin")  # Settings → Staff and roles: admins only
    ctx.database()
    members = list(Staff.select().order_by(Staff.login))
    if args.json:
        ctx.print_json([staff_record(s) for s in members])
        return 0
    tr = ctx.tr
    headers = [tr.gettext(h) for h in (N_("Login"), N_("Name"), N_("Roles"), N_("Language"))]
    print_table(ctx, headers, [[s.login, s.display_name, s.roles, s.language] for s in members])
    return 0


def run_add(args: argparse.Namespace, ctx: Context) -> int:
    from models.people.staff_members import add_staff

    require_role(ctx, "admin")
    staff = add_staff(args.login, args.name, args.roles, args.language)
    ctx.print(ctx.tr.format(N_("Added {login} ({roles})."), login=staff.login, roles=staff.roles))
    return 0

"""``facteur staff``: who may use Facteur, in which roles, and with which SSH keys."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cli.arguments import command_group
from cli.context import Context, require_role
from locales import N_, Translator
from models.core.errors import ValidationError


def register(commands: argparse._SubParsersAction, tr: Translator) -> None:
    actions = command_group(commands, "staff", tr.gettext(N_("list, add and remove staff members")))

    listing = actions.add_parser("list", help=tr.gettext(N_("staff members and their roles")))
    listing.add_argument("--json", action="store_true", help=tr.gettext(N_("JSON output")))
    listing.set_defaults(handler=run_list)

    ssh_key_help = tr.gettext(N_("their SSH public key file (- for standard input): they come in over SSH"))
    add = actions.add_parser("add", help=tr.gettext(N_("add a staff member (admins only)")))
    add.add_argument("login", metavar="LOGIN", help=tr.gettext(N_("their Unix user name")))
    add.add_argument(
        "--name", required=True, help=tr.gettext(N_("the name shown to colleagues and patients"))
    )
    add.add_argument(
        "--roles", required=True, help=tr.gettext(N_("comma-separated: admin, billing, provider"))
    )
    add.add_argument("--language", default="fr", help=tr.gettext(N_("language of the interface: fr or en")))
    add.add_argument("--ssh-key", metavar="FILE", help=ssh_key_help)
    add.set_defaults(handler=run_add)

    key = actions.add_parser("key", help=tr.gettext(N_("replace a staff member's SSH keys (admins only)")))
    key.add_argument("login", metavar="LOGIN", help=tr.gettext(N_("their Unix user name")))
    key.add_argument("ssh_key", metavar="FILE", help=ssh_key_help)
    key.set_defaults(handler=run_key)

    remove = actions.add_parser(
        "remove", help=tr.gettext(N_("deactivate a staff member and remove their SSH keys (admins only)"))
    )
    remove.add_argument("login", metavar="LOGIN", help=tr.gettext(N_("their Unix user name")))
    remove.set_defaults(handler=run_remove)


def run_list(args: argparse.Namespace, ctx: Context) -> int:
    from cli.ssh_door import keys_by_login
    from cli.table import print_table
    from models.people.clinic import Staff
    from models.views.serialize import staff_record

    require_role(ctx, "admin")  # Settings → Staff and roles: admins only
    members = list(Staff.select().order_by(Staff.login))
    keys = keys_by_login()
    if args.json:
        ctx.print_json([{**staff_record(s), "ssh_keys": keys.get(s.login, 0)} for s in members])
        return 0
    tr = ctx.tr
    headers = [tr.gettext(h) for h in (N_("Login"), N_("Name"), N_("Roles"), N_("Language"), N_("SSH keys"))]
    rows = [[s.login, s.display_name, s.roles, s.language, str(keys.get(s.login, 0))] for s in members]
    print_table(ctx, headers, rows)
    return 0


def run_add(args: argparse.Namespace, ctx: Context) -> int:
    from models.people.staff_members import add_staff

    require_role(ctx, "admin")
    keys = _read_keys(ctx, args.ssh_key) if args.ssh_key else []  # a bad key adds no one
    staff = add_staff(args.login, args.name, args.roles, args.language)
    ctx.print(ctx.tr.format(N_("Added {login} ({roles})."), login=staff.login, roles=staff.roles))
    if keys:
        _set_keys(ctx, staff.login, keys)
    return 0


def run_key(args: argparse.Namespace, ctx: Context) -> int:
    from models.people.staff_members import staff_for_login

    require_role(ctx, "admin")
    keys = _read_keys(ctx, args.ssh_key)
    if staff_for_login(args.login) is None:
        raise ValidationError("login", N_("{login} is not an active staff member"), login=args.login)
    _set_keys(ctx, args.login, keys)
    return 0


def run_remove(args: argparse.Namespace, ctx: Context) -> int:
    from cli.ssh_door import set_keys
    from models.admin.settings import deactivate_staff

    acting = require_role(ctx, "admin")
    deactivate_staff(args.login, acting=acting)
    set_keys(args.login, [])
    ctx.print(
        ctx.tr.format(N_("{login} can no longer use Facteur; their SSH keys are removed."), login=args.login)
    )
    return 0


def _read_keys(ctx: Context, given: str) -> list[tuple[str, str]]:
    from cli.doors import refuse_path_through_door
    from cli.ssh_door import parse_public_keys

    refuse_path_through_door(ctx.door, given, "--ssh-key")
    try:
        text = sys.stdin.read() if given == "-" else Path(given).expanduser().read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError(
            "ssh_key",
            N_("cannot read {path}: {reason}"),
            path=given,
            reason=getattr(exc, "strerror", None) or str(exc),
        ) from None
    return parse_public_keys(text)


def _set_keys(ctx: Context, login: str, keys: list[tuple[str, str]]) -> None:
    from cli.ssh_door import authorized_keys_file, set_keys

    set_keys(login, keys)
    ctx.print(
        ctx.tr.nformat(
            "{login} comes in over SSH with {n} key ({path}).",
            "{login} comes in over SSH with {n} keys ({path}).",
            len(keys),
            login=login,
            path=str(authorized_keys_file()),
        )
    )

"""``facteur patient``: list, add and edit patients (the administrative center)."""

from __future__ import annotations

import argparse

from cli.arguments import command_group, count
from cli.context import Context, require_role, require_staff
from locales import N_, Translator


def register(commands: argparse._SubParsersAction, tr: Translator) -> None:
    actions = command_group(commands, "patient", tr.gettext(N_("list, add and edit patients")))

    listing = actions.add_parser("list", help=tr.gettext(N_("patients by name")))
    listing.add_argument(
        "--search", default="", metavar="TEXT", help=tr.gettext(N_("name, email, phone or insurance number"))
    )
    listing.add_argument(
        "--limit", type=count(tr), default=0, metavar="N", help=tr.gettext(N_("at most N patients"))
    )
    listing.add_argument("--json", action="store_true", help=tr.gettext(N_("JSON output")))
    listing.set_defaults(handler=run_list)

    add = actions.add_parser("add", help=tr.gettext(N_("add a patient")))
    _fields(add, tr, required=True)
    add.set_defaults(handler=run_add)

    edit = actions.add_parser(
        "edit", help=tr.gettext(N_("change a patient's record; an empty value clears it"))
    )
    edit.add_argument("id", type=count(tr), metavar="ID", help=tr.gettext(N_("the patient's id")))
    _fields(edit, tr, required=False)
    edit.set_defaults(handler=run_edit)

    consent = actions.add_parser(
        "consent",
        help=tr.gettext(N_("a patient's consents and their history; or record one given or withdrawn")),
    )
    consent.add_argument("id", type=count(tr), metavar="ID", help=tr.gettext(N_("the patient's id")))
    consent.add_argument(
        "channel", nargs="?", metavar="CHANNEL", help=tr.gettext(N_("attachments, sms or email"))
    )
    consent.add_argument("state", nargs="?", metavar="STATE", help=tr.gettext(N_("given or withdrawn")))
    consent.add_argument(
        "--how", default="", metavar="HOW", help=tr.gettext(N_("in_person, form, phone or email"))
    )
    consent.add_argument("--note", default="", metavar="TEXT", help=tr.gettext(N_("a short note")))
    consent.add_argument("--json", action="store_true", help=tr.gettext(N_("JSON output")))
    consent.set_defaults(handler=run_consent)

    links = actions.add_parser(
        "links",
        help=tr.gettext(
            N_("a patient's live download and payment links; or revoke one (through the outbox)")
        ),
    )
    links.add_argument("id", type=count(tr), metavar="ID", help=tr.gettext(N_("the patient's id")))
    links.add_argument(
        "--revoke",
        default="",
        metavar="LINK",
        help=tr.gettext(N_("the link to revoke, as the list names it: download:N or payment:N")),
    )
    links.add_argument("--json", action="store_true", help=tr.gettext(N_("JSON output")))
    links.set_defaults(handler=run_links)


def _fields(parser: argparse.ArgumentParser, tr: Translator, required: bool) -> None:
    parser.add_argument("--last-name", required=required, help=tr.gettext(N_("last name")))
    parser.add_argument("--first-name", required=required, help=tr.gettext(N_("first name")))
    parser.add_argument("--email", help=tr.gettext(N_("email address")))
    parser.add_argument("--phone", help=tr.gettext(N_("cell phone, for PINs by SMS")))
    parser.add_argument("--language", help=tr.gettext(N_("communication language: fr or en")))
    parser.add_argument("--insurance", help=tr.gettext(N_("health insurance number")))
    parser.add_argument(
        "--reminders",
        action=argparse.BooleanOptionalAction,
        default=None,
        help=tr.gettext(N_("receive unpaid reminders")),
    )
    parser.add_argument(
        "--statements",
        action=argparse.BooleanOptionalAction,
        default=None,
        help=tr.gettext(
            N_("receive a statement of account every period instead of reminders (the statement template's)")
        ),
    )
    parser.add_argument(
        "--attachments",
        action=argparse.BooleanOptionalAction,
        default=None,
        help=tr.gettext(N_("consents to invoices attached to plain email")),
    )
    parser.add_argument("--json", action="store_true", help=tr.gettext(N_("JSON output")))


def _input(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from models.people.patients import PatientInput

    return PatientInput(
        last_name=args.last_name,
        first_name=args.first_name,
        email=args.email,
        cell_phone=args.phone,
        language=args.language,
        health_insurance_number=args.insurance,
        receive_reminders=args.reminders,
        receive_statements=args.statements,
        consent_email_attachments=args.attachments,
    )


def run_list(args: argparse.Namespace, ctx: Context) -> int:
    from cli.table import print_table
    from models.people.patients import search_patients
    from models.views.serialize import patient_record

    require_staff(ctx)
    ctx.database()
    patients = search_patients(args.search, limit=args.limit or None)
    if args.json:
        ctx.print_json([patient_record(p) for p in patients])
        return 0
    tr = ctx.tr
    headers = [tr.gettext(h) for h in (N_("Id"), N_("Name"), N_("Email"), N_("Cell phone"), N_("Language"))]
    rows = [
        [str(p.id), f"{p.last_name}, {p.first_name}", p.email or "", p.cell_phone or "", p.language or ""]
        for p in patients
    ]
    print_table(ctx, headers, rows)
    return 0


def _report(ctx: Context, args: argparse.Namespace, patient, message: str) -> int:  # type: ignore[no-untyped-def]
    from models.views.serialize import patient_record

    if args.json:
        ctx.print_json(patient_record(patient))
    else:
        ctx.print(ctx.tr.format(message, id=patient.id, name=patient.full_name))
    return 0


def run_add(args: argparse.Namespace, ctx: Context) -> int:
    from models.people.clinic import get_clinic
    from models.people.patients import add_patient

    staff = require_role(ctx, "billing")
    patient = add_patient(_input(args), get_clinic(), staff=staff)
    return _report(ctx, args, patient, N_("Added patient #{id}, {name}."))


def run_edit(args: argparse.Namespace, ctx: Context) -> int:
    from models.people.clinic import get_clinic
    from models.people.patients import edit_patient

    staff = require_role(ctx, "billing")
    patient = edit_patient(args.id, _input(args), get_clinic(), staff=staff)
    return _report(ctx, args, patient, N_("Updated patient #{id}, {name}."))


def run_consent(args: argparse.Namespace, ctx: Context) -> int:
    """Show the patient's consents (any staff), or record one (billing): ``CHANNEL given|withdrawn --how``."""
    from cli.table import print_table
    from locales import translator
    from locales.formatting import format_datetime
    from models.core.errors import NotFoundError, ValidationError
    from models.core.labels import CONSENT_CHANNEL, CONSENT_METHOD
    from models.people.clinic import get_clinic
    from models.people.consent import WORDING, consent_history, parse_channel, parse_method, record_consent
    from models.people.patient import Patient
    from models.views.serialize import consent_export

    tr = ctx.tr
    if args.channel is not None:
        staff = require_role(ctx, "billing")
        channel = parse_channel(args.channel)
        if args.state not in ("given", "withdrawn"):
            raise ValidationError("state", N_("say whether the consent is given or withdrawn"))
        if not args.how:
            raise ValidationError("method", N_("say how: --how in_person, form, phone or email"))
        record = record_consent(
            args.id, channel, args.state == "given", parse_method(args.how), staff=staff, note=args.note
        )
        if not args.json:  # what the record says the patient was shown, in their language
            reader = translator(Patient.get_by_id(args.id).language or get_clinic().default_language)
            ctx.print(
                tr.format(
                    N_("Wording shown to the patient (version {version}):\n“{text}”"),
                    version=record.wording_version,
                    text=reader.gettext(WORDING[channel].text),
                )
            )
    else:
        require_staff(ctx)
        if args.how or args.note or args.state:
            raise ValidationError("channel", N_("--how and --note record a consent: give CHANNEL and STATE"))
    patient = Patient.get_or_none(Patient.id == args.id)
    if patient is None:
        raise NotFoundError(N_("no patient #{id}"), id=args.id)
    records = consent_history(patient.id)
    if args.json:
        ctx.print_json(consent_export(patient, records))
        return 0
    clinic = get_clinic()
    state = {True: tr.gettext(N_("given")), False: tr.gettext(N_("withdrawn"))}
    columns = (N_("When"), N_("Consent"), N_("State"), N_("How"), N_("By"), N_("Wording"), N_("Note"))
    headers = [tr.gettext(column) for column in columns]
    rows = [
        [
            format_datetime(record.recorded_at, clinic.timezone, tr.language, clinic.country, "short"),
            tr.gettext(CONSENT_CHANNEL[record.channel]),
            state[record.given],
            tr.gettext(CONSENT_METHOD[record.method]),
            record.recorded_by_name or "—",
            record.wording_version or "—",
            record.note,
        ]
        for record in records
    ]
    if rows:
        print_table(ctx, headers, rows)
    else:
        ctx.print(tr.format(N_("No consent recorded for {name}."), name=patient.full_name))
    return 0


def run_links(args: argparse.Namespace, ctx: Context) -> int:
    """List the patient's live links (any staff), or revoke one (billing): ``--revoke download:N``."""
    from datetime import datetime

    from cli.table import print_table
    from locales.formatting import format_datetime
    from models.core.errors import NotFoundError, ValidationError
    from models.links.live_links import LINK_KIND, LinkKind, live_links, revoke_link
    from models.people.clinic import get_clinic
    from models.people.patient import Patient
    from models.views.serialize import live_link_record

    tr = ctx.tr
    staff = require_role(ctx, "billing") if args.revoke else require_staff(ctx)
    patient = Patient.get_or_none(Patient.id == args.id)
    if patient is None:
        raise NotFoundError(N_("no patient #{id}"), id=args.id)
    if args.revoke:
        kind, _, number = args.revoke.partition(":")
        listed = {(link.kind.value, str(link.id)) for link in live_links(patient.id)}
        if (kind, number) not in listed:
            raise ValidationError(
                "revoke",
                N_("{link} is not one of {name}’s live links"),
                link=args.revoke,
                name=patient.full_name,
            )
        task = revoke_link(LinkKind(kind), int(number), staff=staff)
        if not args.json:
            ctx.print(
                tr.format(
                    N_(
                        "Revocation queued (outbox #{id}): the agent closes the link as soon as it is online."
                    ),
                    id=task.id,
                )
            )
    links = live_links(patient.id)
    if args.json:
        ctx.print_json([live_link_record(link) for link in links])
        return 0
    if not links:
        ctx.print(tr.format(N_("{name} has no live links."), name=patient.full_name))
        return 0
    clinic = get_clinic()

    def when(value: datetime | None) -> str:
        return format_datetime(value, clinic.timezone, tr.language, clinic.country, "short") if value else "—"

    columns = (N_("Link"), N_("Kind"), N_("Document"), N_("Sent"), N_("To"), N_("Opened"), N_("Expires"))
    rows = [
        [
            f"{link.kind.value}:{link.id}",
            tr.gettext(LINK_KIND[link.kind]),
            link.document,
            when(link.sent_at),
            link.sent_to or "—",
            "—" if link.opened < 0 else str(link.opened),
            when(link.expires_at) + (" ⌛" if link.revoking else ""),
        ]
        for link in links
    ]
    print_table(ctx, [tr.gettext(column) for column in columns], rows)
    return 0

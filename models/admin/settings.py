"""What an admin changes in Settings: the clinic, its billing companies and its staff.

Every write validates with ``models.core.validation`` and raises ``ValidationError`` naming the
refused field, before anything is written. Each takes the acting staff member and refuses
anyone who is not an admin (``SettingsRefused``), so a forced call gets the reason too.
Staff rules: an admin cannot take away their own admin role nor deactivate themselves, and
the clinic always keeps at least one active admin.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial

import phonenumbers

from locales import N_
from models.billing.credit_notes import CreditNote, credit_prefix
from models.billing.invoice import Invoice
from models.billing.swiss_bill import creditor_checks
from models.core.config import Config
from models.core.enums import PinMode, ReceiptPolicy, Role
from models.core.errors import (
    ConfigError,
    FacteurError,
    FieldErrors,
    NotFoundError,
    ValidationError,
    check_fields,
)
from models.core.stripe_keys import KEY_FIELDS, KeyRole, stripe_keys, validate_key
from models.core.validation import (
    optional,
    validate_currency,
    validate_email,
    validate_language,
    validate_login,
    validate_name,
    validate_number_prefix,
    validate_roles,
    validate_stripe_account_id,
    validate_timezone,
)
from models.database.db import db, serialize_writers
from models.messaging.sending_window import format_days, format_time, parse_window
from models.people.clinic import BillingCompany, Clinic, Staff, get_clinic
from models.people.staff_members import add_staff

MAX_PAYMENT_TERMS_DAYS = 365
MIN_LINK_DAYS, MAX_LINK_DAYS = 1, 30


class SettingsRefused(FacteurError):
    """The acting staff member may not change settings, or the change would break a staff rule."""


@dataclass(frozen=True)
class ClinicInput:
    name: str
    address: str
    timezone: str
    default_language: str
    payment_terms_days: str
    # secure delivery (None leaves a value as it is)
    phone: str | None = None
    email: str | None = None
    link_days: str | None = None
    default_pin_mode: str | None = None
    receipts: str | None = None  # ReceiptPolicy: which payments get the patient a receipt
    # the sending window (models.messaging.sending_window); None leaves it as it is
    send_opens: str | None = None
    send_closes: str | None = None
    send_days: str | None = None
    holiday_calendar: str | None = None


@dataclass(frozen=True)
class CompanyInput:
    name: str
    address: str
    currency: str
    number_prefix: str
    stripe_account_id: str
    active: bool = True
    credit_prefix: str | None = None  # "": the invoice prefix and -NC; None leaves it as it is
    # the Swiss QR-bill's creditor (models.billing.swiss_bill); None leaves a value as it is
    qr_account: str | None = None
    qr_reference: str | None = None  # SwissReference
    qr_street: str | None = None
    qr_house_number: str | None = None
    qr_postal_code: str | None = None
    qr_city: str | None = None
    qr_country: str | None = None


QR_FIELDS = (
    "qr_account",
    "qr_reference",
    "qr_street",
    "qr_house_number",
    "qr_postal_code",
    "qr_city",
    "qr_country",
)


@dataclass(frozen=True)
class StaffInput:
    display_name: str
    roles: Iterable[str]
    language: str
    active: bool = True


def require_admin(acting: Staff) -> None:
    """Refuse, with the reason, anyone who is not an active admin."""
    fresh = Staff.get_or_none(Staff.id == acting.id)
    if fresh is None or not fresh.active or not fresh.has_role(Role.ADMIN):
        raise SettingsRefused(
            N_("{name} is not an admin: only admins change settings"), name=acting.display_name
        )


def _address(value: str) -> str:
    return "\n".join(line.strip() for line in value.strip().splitlines()).strip()


def validate_payment_terms(value: str | int) -> int:
    """Days from issue to due date, 0 (due on receipt) to 365."""
    text = str(value).strip()
    if not text:
        raise ValidationError("payment_terms_days", N_("this field is required"))
    if not text.isdigit() or int(text) > MAX_PAYMENT_TERMS_DAYS:
        raise ValidationError(
            "payment_terms_days",
            N_("{value} is not a number of days from 0 to {max}"),
            value=text,
            max=MAX_PAYMENT_TERMS_DAYS,
        )
    return int(text)


def validate_link_days(value: str | int) -> int:
    """How many days a download link lives: 1 to 30."""
    text = str(value).strip()
    if not text:
        raise ValidationError("link_days", N_("this field is required"))
    if not text.isdigit() or not MIN_LINK_DAYS <= int(text) <= MAX_LINK_DAYS:
        raise ValidationError(
            "link_days",
            N_("{value} is not a number of days from {min} to {max}"),
            value=text,
            min=MIN_LINK_DAYS,
            max=MAX_LINK_DAYS,
        )
    return int(text)


def validate_clinic_phone(value: str, country: str) -> str:
    """The number patients call (any kind of line), in E.164; blank for none."""
    text = value.strip()
    if not text:
        return ""
    try:
        number = phonenumbers.parse(text, country.strip().upper() or None)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValidationError(
            "phone",
            N_("{value} is not a valid phone number (from abroad: + and the country code first)"),
            value=text,
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _pin_mode(value: str) -> str:
    try:
        return PinMode(value.strip().lower()).value
    except ValueError:
        raise ValidationError(
            "default_pin_mode",
            N_("{value} is not a PIN mode; expected sms, institution or none"),
            value=value,
        ) from None


def _receipts(value: str) -> str:
    try:
        return ReceiptPolicy(value.strip().lower()).value
    except ValueError:
        raise ValidationError(
            "receipts", N_("{value} is not a choice of receipts; expected online, all or none"), value=value
        ) from None


def update_clinic(data: ClinicInput, *, acting: Staff) -> Clinic:
    """Save the clinic's name, address, time zone, default language and payment terms, and
    (when given) its phone and email for patients, link days and default PIN mode."""
    require_admin(acting)
    country = get_clinic().country
    checks: dict[str, Callable[[], object]] = {
        "name": lambda: validate_name(data.name, "name", max_length=200),
        "address": lambda: _address(data.address),
        "timezone": lambda: validate_timezone(data.timezone),
        "default_language": lambda: validate_language(data.default_language, "default_language"),
        "payment_terms_days": lambda: validate_payment_terms(data.payment_terms_days),
    }
    if data.phone is not None:
        checks["phone"] = lambda: validate_clinic_phone(data.phone or "", country)
    if data.email is not None:
        checks["email"] = lambda: optional(validate_email)(data.email) or ""
    if data.link_days is not None:
        checks["link_days"] = lambda: validate_link_days(data.link_days or "")
    if data.default_pin_mode is not None:
        checks["default_pin_mode"] = lambda: _pin_mode(data.default_pin_mode or "")
    if data.receipts is not None:
        checks["receipts"] = lambda: _receipts(data.receipts or "")
    errors: list[ValidationError] = []
    try:
        values = check_fields(checks)
    except FieldErrors as exc:
        values, errors = {}, list(exc.errors)
    window = _window_values(data, get_clinic(), errors)
    if errors:
        raise FieldErrors(errors)
    values.update(window)
    with db.atomic():
        clinic = get_clinic()
        Clinic.update(**values).where(Clinic.id == clinic.id).execute()
        return Clinic.get_by_id(clinic.id)


# the sending window's fields as ``parse_window`` names them, and as the clinic's columns
_WINDOW_FIELDS = {
    "opens": "send_opens",
    "closes": "send_closes",
    "days": "send_days",
    "calendar": "holiday_calendar",
}


def _window_values(data: ClinicInput, clinic: Clinic, errors: list[ValidationError]) -> dict[str, object]:
    """The sending window's columns as typed (a field left out: as saved), checked together; each
    refusal joins ``errors`` under its column's name."""
    typed = {column: getattr(data, column) for column in _WINDOW_FIELDS.values()}
    if all(value is None for value in typed.values()):
        return {}
    text = {
        column: str(getattr(clinic, column) if value is None else value) for column, value in typed.items()
    }
    try:
        window = parse_window(
            text["send_opens"],
            text["send_closes"],
            text["send_days"],
            text["holiday_calendar"],
            data.timezone,
        )
    except FieldErrors as exc:
        errors.extend(_renamed(error) for error in exc.errors if error.field != "timezone")
        return {}
    except ValidationError as exc:
        if exc.field != "timezone":  # the time zone has its own check
            errors.append(_renamed(exc))
        return {}
    return {
        "send_opens": format_time(window.opens),
        "send_closes": format_time(window.closes, closing=True),
        "send_days": format_days(window.days),
        "holiday_calendar": window.calendar,
    }


def _renamed(error: ValidationError) -> ValidationError:
    return ValidationError(_WINDOW_FIELDS.get(error.field, error.field), error.message, **error.params)


def _company_values(data: CompanyInput, current: BillingCompany | None = None) -> dict[str, object]:
    """The company's values, every field checked; its QR-bill creditor as typed, else as ``current``
    has it (a new company's: none)."""
    creditor = {name: _creditor_value(data, current, name) for name in QR_FIELDS}
    return check_fields(
        {
            "name": lambda: validate_name(data.name, "name", max_length=200),
            "address": lambda: _address(data.address),
            "currency": lambda: validate_currency(data.currency),
            "number_prefix": lambda: validate_number_prefix(data.number_prefix),
            "credit_prefix": lambda: _credit_prefix(data.credit_prefix, current),
            "stripe_account_id": lambda: optional(validate_stripe_account_id)(data.stripe_account_id),
            "active": lambda: bool(data.active),
            **creditor_checks(
                account=creditor["qr_account"],
                reference=creditor["qr_reference"],
                street=creditor["qr_street"],
                house_number=creditor["qr_house_number"],
                postal_code=creditor["qr_postal_code"],
                city=creditor["qr_city"],
                country=creditor["qr_country"],
            ),
        }
    )


def _creditor_value(data: CompanyInput, current: BillingCompany | None, name: str) -> str:
    typed = getattr(data, name)
    if typed is not None:
        return str(typed)
    if current is not None:
        return str(getattr(current, name))
    return str(getattr(BillingCompany, name).default)


def _check_prefix_free(prefix: str, company_id: int | None) -> None:
    query = BillingCompany.select().where(BillingCompany.number_prefix == prefix)
    if company_id is not None:
        query = query.where(BillingCompany.id != company_id)
    other = query.first()
    if other is not None:
        raise ValidationError(
            "number_prefix",
            N_("{prefix} is already the prefix of {company}"),
            prefix=prefix,
            company=other.name,
        )


def prefix_in_use(company_id: int) -> bool:
    """Whether invoices were numbered with this company's prefix (it can no longer change)."""
    return (
        Invoice.select()
        .where((Invoice.billing_company == company_id) & Invoice.number.is_null(False))
        .exists()
    )


def credit_prefix_in_use(company_id: int) -> bool:
    """Whether the company issued a credit note (its credit note prefix can no longer change)."""
    return CreditNote.select().where(CreditNote.billing_company == company_id).exists()


def _credit_prefix(value: str | None, current: BillingCompany | None) -> str:
    """A credit note prefix as typed: empty for the default (the invoice prefix and -NC), else by
    the invoice prefix's rules; None keeps the company's."""
    if value is None:
        return current.credit_prefix if current is not None else ""
    if not value.strip():
        return ""
    try:
        return validate_number_prefix(value)
    except ValidationError as exc:
        raise ValidationError("credit_prefix", exc.message, **exc.params) from None


def _check_credit_prefix(number_prefix: str, chosen: str, company: BillingCompany | None) -> None:
    """Credit notes keep the prefix they were numbered with, and no prefix names two series: the
    company's credit note prefix (as chosen, else its default) is no company's invoice prefix nor
    another's credit note prefix, and its invoice prefix is no other company's credit note prefix."""
    if company is not None and chosen != company.credit_prefix and credit_prefix_in_use(company.id):
        raise ValidationError(
            "credit_prefix",
            N_("credit notes were already numbered with {prefix}; the prefix can no longer change"),
            prefix=credit_prefix(company),
        )
    if chosen == number_prefix:
        raise ValidationError(
            "credit_prefix", N_("the credit note prefix must differ from the invoice prefix")
        )
    mine = chosen or f"{number_prefix}-NC"
    others = BillingCompany.select()
    if company is not None:
        others = others.where(BillingCompany.id != company.id)
    for other in others:
        if mine in (other.number_prefix, credit_prefix(other)):
            raise ValidationError(
                "credit_prefix", N_("{prefix} is already used by {company}"), prefix=mine, company=other.name
            )
        if number_prefix == credit_prefix(other):
            raise ValidationError(
                "number_prefix",
                N_("{prefix} is already the credit note prefix of {company}"),
                prefix=number_prefix,
                company=other.name,
            )


def add_billing_company(data: CompanyInput, *, acting: Staff) -> BillingCompany:
    require_admin(acting)
    values = _company_values(data)
    with db.atomic():
        _check_prefix_free(str(values["number_prefix"]), None)
        _check_credit_prefix(str(values["number_prefix"]), str(values["credit_prefix"]), None)
        return BillingCompany.create(clinic=get_clinic(), **values)


KEY_NEEDS_ACCOUNT = N_("a key needs the company's Stripe account id (acct_…) first")


def validate_stripe_keys(keys: dict[KeyRole, str], account: str) -> dict[KeyRole, str]:
    """The keys typed (empty ones left out), each of a Stripe key's shape, and an account to name
    them by; ``FieldErrors`` naming every field that is not. Checked before anything is saved."""
    typed = {role: key.strip() for role, key in keys.items() if key.strip()}
    checks: dict[str, Callable[[], object]] = {
        KEY_FIELDS[role]: partial(validate_key, key, KEY_FIELDS[role], restricted=role is KeyRole.PORTAL)
        for role, key in typed.items()
    }
    check_fields(checks)
    if typed and not account.strip():
        raise ValidationError("stripe_account_id", KEY_NEEDS_ACCOUNT)
    return typed


def save_stripe_keys(
    config: Config, account: str, keys: dict[KeyRole, str], *, acting: Staff
) -> list[KeyRole]:
    """Keep the company's Stripe keys typed in Settings (empty: the kept one stays) in owner-only
    files, never the database; each checked for its shape first, so a refusal writes none. The
    roles written."""
    require_admin(acting)
    typed = validate_stripe_keys(keys, account)
    for role, key in typed.items():
        try:
            stripe_keys(config, role).write(account, key)
        except OSError as exc:  # a keys folder this account cannot write: said, not a crash
            raise ConfigError(
                N_("the Stripe key could not be written in {folder}: {reason}"),
                folder=str(config.resolve(config.stripe.keys_dir)),
                reason=exc.strerror or str(exc),
            ) from exc
    return list(typed)


def edit_billing_company(company_id: int, data: CompanyInput, *, acting: Staff) -> BillingCompany:
    """Save a company; its prefix cannot change once invoices carry it (numbers stay unique and gapless)."""
    require_admin(acting)
    with db.atomic():
        company = BillingCompany.get_or_none(BillingCompany.id == company_id)
        if company is None:
            raise NotFoundError(N_("billing company #{id} does not exist"), id=company_id)
        values = _company_values(data, company)
        prefix = str(values["number_prefix"])
        if prefix != company.number_prefix:
            if prefix_in_use(company_id):
                raise ValidationError(
                    "number_prefix",
                    N_("invoices were already numbered with {prefix}; the prefix can no longer change"),
                    prefix=company.number_prefix,
                )
            _check_prefix_free(prefix, company_id)
        _check_credit_prefix(prefix, str(values["credit_prefix"]), company)
        BillingCompany.update(**values).where(BillingCompany.id == company_id).execute()
        return BillingCompany.get_by_id(company_id)


def add_staff_member(login: str, data: StaffInput, *, acting: Staff) -> Staff:
    require_admin(acting)
    values = check_fields(
        {
            "login": lambda: validate_login(login),
            "display_name": lambda: validate_name(data.display_name, "display_name", max_length=200),
            "roles": lambda: validate_roles(data.roles),
            "language": lambda: validate_language(data.language),
        }
    )
    return add_staff(
        str(values["login"]), str(values["display_name"]), str(values["roles"]), str(values["language"])
    )


def _other_active_admins(staff_id: int) -> int:
    return (
        Staff.select()
        .where(
            (Staff.id != staff_id)
            & (Staff.active == True)  # noqa: E712
            & (Staff.roles.contains(Role.ADMIN.value))
        )
        .count()
    )


def deactivate_staff(login: str, *, acting: Staff | None) -> Staff:
    """Take a staff member's access away (``facteur staff remove``), with the rules of the TUI's
    form: never the last admin, never oneself. ``acting`` None: the system (root, the owner)."""
    staff = Staff.get_or_none(Staff.login == login)
    if staff is None:
        raise NotFoundError(N_("{login} is not a staff member"), login=login)
    data = StaffInput(staff.display_name, staff.roles.split(","), staff.language, active=False)
    return edit_staff(staff.id, data, acting=acting)


def edit_staff(staff_id: int, data: StaffInput, *, acting: Staff | None) -> Staff:
    """Save a staff member's name, roles, language and whether they may log in. ``acting`` None:
    the system itself (root, or the data's owner), which no admin rule binds."""
    if acting is not None:
        require_admin(acting)
    values = check_fields(
        {
            "display_name": lambda: validate_name(data.display_name, "display_name", max_length=200),
            "roles": lambda: validate_roles(data.roles),
            "language": lambda: validate_language(data.language),
            "active": lambda: bool(data.active),
        }
    )
    keeps_admin = Role.ADMIN.value in str(values["roles"]).split(",") and bool(values["active"])
    with db.atomic():
        serialize_writers("staff")  # two admins demoting each other at once leave one admin
        staff = Staff.get_or_none(Staff.id == staff_id)
        if staff is None:
            raise NotFoundError(N_("staff member #{id} does not exist"), id=staff_id)
        was_admin = staff.active and staff.has_role(Role.ADMIN)
        field = "roles" if values["active"] else "active"
        # The last admin first: it says what to do, whoever is acting.
        if was_admin and not keeps_admin and _other_active_admins(staff_id) == 0:
            raise ValidationError(
                field,
                N_("{name} is the last admin; make someone else an admin first"),
                name=staff.display_name,
            )
        myself = acting is not None and staff.id == acting.id
        if myself and not values["active"]:
            raise ValidationError("active", N_("you cannot deactivate yourself; another admin can"))
        if myself and not keeps_admin:
            raise ValidationError("roles", N_("you cannot remove your own admin role; another admin can"))
        Staff.update(**values).where(Staff.id == staff_id).execute()
        return Staff.get_by_id(staff_id)


def list_companies() -> list[BillingCompany]:
    """Every billing company, active ones first, by name (a clinic has a handful)."""
    return list(BillingCompany.select().order_by(BillingCompany.active.desc(), BillingCompany.name))


def list_staff() -> list[Staff]:
    """Every staff member, active ones first, by display name."""
    return list(Staff.select().order_by(Staff.active.desc(), Staff.display_name))

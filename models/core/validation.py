"""Validation of every field a person types: each validator returns the normalized value.

A refused value raises ``ValidationError(field, msgid, **params)``; the msgid is translated
where a person reads it. Empty input is refused everywhere: wrap a validator in
``optional`` where the field may be left blank.
"""

from __future__ import annotations

import functools
import re
import unicodedata
import zoneinfo
from collections.abc import Callable, Iterable
from typing import Concatenate, ParamSpec

import email_validator
import phonenumbers
from babel import Locale
from babel.numbers import list_currencies

from locales import N_, normalize_language
from models.core.enums import Role
from models.core.errors import ValidationError
from models.core.text import fold

P = ParamSpec("P")

REQUIRED = N_("this field is required")


def blank_to_none(value: str | None) -> str | None:
    """``None`` for ``None`` or whitespace only, else the stripped value."""
    if value is None:
        return None
    return value.strip() or None


def optional(
    validator: Callable[Concatenate[str, P], str],
) -> Callable[Concatenate[str | None, P], str | None]:
    """``validator`` that lets a blank value through as ``None``."""

    @functools.wraps(validator)
    def validate(value: str | None, /, *args: P.args, **kwargs: P.kwargs) -> str | None:
        text = blank_to_none(value)
        return None if text is None else validator(text, *args, **kwargs)

    return validate


def _required(value: str, field: str) -> str:
    text = value.strip()
    if not text:
        raise ValidationError(field, REQUIRED)
    return text


def validate_email(value: str, field: str = "email") -> str:
    """The address as email-validator normalizes it; the domain is not looked up."""
    text = _required(value, field)
    try:
        result = email_validator.validate_email(text, check_deliverability=False)
    except email_validator.EmailNotValidError as exc:
        raise ValidationError(
            field, N_("{value} is not a valid email address: {reason}"), value=text, reason=str(exc)
        ) from None
    return str(result.normalized)


# Types that can receive a text message; FIXED_LINE (a French 01 number) cannot.
SMS_NUMBER_TYPES = frozenset(
    {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}
)


def validate_cell_phone(value: str, region: str = "CA", field: str = "cell_phone") -> str:
    """A number that can receive SMS, in E.164; ``region`` (ISO alpha-2) is for numbers typed without +."""
    text = _required(value, field)
    try:
        number = phonenumbers.parse(text, region.strip().upper() or None)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValidationError(
            field,
            N_("{value} is not a valid phone number (from abroad: + and the country code first)"),
            value=text,
        )
    if number.extension:
        raise ValidationError(field, N_("{value} has an extension; a cell phone number has none"), value=text)
    if phonenumbers.number_type(number) not in SMS_NUMBER_TYPES:
        raise ValidationError(
            field, N_("{value} cannot receive text messages; enter a cell phone number"), value=text
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


_LANGUAGE_NAMES = {
    "francais": "fr",
    "french": "fr",
    "fra": "fr",
    "fre": "fr",
    "english": "en",
    "anglais": "en",
    "eng": "en",
}


def validate_language(value: str, field: str = "language") -> str:
    """``"fr"`` or ``"en"``, from a code (``"FR"``, ``"fr_CA"``) or a name (``"Français"``, ``"English"``)."""
    text = _required(value, field)
    folded = fold(text)
    code = _LANGUAGE_NAMES.get(folded) or normalize_language(folded)
    if code is None:
        raise ValidationError(
            field, N_("{value} is not a supported language; expected French (fr) or English (en)"), value=text
        )
    return code


# Health insurance numbers. Messages do not repeat the number: the person sees what they typed.

INSURANCE_FIELD = "health_insurance_number"
_SEPARATORS = re.compile(r"[\s.\-]+")
CHECK_FAILED = N_("this number is not valid: its check digits do not match; please check it again")


def _compact(value: str) -> str:
    return _SEPARATORS.sub("", value).upper()


def _luhn_ok(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = int(char)
        if position % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def _ramq(number: str) -> str:
    match = re.fullmatch(r"[A-Z]{4}([0-9]{2})([0-9]{2})([0-9]{2})[0-9]{2}", number)
    if match is None:
        raise ValidationError(INSURANCE_FIELD, N_("expected 4 letters and 8 digits, as on the RAMQ card"))
    month, day = int(match[2]), int(match[3])
    if not (1 <= month <= 12 or 51 <= month <= 62) or not 1 <= day <= 31:
        raise ValidationError(
            INSURANCE_FIELD, N_("the 6 digits after the letters must be a birth date: year, month, day")
        )
    return number


def _ohip(number: str) -> str:
    match = re.fullmatch(r"([0-9]{10})(?:[A-Z]{2})?", number)
    if match is None:
        raise ValidationError(
            INSURANCE_FIELD,
            N_("expected 10 digits and an optional 2-letter version code, as on the OHIP card"),
        )
    if not _luhn_ok(match[1]):
        raise ValidationError(INSURANCE_FIELD, CHECK_FAILED)
    return number


def _nir(number: str) -> str:
    """France: 13 characters (2A/2B for Corsica) and an optional key, 97 - (number mod 97)."""
    match = re.fullmatch(r"([0-9]{5}(?:[0-9]{2}|2A|2B)[0-9]{6})([0-9]{2})?", number)
    if match is None:
        raise ValidationError(
            INSURANCE_FIELD, N_("expected 13 digits and an optional 2-digit key, as on the carte Vitale")
        )
    body, key = match[1], match[2]
    if key is not None:
        # Corsica's 2A and 2B count as 19 and 18; letters cannot appear anywhere else.
        numeric = int(body.replace("2A", "19").replace("2B", "18"))
        if 97 - numeric % 97 != int(key):
            raise ValidationError(INSURANCE_FIELD, CHECK_FAILED)
    return number


def _avs(number: str) -> str:
    """Switzerland: 756 and 10 digits, the last an EAN-13 check digit; shown as 756.XXXX.XXXX.XX."""
    if re.fullmatch(r"756[0-9]{10}", number) is None:
        raise ValidationError(INSURANCE_FIELD, N_("expected 13 digits starting with 756, as on the AVS card"))
    total = sum(int(char) * (3 if position % 2 else 1) for position, char in enumerate(number[:12]))
    if (10 - total % 10) % 10 != int(number[12]):
        raise ValidationError(INSURANCE_FIELD, CHECK_FAILED)
    return f"{number[:3]}.{number[3:7]}.{number[7:11]}.{number[11:]}"


def _niss(number: str) -> str:
    """Belgium: 11 digits; the last 2 are 97 - (first 9 mod 97), with a 2 in front for births from 2000."""
    if re.fullmatch(r"[0-9]{11}", number) is None:
        raise ValidationError(INSURANCE_FIELD, N_("expected the 11 digits of the national register number"))
    base, key = number[:9], int(number[9:])
    if key not in (97 - int(base) % 97, 97 - int("2" + base) % 97):
        raise ValidationError(INSURANCE_FIELD, CHECK_FAILED)
    return number


def _alphanumeric(number: str, shortest: int, longest: int) -> str:
    if re.fullmatch(rf"[A-Z0-9]{{{shortest},{longest}}}", number) is None:
        raise ValidationError(
            INSURANCE_FIELD, N_("expected {min} to {max} letters and digits"), min=shortest, max=longest
        )
    return number


def validate_insurance_number(value: str, country: str, region: str = "") -> str:
    """The health insurance number in its compact form, checked by the clinic's country and region.

    Spaces, dashes and dots are dropped and letters upper-cased; a Swiss AVS number comes
    back formatted (756.XXXX.XXXX.XX).
    """
    number = _compact(_required(value, INSURANCE_FIELD))
    country = country.strip().upper()
    region = region.strip().upper().removeprefix(f"{country}-")
    if country == "CA":
        if region == "QC":
            return _ramq(number)
        if region == "ON":
            return _ohip(number)
        return _alphanumeric(number, 6, 15)
    checks: dict[str, Callable[[str], str]] = {"FR": _nir, "CH": _avs, "BE": _niss}
    check = checks.get(country)
    return check(number) if check else _alphanumeric(number, 6, 20)


# Reference codes.

# Babel territories that are groupings or placeholders, not places a clinic can be.
_NOT_COUNTRIES = frozenset({"EU", "EZ", "QO", "UN", "XA", "XB", "ZZ"})
# Files zoneinfo may list from the system database that are not zone names.
_NOT_ZONES = frozenset({"Factory", "localtime", "posixrules"})


@functools.cache
def _countries() -> frozenset[str]:
    codes = {str(code) for code in Locale("en").territories}
    return frozenset(code for code in codes if re.fullmatch("[A-Z]{2}", code)) - _NOT_COUNTRIES


@functools.cache
def _timezones() -> dict[str, str]:
    return {name.casefold(): name for name in zoneinfo.available_timezones() - _NOT_ZONES}


def validate_currency(value: str) -> str:
    """An ISO 4217 code Babel knows, upper-cased."""
    code = _required(value, "currency").upper()
    if code not in list_currencies():
        raise ValidationError("currency", N_("{value} is not a known currency code, e.g. CAD"), value=code)
    return code


def validate_country(value: str) -> str:
    """An ISO 3166 alpha-2 country code Babel knows, upper-cased."""
    code = _required(value, "country").upper()
    if code not in _countries():
        raise ValidationError(
            "country", N_("{value} is not a known two-letter country code, e.g. CA"), value=code
        )
    return code


def validate_timezone(value: str) -> str:
    """An IANA time zone name, in its canonical case (``america/montreal`` -> ``America/Montreal``)."""
    text = _required(value, "timezone")
    name = _timezones().get(text.casefold())
    if name is not None:
        try:
            zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
            name = None
    if name is None:
        raise ValidationError(
            "timezone", N_("{value} is not a known time zone, e.g. America/Toronto"), value=text
        )
    return name


def validate_number_prefix(value: str) -> str:
    """An invoice number prefix: 1 to 12 capital letters, digits and dashes, not ending with a dash."""
    prefix = _required(value, "number_prefix").upper()
    if re.fullmatch(r"[A-Z0-9-]{0,11}[A-Z0-9]", prefix) is None:
        raise ValidationError(
            "number_prefix", N_("expected 1 to 12 capital letters, digits or dashes, not ending with a dash")
        )
    return prefix


def validate_stripe_account_id(value: str) -> str:
    """A Stripe connected account id, ``acct_`` and 8 to 64 letters and digits (case kept)."""
    text = _required(value, "stripe_account_id")
    if re.fullmatch(r"acct_[A-Za-z0-9]{8,64}", text) is None:
        raise ValidationError(
            "stripe_account_id",
            N_("{value} is not a Stripe account id: expected acct_ and 8 to 64 letters and digits"),
            value=text,
        )
    return text


def validate_login(value: str) -> str:
    """A Unix user name, as staff log in over SSH."""
    text = _required(value, "login")
    if re.fullmatch(r"[a-z_][a-z0-9_.-]{0,31}", text) is None:
        raise ValidationError(
            "login",
            N_(
                "{value} is not a valid login: up to 32 lower-case letters, digits, _, . or -, "
                "starting with a letter or _"
            ),
            value=text,
        )
    return text


_ROLE_VALUES = frozenset(role.value for role in Role)


def validate_roles(value: str | Iterable[str]) -> str:
    """Roles from ``"billing, admin"`` or a list, as stored: comma-joined in ``Role`` order."""
    items = (
        value.split(",") if isinstance(value, str) else [part for item in value for part in item.split(",")]
    )
    chosen: set[str] = set()
    for item in items:
        role = item.strip().lower()
        if not role:
            continue
        if role not in _ROLE_VALUES:
            raise ValidationError(
                "roles", N_("{value} is not a role; expected admin, billing or provider"), value=item.strip()
            )
        chosen.add(role)
    if not chosen:
        raise ValidationError("roles", N_("choose at least one role"))
    return ",".join(role.value for role in Role if role.value in chosen)


# Control characters, line and paragraph separators, and lone surrogates (which cannot be stored).
_FORBIDDEN_IN_NAMES = frozenset({"Cc", "Cs", "Zl", "Zp"})
# the bidi embeddings, overrides and isolates: invisible, they reorder what a reader sees (U+202E
# before "fdp.exe" shows "exe.pdf"), in a name, a message, a template or an email's header
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def check_plain_text(text: str, field: str) -> None:
    """Refuse what a person reading ``text`` would not see: control characters other than line
    breaks and tabs, and bidi overrides (a free text: a personal message, a template's wording)."""
    for char in text:
        if char in BIDI_CONTROLS:
            raise ValidationError(
                field,
                N_("remove the invisible characters that reverse the text (U+{code:04X})"),
                code=ord(char),
            )
        if unicodedata.category(char) in ("Cc", "Cs") and char not in "\n\r\t":
            raise ValidationError(
                field, N_("remove the invisible control character (U+{code:04X})"), code=ord(char)
            )


def validate_name(value: str, field: str, max_length: int = 100) -> str:
    """A name as typed, NFC-normalized, spaces collapsed; ``field`` names the field in the error."""
    text = value.strip()
    if any(unicodedata.category(char) in _FORBIDDEN_IN_NAMES for char in text):
        raise ValidationError(field, N_("remove the control characters (tabs, line breaks) from this name"))
    check_plain_text(text, field)  # the bidi overrides
    name = " ".join(unicodedata.normalize("NFC", text).split())
    if not name:
        raise ValidationError(field, REQUIRED)
    if len(name) > max_length:
        raise ValidationError(
            field,
            N_("this name is {length} characters long; the maximum is {max}"),
            length=len(name),
            max=max_length,
        )
    return name

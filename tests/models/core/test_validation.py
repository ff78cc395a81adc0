"""Tests for models.core.validation: good and bad values for every field a person types."""

from __future__ import annotations

import string
from collections.abc import Callable

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.core.errors import ValidationError
from models.core.validation import (
    blank_to_none,
    optional,
    validate_cell_phone,
    validate_country,
    validate_currency,
    validate_email,
    validate_insurance_number,
    validate_language,
    validate_login,
    validate_name,
    validate_number_prefix,
    validate_roles,
    validate_stripe_account_id,
    validate_timezone,
)

INSURANCE = "health_insurance_number"


def refused(func: Callable[..., object], *args: object, **kwargs: object) -> ValidationError:
    """Call ``func`` expecting a ValidationError; return it for the field and message checks."""
    with pytest.raises(ValidationError) as info:
        func(*args, **kwargs)
    error = info.value
    assert str(error)  # the placeholders are all filled
    return error


# --- blank_to_none and optional -------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [(None, None), ("", None), ("  \t", None), (" a ", "a")])
def test_blank_to_none(value: str | None, expected: str | None) -> None:
    assert blank_to_none(value) == expected


def test_optional_lets_blank_through_and_validates_the_rest() -> None:
    optional_email = optional(validate_email)
    assert optional_email(None) is None
    assert optional_email("   ") is None
    assert optional_email(" a@example.com ") == "a@example.com"
    assert refused(optional_email, "nope").field == "email"


def test_optional_passes_extra_arguments() -> None:
    assert optional(validate_cell_phone)("06 12 34 56 78", "FR") == "+33612345678"
    assert optional(validate_name)("", "first_name") is None
    assert refused(optional(validate_name), "a\tb", "first_name").field == "first_name"


# --- email ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("jean.tremblay@example.com", "jean.tremblay@example.com"),
        ("  Jean.Tremblay@EXAMPLE.COM ", "Jean.Tremblay@example.com"),
        ("élise@exemple.fr", "élise@exemple.fr"),
        ("a+factures@clinique.qc.ca", "a+factures@clinique.qc.ca"),
    ],
)
def test_email_good(value: str, expected: str) -> None:
    assert validate_email(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "",
        "   ",
        "jean",
        "jean@",
        "@example.com",
        "a@b@example.com",
        "a b@example.com",
    ],
)
def test_email_bad(value: str) -> None:
    error = refused(validate_email, value)
    assert error.field == "email"
    if value.strip():
        assert error.params["value"] == value.strip()
        assert error.params["reason"]


def test_email_names_the_callers_field() -> None:
    assert refused(validate_email, "x", field="billed_to_email").field == "billed_to_email"


# --- cell phone -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "region", "expected"),
    [
        ("514-555-1234", "CA", "+15145551234"),
        ("(514) 555-1234", "CA", "+15145551234"),
        ("514.555.1234", "CA", "+15145551234"),
        ("1-514-555-1234", "CA", "+15145551234"),
        ("+1 514 555 1234", "CA", "+15145551234"),
        ("  5145551234 ", "CA", "+15145551234"),
        ("+1 201 555 0123", "CA", "+12015550123"),  # a US cell, for a Canadian clinic
        ("06 12 34 56 78", "FR", "+33612345678"),
        ("+33 6 12 34 56 78", "CA", "+33612345678"),
        ("079 123 45 67", "CH", "+41791234567"),
        ("0470 12 34 56", "BE", "+32470123456"),
        ("5145551234", "ca", "+15145551234"),
    ],
)
def test_cell_phone_good(value: str, region: str, expected: str) -> None:
    assert validate_cell_phone(value, region) == expected


@pytest.mark.parametrize(
    ("value", "region"),
    [
        ("", "CA"),
        ("bonjour", "CA"),
        ("555-1234", "CA"),  # no area code
        ("514-555-12345678", "CA"),
        ("+999 123 456", "CA"),
        ("06 12 34 56 78", ""),  # no region, no +
        ("01 42 68 53 00", "FR"),  # a Paris landline
        ("044 668 18 00", "CH"),  # a Zürich landline
        ("020 7946 0000", "GB"),  # a London landline
        ("1-800-263-1234", "CA"),  # toll free
        ("514 555 1234 ext. 12", "CA"),
    ],
)
def test_cell_phone_bad(value: str, region: str) -> None:
    assert refused(validate_cell_phone, value, region).field == "cell_phone"


def test_cell_phone_landline_message_says_why() -> None:
    error = refused(validate_cell_phone, "01 42 68 53 00", "FR")
    assert "text messages" in error.message
    assert error.params == {"value": "01 42 68 53 00"}


def test_cell_phone_names_the_callers_field() -> None:
    assert refused(validate_cell_phone, "x", "CA", field="pin_phone").field == "pin_phone"


@pytest.mark.parametrize("region", ["CA", "US", "FR", "CH", "BE", "GB", "DE"])
def test_cell_phone_accepts_example_mobiles(region: str) -> None:
    number = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    assert number is not None
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    assert validate_cell_phone(national, region) == e164


@given(
    region=st.sampled_from(["CA", "FR", "CH", "BE", "US"]),
    text=st.text(alphabet="0123456789 +-().", max_size=20),
)
def test_cell_phone_e164_round_trip(region: str, text: str) -> None:
    try:
        e164 = validate_cell_phone(text, region)
    except ValidationError as error:
        assert error.field == "cell_phone"
        return
    assert e164.startswith("+")
    assert e164[1:].isdigit()
    assert validate_cell_phone(e164, region) == e164
    assert validate_cell_phone(e164, "CA") == e164  # E.164 does not depend on the region


# --- language -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("fr", "fr"),
        ("FR", "fr"),
        (" en ", "en"),
        ("fr_CA", "fr"),
        ("fr-CA", "fr"),
        ("en_US.UTF-8", "en"),
        ("Français", "fr"),
        ("francais", "fr"),
        ("French", "fr"),
        ("ENGLISH", "en"),
        ("anglais", "en"),
        ("Anglais", "en"),
    ],
)
def test_language_good(value: str, expected: str) -> None:
    assert validate_language(value) == expected


@pytest.mark.parametrize("value", ["", "de", "es_ES", "frog", "f", "Deutsch", "fr en"])
def test_language_bad(value: str) -> None:
    assert refused(validate_language, value).field == "language"


# --- insurance numbers: Québec (RAMQ) -------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("TREJ 8503 1512", "TREJ85031512"),
        ("trej85031512", "TREJ85031512"),
        ("BELE-5612-2501", "BELE56122501"),  # a woman: month + 50
        ("ABCD.0001.0199", "ABCD00010199"),
    ],
)
def test_ramq_good(value: str, expected: str) -> None:
    assert validate_insurance_number(value, "CA", "QC") == expected
    assert validate_insurance_number(value, "ca", "CA-QC") == expected


@pytest.mark.parametrize(
    "value",
    [
        "",
        "TRE 85031512",  # 3 letters
        "TREJ8503151",  # 7 digits
        "TREJ850315123",
        "1REJ85031512",
        "TRÉJ85031512",
        "TREJ85131512",  # month 13
        "TREJ85501512",  # month 50
        "TREJ85631512",  # month 63
        "TREJ85000112",  # month 00
        "TREJ85030012",  # day 00
        "TREJ85033212",  # day 32
    ],
)
def test_ramq_bad(value: str) -> None:
    assert refused(validate_insurance_number, value, "CA", "QC").field == INSURANCE


def test_ramq_message_says_what_is_expected() -> None:
    assert "4 letters and 8 digits" in refused(validate_insurance_number, "123", "CA", "QC").message


@given(
    letters=st.text(alphabet=string.ascii_uppercase, min_size=4, max_size=4),
    year=st.integers(0, 99),
    month=st.integers(1, 12),
    woman=st.booleans(),
    day=st.integers(1, 31),
    admin=st.integers(0, 99),
)
def test_ramq_any_valid_date_validates(
    letters: str, year: int, month: int, woman: bool, day: int, admin: int
) -> None:
    number = f"{letters}{year:02}{month + 50 * woman:02}{day:02}{admin:02}"
    assert validate_insurance_number(number, "CA", "QC") == number
    typed = f"{letters.lower()} {number[4:8]}-{number[8:]}"
    assert validate_insurance_number(typed, "CA", "QC") == number


@given(
    month=st.integers(0, 99).filter(lambda m: not (1 <= m <= 12 or 51 <= m <= 62)),
    day=st.integers(1, 31),
)
def test_ramq_any_invalid_month_fails(month: int, day: int) -> None:
    assert refused(validate_insurance_number, f"ABCD80{month:02}{day:02}00", "CA", "QC").field == INSURANCE


# --- insurance numbers: Ontario (OHIP) ------------------------------------------------------


def luhn_check_digit(payload: str) -> int:
    """The digit that completes ``payload`` for Luhn, computed the textbook way."""
    total = 0
    for index, char in enumerate(reversed(payload)):
        digit = int(char) * (2 if index % 2 == 0 else 1)
        total += sum(divmod(digit, 10))
    return (10 - total % 10) % 10


def test_luhn_helper_matches_known_numbers() -> None:
    assert luhn_check_digit("987654321") == 7
    assert luhn_check_digit("7992739871") == 3  # the classic Luhn example


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("9876543217", "9876543217"),
        ("9876-543-217", "9876543217"),
        ("9876 543 217 ab", "9876543217AB"),
        ("1234567897", "1234567897"),
    ],
)
def test_ohip_good(value: str, expected: str) -> None:
    assert validate_insurance_number(value, "CA", "ON") == expected


@pytest.mark.parametrize(
    "value", ["9876543218", "987654321", "98765432170", "9876543217A", "9876543217ABC", "98765432A7"]
)
def test_ohip_bad(value: str) -> None:
    assert refused(validate_insurance_number, value, "CA", "ON").field == INSURANCE


@given(payload=st.text(alphabet=string.digits, min_size=9, max_size=9), other=st.integers(1, 9))
def test_ohip_luhn_property(payload: str, other: int) -> None:
    check = luhn_check_digit(payload)
    assert validate_insurance_number(f"{payload}{check}", "CA", "ON") == f"{payload}{check}"
    wrong = f"{payload}{(check + other) % 10}"
    assert refused(validate_insurance_number, wrong, "CA", "ON").field == INSURANCE


# --- insurance numbers: other Canadian provinces, other countries ---------------------------


@pytest.mark.parametrize("region", ["", "BC", "AB", "NB"])
def test_other_provinces(region: str) -> None:
    assert validate_insurance_number("9123 456 789", "CA", region) == "9123456789"
    assert validate_insurance_number("ab12cd", "CA", region) == "AB12CD"
    for bad in ("12345", "1234567890123456", "12345/6"):
        error = refused(validate_insurance_number, bad, "CA", region)
        assert error.field == INSURANCE
        assert error.params == {"min": 6, "max": 15}


@pytest.mark.parametrize("country", ["US", "DE", "", "LU"])
def test_other_countries(country: str) -> None:
    assert validate_insurance_number("a1-b2-c3", country) == "A1B2C3"
    assert validate_insurance_number("1" * 20, country) == "1" * 20
    for bad in ("A1B2C", "1" * 21, "ÄBCDEF"):
        error = refused(validate_insurance_number, bad, country)
        assert error.field == INSURANCE
        assert error.params == {"min": 6, "max": 20}


# --- insurance numbers: France (NIR) --------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2 55 08 14 168 025 38", "255081416802538"),  # the classic example, with its key
        ("2 55 08 14 168 025", "2550814168025"),  # without the key
        ("1.84.05.76.451.089-31", "184057645108931"),
        ("1 90 05 2a 123 456", "190052A123456"),  # Corsica, no key
    ],
)
def test_nir_good(value: str, expected: str) -> None:
    assert validate_insurance_number(value, "FR") == expected


@pytest.mark.parametrize(
    "value",
    [
        "2 55 08 14 168 025 39",  # wrong key
        "2 55 08 14 168 025 3",  # 14 digits
        "2 55 08 14 168 02",  # 12 digits
        "2 55 08 14 168 025 38 1",
        "2 55 2C 14 168 025",  # 2C is not a Corsican department
        "2 55 08 14 16A 025",
        "ABCDEFGHIJKLM",
    ],
)
def test_nir_bad(value: str) -> None:
    assert refused(validate_insurance_number, value, "FR").field == INSURANCE


def accepts(number: str, country: str) -> bool:
    try:
        validate_insurance_number(number, country)
    except ValidationError:
        return False
    return True


@given(body=st.text(alphabet=string.digits, min_size=13, max_size=13))
def test_nir_exactly_one_key(body: str) -> None:
    keys = [key for key in range(100) if accepts(f"{body}{key:02}", "FR")]
    assert len(keys) == 1
    assert 1 <= keys[0] <= 97


def test_nir_corsica_counts_as_19_and_18() -> None:
    # 2A stands for 19 and 2B for 18 in the key: 97 - 1900519123456 % 97 == 79, 97 - 1900518123456 % 97 == 9.
    assert accepts("1900519123456 79", "FR")
    assert validate_insurance_number("1 90 05 2A 123 456 79", "FR") == "190052A12345679"
    assert validate_insurance_number("1 90 05 2b 123 456 09", "FR") == "190052B12345609"
    assert not accepts("1 90 05 2A 123 456 09", "FR")
    assert not accepts("1 90 05 2B 123 456 79", "FR")


# --- insurance numbers: Switzerland (AVS) ---------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "756.9217.0769.85",
        "7569217076985",
        "756 9217 0769 85",
        "756-9217-0769-85",
    ],
)
def test_avs_good(value: str) -> None:
    assert validate_insurance_number(value, "CH") == "756.9217.0769.85"


def test_avs_is_idempotent() -> None:
    formatted = validate_insurance_number("7569217076985", "CH")
    assert validate_insurance_number(formatted, "CH") == formatted


@pytest.mark.parametrize(
    "value",
    [
        "756.9217.0769.86",
        "757.9217.0769.85",
        "756.9217.0769.8",
        "756.9217.0769.851",
        "756.921A.0769.85",
    ],
)
def test_avs_bad(value: str) -> None:
    assert refused(validate_insurance_number, value, "CH").field == INSURANCE


@given(payload=st.text(alphabet=string.digits, min_size=9, max_size=9))
def test_avs_exactly_one_check_digit(payload: str) -> None:
    accepted = []
    for digit in string.digits:
        try:
            result = validate_insurance_number(f"756{payload}{digit}", "CH")
        except ValidationError:
            continue
        accepted.append(result)
    assert len(accepted) == 1
    assert accepted[0].replace(".", "")[:12] == f"756{payload}"


# --- insurance numbers: Belgium (NISS) ------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("85.07.30-033.28", "85073003328"),  # born in 1985
        ("85073003328", "85073003328"),
        ("00.01.01-003.03", "00010100303"),  # born in 2000: "2" in front for the key
    ],
)
def test_niss_good(value: str, expected: str) -> None:
    assert validate_insurance_number(value, "BE") == expected


@pytest.mark.parametrize(
    "value", ["85.07.30-033.29", "00.01.01-003.04", "85.07.30-033.2", "85.07.30-033.281", "8507300332A"]
)
def test_niss_bad(value: str) -> None:
    assert refused(validate_insurance_number, value, "BE").field == INSURANCE


@given(payload=st.text(alphabet=string.digits, min_size=9, max_size=9))
def test_niss_one_or_two_keys(payload: str) -> None:
    # One key for a birth before 2000, one for a birth from 2000 (they may coincide).
    accepted = [key for key in range(100) if accepts(f"{payload}{key:02}", "BE")]
    assert accepted
    assert len(accepted) <= 2
    assert (97 - int(payload) % 97) in accepted


# --- codes ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("CAD", "CAD"),
        (" eur ", "EUR"),
        ("chf", "CHF"),
        ("USD", "USD"),
    ],
)
def test_currency_good(value: str, expected: str) -> None:
    assert validate_currency(value) == expected


@pytest.mark.parametrize("value", ["", "CA", "CADD", "ABC", "$", "dollars"])
def test_currency_bad(value: str) -> None:
    assert refused(validate_currency, value).field == "currency"


@pytest.mark.parametrize(("value", "expected"), [("CA", "CA"), ("fr", "FR"), (" ch ", "CH"), ("BE", "BE")])
def test_country_good(value: str, expected: str) -> None:
    assert validate_country(value) == expected


@pytest.mark.parametrize("value", ["", "C", "CAN", "QQ", "ZZ", "EU", "UN", "001", "Canada"])
def test_country_bad(value: str) -> None:
    assert refused(validate_country, value).field == "country"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("America/Toronto", "America/Toronto"),
        ("america/montreal", "America/Montreal"),
        (" Europe/Paris ", "Europe/Paris"),
        ("UTC", "UTC"),
        ("europe/zurich", "Europe/Zurich"),
    ],
)
def test_timezone_good(value: str, expected: str) -> None:
    assert validate_timezone(value) == expected


@pytest.mark.parametrize(
    "value", ["", "America", "Mars/Olympus", "../etc/passwd", "/etc/localtime", "localtime", "+05:00"]
)
def test_timezone_bad(value: str) -> None:
    assert refused(validate_timezone, value).field == "timezone"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("FAC", "FAC"),
        ("fac-2025", "FAC-2025"),
        ("A", "A"),
        ("AB-CD-EF-GH1", "AB-CD-EF-GH1"),
    ],
)
def test_number_prefix_good(value: str, expected: str) -> None:
    assert validate_number_prefix(value) == expected


@pytest.mark.parametrize("value", ["", "FAC-", "ABCDEFGHIJKLM", "FAC 1", "FAC_1", "FAC/", "ÉCO"])
def test_number_prefix_bad(value: str) -> None:
    assert refused(validate_number_prefix, value).field == "number_prefix"


@pytest.mark.parametrize("value", ["acct_1A2b3C4d", "acct_" + "x" * 64, " acct_1NqzYkLm8QbXyZ "])
def test_stripe_account_id_good(value: str) -> None:
    assert validate_stripe_account_id(value) == value.strip()


@pytest.mark.parametrize(
    "value",
    [
        "",
        "acct_1234567",
        "acct_" + "x" * 65,
        "ACCT_12345678",
        "cus_12345678",
        "acct_1234-5678",
        "12345678",
    ],
)
def test_stripe_account_id_bad(value: str) -> None:
    assert refused(validate_stripe_account_id, value).field == "stripe_account_id"


@pytest.mark.parametrize("value", ["marie", "_svc", "j.tremblay", "dr-roy2", "a" * 32, " marie "])
def test_login_good(value: str) -> None:
    assert validate_login(value) == value.strip()


@pytest.mark.parametrize("value", ["", "Marie", "2marie", "-marie", "marie$", "a" * 33, "marie roy", "élise"])
def test_login_bad(value: str) -> None:
    assert refused(validate_login, value).field == "login"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("admin", "admin"),
        ("provider,admin", "admin,provider"),
        (" Billing , PROVIDER ", "billing,provider"),
        ("billing,billing", "billing"),
        ("admin,,provider,", "admin,provider"),
        (["provider", "billing", "admin"], "admin,billing,provider"),
        (("billing, admin",), "admin,billing"),
    ],
)
def test_roles_good(value: str | list[str], expected: str) -> None:
    assert validate_roles(value) == expected


@pytest.mark.parametrize("value", ["", " , ", [], "doctor", "admin,doctor", ["admin", "root"]])
def test_roles_bad(value: str | list[str]) -> None:
    assert refused(validate_roles, value).field == "roles"


def test_roles_names_the_unknown_one() -> None:
    assert refused(validate_roles, "admin, Doctor").params == {"value": "Doctor"}


@given(st.sets(st.sampled_from(["admin", "billing", "provider"]), min_size=1))
def test_roles_are_canonical(roles: set[str]) -> None:
    result = validate_roles(roles)
    assert result.split(",") == sorted(roles)
    assert validate_roles(result) == result


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Tremblay", "Tremblay"),
        ("  Élise  Bélanger-Côté ", "Élise Bélanger-Côté"),
        ("E\u0301lise", "Élise"),  # NFC
        ("O'Brien", "O'Brien"),
        ("x" * 100, "x" * 100),
        ("Jean\n", "Jean"),  # surrounding whitespace, even a pasted line break, is dropped
    ],
)
def test_name_good(value: str, expected: str) -> None:
    assert validate_name(value, "last_name") == expected


@pytest.mark.parametrize(
    "value",
    [
        "",
        "   ",
        "x" * 101,
        "Jean\nTremblay",
        "Jean\tTremblay",
        "Jean\x00",
        "a\u2028b",
    ],
)
def test_name_bad(value: str) -> None:
    assert refused(validate_name, value, "first_name").field == "first_name"


def test_name_length_is_configurable() -> None:
    assert validate_name("x" * 200, "display_name", max_length=200) == "x" * 200
    error = refused(validate_name, "x" * 201, "display_name", max_length=200)
    assert error.params == {"length": 201, "max": 200}


# --- every validator, on any text -----------------------------------------------------------

VALIDATORS: dict[str, tuple[Callable[[str], object], str]] = {
    "email": (validate_email, "email"),
    "cell_phone": (validate_cell_phone, "cell_phone"),
    "cell_phone_fr": (lambda text: validate_cell_phone(text, "FR"), "cell_phone"),
    "language": (validate_language, "language"),
    "ramq": (lambda text: validate_insurance_number(text, "CA", "QC"), INSURANCE),
    "ohip": (lambda text: validate_insurance_number(text, "CA", "ON"), INSURANCE),
    "ca": (lambda text: validate_insurance_number(text, "CA"), INSURANCE),
    "nir": (lambda text: validate_insurance_number(text, "FR"), INSURANCE),
    "avs": (lambda text: validate_insurance_number(text, "CH"), INSURANCE),
    "niss": (lambda text: validate_insurance_number(text, "BE"), INSURANCE),
    "other": (lambda text: validate_insurance_number(text, "US"), INSURANCE),
    "currency": (validate_currency, "currency"),
    "country": (validate_country, "country"),
    "timezone": (validate_timezone, "timezone"),
    "number_prefix": (validate_number_prefix, "number_prefix"),
    "stripe_account_id": (validate_stripe_account_id, "stripe_account_id"),
    "login": (validate_login, "login"),
    "roles": (validate_roles, "roles"),
    "name": (lambda text: validate_name(text, "name"), "name"),
}


@pytest.mark.parametrize("name", sorted(VALIDATORS))
@settings(max_examples=300)
@given(text=st.text() | st.text(alphabet=string.printable + "éÀ+", max_size=30))
def test_any_text_raises_only_validation_error(name: str, text: str) -> None:
    validator, field = VALIDATORS[name]
    try:
        result = validator(text)
    except ValidationError as error:
        assert error.field == field
        str(error)
        return
    assert isinstance(result, str)
    assert result == result.strip()
    assert validator(result) == result  # normalizing twice changes nothing


@pytest.mark.parametrize("hidden", ["\u202e", "\u2066", "\u202a", "\x1b", "\x00", "\x7f"])
def test_names_and_messages_refuse_what_a_reader_would_not_see(hidden: str) -> None:
    """A bidi override reverses what follows (a name, a message shown to a patient); a control
    character hides in a log or a header. Line breaks stay allowed in a message."""
    from models.core.validation import check_plain_text

    with pytest.raises(ValidationError) as refused:
        validate_name(f"Marie {hidden}Tremblay", "last_name")
    assert refused.value.field == "last_name"
    with pytest.raises(ValidationError):
        check_plain_text(f"Bonjour{hidden}", "message")
    check_plain_text("Bonjour,\r\n\tà bientôt", "message")

"""What a text message costs (its encoding, length and parts) and whether a number can receive one.

An SMS goes in GSM-7 (the GSM 03.38 alphabet, 7-bit septets) when every character is in it, else
in UCS-2 (UTF-16): a single character outside the alphabet, such as ê, ç (lowercase), ’ or an
emoji, switches the WHOLE text. One SMS holds 160 septets or 70 UTF-16 code units; a longer text
is sent in concatenated parts of 153 or 67 (each part gives room to the header that joins them).
An escape pair (a character of the extension table, 2 septets) or a surrogate pair (an emoji,
2 code units) is never split across parts, so a part may hold one unit less.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

import phonenumbers

from locales import N_
from models.core.validation import SMS_NUMBER_TYPES

Encoding = Literal["GSM-7", "UCS-2"]
GSM_7: Final = "GSM-7"
UCS_2: Final = "UCS-2"

# The GSM 03.38 basic character set, in code order 0x00-0x7F; 0x1B (the escape to the extension
# table) is not a character of its own and is left out.
GSM_BASIC: Final = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ"  # 0x00-0x1A
    "ÆæßÉ"  # 0x1C-0x1F
    " !\"#¤%&'()*+,-./0123456789:;<=>?"  # 0x20-0x3F (0x24 is ¤, not $)
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"  # 0x40-0x5F
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"  # 0x60-0x7F
)
# The extension table: each is sent as the escape and its code, 2 septets.
GSM_EXTENSION: Final = frozenset("\f^{}\\[~]|€")

SINGLE: Final = {GSM_7: 160, UCS_2: 70}  # units in a text sent as one SMS
PART: Final = {GSM_7: 153, UCS_2: 67}  # units in each part of a longer one
MAX_SEGMENTS = 3  # what a template may cost: past it, the editor says the text is too long


@dataclass(frozen=True)
class SmsCount:
    """A text's cost: ``units`` (septets in GSM-7, UTF-16 code units in UCS-2), the SMS it takes
    (``segments``, 0 for an empty text) and the units still free in the last one (``remaining``)."""

    encoding: Encoding
    units: int
    segments: int
    remaining: int


def first_ucs2(text: str) -> str | None:
    """The first character of ``text`` GSM-7 cannot carry (it makes the whole text UCS-2), or None."""
    return next((c for c in text if c not in GSM_BASIC and c not in GSM_EXTENSION), None)


def count_sms(text: str) -> SmsCount:
    """How ``text`` goes out by SMS (see the module's docstring)."""
    encoding: Encoding = GSM_7 if first_ucs2(text) is None else UCS_2
    costs = [_cost(c, encoding) for c in text]
    units = sum(costs)
    if units <= SINGLE[encoding]:
        return SmsCount(encoding, units, 1 if units else 0, SINGLE[encoding] - units)
    size = PART[encoding]
    segments, used = 1, 0
    for cost in costs:
        if used + cost > size:  # the pair starts the next part
            segments, used = segments + 1, 0
        used += cost
    return SmsCount(encoding, units, segments, size - used)


def too_long(count: SmsCount) -> bool:
    """More parts than a template may cost (``MAX_SEGMENTS``)."""
    return count.segments > MAX_SEGMENTS


def _cost(char: str, encoding: Encoding) -> int:
    if encoding == GSM_7:
        return 2 if char in GSM_EXTENSION else 1
    return 2 if ord(char) > 0xFFFF else 1  # outside the BMP: a surrogate pair in UTF-16


# Why a number cannot take a text; each msgid has a {number} placeholder.
NOT_A_NUMBER = N_("{number} is not a valid phone number (from abroad: + and the country code first)")
LANDLINE = N_("{number} is a landline: it cannot receive text messages")
TOLL_FREE = N_("{number} is a toll-free number: it cannot receive text messages")
PREMIUM = N_("{number} is a premium-rate or shared-cost number: it cannot receive text messages")
PAGER = N_("{number} is a pager: it cannot receive text messages")
VOIP = N_("{number} is an internet (VoIP) number: it may not receive text messages")
NOT_MOBILE = N_("{number} is not known as a cell phone number: it may not receive text messages")

_PROBLEMS: Final = {
    phonenumbers.PhoneNumberType.FIXED_LINE: LANDLINE,
    phonenumbers.PhoneNumberType.TOLL_FREE: TOLL_FREE,
    phonenumbers.PhoneNumberType.PREMIUM_RATE: PREMIUM,
    phonenumbers.PhoneNumberType.SHARED_COST: PREMIUM,
    phonenumbers.PhoneNumberType.PAGER: PAGER,
    phonenumbers.PhoneNumberType.VOIP: VOIP,
}


def mobile_problem(number_e164: str) -> str | None:
    """None when ``number_e164`` can receive an SMS, else a msgid saying why not (``{number}``).

    A mobile number can; so can one phonenumbers cannot place as mobile or fixed
    (``FIXED_LINE_OR_MOBILE``: every North American number, whose numbering plan does not tell
    them apart).
    """
    try:
        number = phonenumbers.parse(number_e164, None)
    except phonenumbers.NumberParseException:
        return NOT_A_NUMBER
    if number.extension or not phonenumbers.is_valid_number(number):
        return NOT_A_NUMBER
    kind = phonenumbers.number_type(number)
    if kind in SMS_NUMBER_TYPES:
        return None
    return _PROBLEMS.get(kind, NOT_MOBILE)

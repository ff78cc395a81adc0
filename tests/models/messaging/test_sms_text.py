"""What a text costs by SMS (GSM-7 or UCS-2, parts, room left) and which numbers can receive one."""

from __future__ import annotations

import pytest

from locales import translator
from models.messaging.sms_text import (
    GSM_BASIC,
    GSM_EXTENSION,
    LANDLINE,
    MAX_SEGMENTS,
    NOT_A_NUMBER,
    PAGER,
    PREMIUM,
    TOLL_FREE,
    VOIP,
    SmsCount,
    count_sms,
    mobile_problem,
    too_long,
)


def test_the_alphabet_is_gsm_03_38s() -> None:
    assert len(GSM_BASIC) == 127  # 128 codes, less the escape
    assert len(GSM_EXTENSION) == 10
    assert set("éèùìòÇØøÅåÄÖÑÜ§¿äöñüàÉÆæßΔΦΓΛΩΠΨΣΘΞ¡¤£¥@_") <= GSM_BASIC
    assert not set("êâôîûçëïœÀÈÙÊÂÔÎÛËÏ’«»–…`") & (GSM_BASIC | GSM_EXTENSION)


def test_the_empty_text_costs_nothing() -> None:
    assert count_sms("") == SmsCount("GSM-7", 0, 0, 160)


@pytest.mark.parametrize(
    ("length", "segments", "remaining"),
    [(1, 1, 159), (160, 1, 0), (161, 2, 306 - 161), (306, 2, 0), (307, 3, 153 * 3 - 307), (459, 3, 0)],
)
def test_gsm_7_fits_160_then_153_a_part(length: int, segments: int, remaining: int) -> None:
    count = count_sms("a" * length)
    assert count == SmsCount("GSM-7", length, segments, remaining)
    assert too_long(count) is False
    assert too_long(count_sms("a" * 460)) and MAX_SEGMENTS == 3


@pytest.mark.parametrize(
    ("length", "segments", "remaining"),
    [(70, 1, 0), (71, 2, 134 - 71), (134, 2, 0), (135, 3, 67 * 3 - 135)],
)
def test_ucs_2_fits_70_then_67_a_part(length: int, segments: int, remaining: int) -> None:
    count = count_sms("ê" * length)
    assert count == SmsCount("UCS-2", length, segments, remaining)


def test_extension_characters_count_two_and_are_not_split() -> None:
    assert count_sms("€") == SmsCount("GSM-7", 2, 1, 158)
    assert count_sms("[x]{y}~^|\\\f").units == 20
    assert count_sms("a" * 158 + "€") == SmsCount("GSM-7", 160, 1, 0)
    # 161 septets: in parts, the euro's escape pair would straddle the 153rd septet, so it moves on
    count = count_sms("a" * 152 + "€" + "a" * 7)
    assert count == SmsCount("GSM-7", 161, 2, 153 - 9)
    assert count_sms("a" * 151 + "€" + "a" * 8).remaining == 153 - 8  # fits exactly: nothing moves


def test_an_emoji_is_two_units_and_its_surrogate_pair_stays_whole() -> None:
    assert count_sms("merci 🙂") == SmsCount("UCS-2", 8, 1, 62)
    assert count_sms("a" * 68 + "🙂") == SmsCount("UCS-2", 70, 1, 0)
    count = count_sms("a" * 66 + "🙂" + "a" * 3)  # 71 units: the pair would straddle the 67th
    assert count == SmsCount("UCS-2", 71, 2, 67 - 5)


def test_a_french_reminder_stays_in_gsm_7_unless_it_has_a_letter_outside_it() -> None:
    reminder = (
        "Clinique du Parc : votre facture CDP-2025-0042 de 85,00 $ est échue depuis le 12 mars. "
        "Payez-la en ligne à https://pay.example/f/abc ou appelez-nous au 514 555-1234."
    )
    count = count_sms(reminder)
    assert (count.encoding, count.units, count.segments) == ("GSM-7", len(reminder), 2)
    with_circumflex = reminder.replace("est échue", "a été réglée ? Sinon, elle est à payer, même")
    assert count_sms(with_circumflex).encoding == "UCS-2"
    assert count_sms("Reçu de la Clinique").encoding == "UCS-2"  # ç lowercase is not GSM-7
    assert count_sms("Ça coûte").encoding == "UCS-2"  # Ç is, û is not
    assert count_sms("Ça y est").encoding == "GSM-7"
    assert count_sms("l’heure").encoding == "UCS-2"  # the typographic apostrophe


@pytest.mark.parametrize(
    "number",
    [
        "+41791234567",  # Swiss mobile (079)
        "+33612345678",  # French mobile (06)
        "+447400123456",  # UK mobile (07)
        "+15143984455",  # Montréal: fixed line or mobile, North America cannot tell them apart
    ],
)
def test_mobile_numbers_can_receive_texts(number: str) -> None:
    assert mobile_problem(number) is None


@pytest.mark.parametrize(
    ("number", "problem"),
    [
        ("+41223101234", LANDLINE),  # Geneva
        ("+33123456789", LANDLINE),  # Paris
        ("+442079460018", LANDLINE),  # London
        ("+18005550199", TOLL_FREE),
        ("+41800123456", TOLL_FREE),
        ("+41900123456", PREMIUM),
        ("+447640123456", PAGER),
        ("+445612345678", VOIP),
        ("+4179123", NOT_A_NUMBER),
        ("41791234567", NOT_A_NUMBER),  # no +: not E.164
        ("", NOT_A_NUMBER),
    ],
)
def test_other_numbers_say_why_not(number: str, problem: str) -> None:
    assert mobile_problem(number) == problem


def test_the_reason_reads_in_each_language() -> None:
    problem = mobile_problem("+41223101234")
    assert problem is not None
    assert (
        translator("en").format(problem, number="+41 22 310 12 34")
        == "+41 22 310 12 34 is a landline: it cannot receive text messages"
    )

"""Tax presets: the taxes of Québec, the HST provinces, the GST-only provinces and territories,
and Switzerland, with the dates their rates changed. Data an admin loads for a company and can
then edit (registration numbers, names), never rates the computation knows of. Plain data:
``models.billing.tax_definitions.load_preset`` writes a preset's taxes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from locales import N_
from models.core.errors import ValidationError


@dataclass(frozen=True)
class PresetTax:
    code: str
    name_fr: str
    name_en: str
    rate: str
    valid_from: date | None = None
    valid_until: date | None = None
    on_new_lines: bool = True


@dataclass(frozen=True)
class Preset:
    key: str
    label: str  # a msgid
    taxes: tuple[PresetTax, ...]


GST = PresetTax("GST", "TPS", "GST", "5")


def _hst(rate: str) -> PresetTax:
    return PresetTax("HST", "TVH", "HST", rate)


_SWISS_CHANGE = date(2024, 1, 1)  # the VAT rates rose on 1 January 2024
_SWISS_BEFORE = date(2023, 12, 31)
_NS_CHANGE = date(2025, 4, 1)  # Nova Scotia's HST went from 15 to 14 %

PRESETS: tuple[Preset, ...] = (
    Preset("qc", N_("Québec: GST and QST"), (GST, PresetTax("QST", "TVQ", "QST", "9.975"))),
    Preset("on", N_("Ontario: HST 13 %"), (_hst("13"),)),
    Preset(
        "ns",
        N_("Nova Scotia: HST 15 %, then 14 %, from 2025-04-01"),
        (
            PresetTax("HST", "TVH", "HST", "15", valid_until=date(2025, 3, 31)),
            PresetTax("HST", "TVH", "HST", "14", valid_from=_NS_CHANGE),
        ),
    ),
    Preset("nb", N_("New Brunswick: HST 15 %"), (_hst("15"),)),
    Preset("nl", N_("Newfoundland and Labrador: HST 15 %"), (_hst("15"),)),
    Preset("pe", N_("Prince Edward Island: HST 15 %"), (_hst("15"),)),
    Preset("gst", N_("Other provinces and territories: GST 5 %"), (GST,)),
    Preset(
        "ch",
        N_("Switzerland: VAT (normal, reduced, accommodation)"),
        (
            PresetTax("VAT", "TVA", "VAT", "7.7", valid_until=_SWISS_BEFORE),
            PresetTax("VAT", "TVA", "VAT", "8.1", valid_from=_SWISS_CHANGE),
            PresetTax("VAT-RED", "TVA réduite", "VAT reduced", "2.5", None, _SWISS_BEFORE, False),
            PresetTax("VAT-RED", "TVA réduite", "VAT reduced", "2.6", _SWISS_CHANGE, None, False),
            PresetTax("VAT-ACC", "TVA hébergement", "VAT accommodation", "3.7", None, _SWISS_BEFORE, False),
            PresetTax("VAT-ACC", "TVA hébergement", "VAT accommodation", "3.8", _SWISS_CHANGE, None, False),
        ),
    ),
)
PRESET_KEYS = tuple(preset.key for preset in PRESETS)


def find_preset(key: str) -> Preset:
    for preset in PRESETS:
        if preset.key == key.strip().lower():
            return preset
    raise ValidationError(
        "preset",
        N_("{value} is not a tax preset; expected one of: {expected}"),
        value=key,
        expected=", ".join(PRESET_KEYS),
    )

"""The PIN slip: a small page the clinic prints and hands over with an institution PIN.

It says whose PIN it is, the PIN, until when the emailed link works and how to reach
the clinic, in the patient's language; nothing about the care (no invoice lines, no
provider). Same machinery as the invoice: a Jinja2 template, WeasyPrint, shipped fonts.
"""

from __future__ import annotations

from dataclasses import dataclass

from agent.pdf.render import _environment, html_to_pdf
from locales import translator

TEMPLATE = "pin_slip.html"


@dataclass(frozen=True)
class PinSlip:
    """What a slip prints, already formatted (the date in the reader's language)."""

    language: str
    clinic_name: str
    clinic_phone: str
    clinic_email: str
    patient_name: str
    pin: str
    link_until: str  # the link's expiry as a date, formatted


def render_pin_slip_html(slip: PinSlip) -> str:
    tr = translator(slip.language)
    return _environment().get_template(TEMPLATE).render(slip=slip, _=tr.gettext, format=tr.format)


def render_pin_slip(slip: PinSlip) -> bytes:
    """The slip as PDF bytes (A6: it fits a hand, or a quarter of a sheet)."""
    return html_to_pdf(render_pin_slip_html(slip))

"""The patient pages' HTML: Jinja2 templates (autoescaped), every word from the catalogs, Babel formats.

Templates call ``_("msgid", name=value)`` and ``ngettext("one", "many", n)``; the
extractor (``babel.cfg``) finds those calls in ``portal/templates``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jinja2
import phonenumbers
from babel.units import format_unit
from starlette.responses import HTMLResponse

from locales import LANGUAGES, N_, Translator, normalize_language, translator
from locales.formatting import babel_locale, format_datetime
from portal.links import ClinicInfo

TEMPLATES = Path(__file__).parent / "templates"
LANGUAGE_NAMES = {"fr": N_("French"), "en": N_("English")}


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def accepted_language(header: str | None) -> str | None:
    """The first of Facteur's languages in an ``Accept-Language`` header, by preference."""
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        language = normalize_language(tag)
        if language and quality > 0:
            ranked.append((-quality, index, language))
    return min(ranked)[2] if ranked else None


@dataclass(frozen=True)
class Contact:
    """The clinic's contact as a page shows it."""

    name: str
    phone: str  # formatted for reading
    phone_uri: str  # tel:+1514…
    email: str


def clinic_contact(clinic: ClinicInfo) -> Contact:
    phone, uri = clinic.phone, ""
    if clinic.phone:
        try:
            parsed = phonenumbers.parse(clinic.phone, clinic.country or None)
            phone = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
            uri = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.RFC3966)
        except phonenumbers.NumberParseException:
            pass  # shown as the clinic typed it
    return Contact(clinic.name, phone, uri, clinic.email)


@dataclass(frozen=True)
class PageContext:
    """What every page knows: its language, the reader's translator, the clinic (if any), the switch."""

    language: str
    tr: Translator
    root: str  # the ASGI root_path, for the stylesheet and form addresses
    switch_path: str | None  # where the fr/en links go (``lang=`` added to its query); None: no switch
    clinic: ClinicInfo | None
    timezone: str
    country: str

    def format_expiry(self, when: dt.datetime) -> str:
        return format_datetime(when, self.timezone, self.language, self.country, "long")

    def format_size(self, size: int) -> str:
        locale = babel_locale(self.language, self.country)
        if size < 1_000_000:
            return format_unit(max(1, round(size / 1000)), "digital-kilobyte", length="short", locale=locale)
        return format_unit(round(size / 1_000_000, 1), "digital-megabyte", length="short", locale=locale)

    def render(self, template: str, status: int = 200, **values: Any) -> HTMLResponse:
        tr = self.tr
        switch = []
        if self.switch_path is not None:
            for code in LANGUAGES:
                if code != self.language:
                    name = translator(code).gettext(LANGUAGE_NAMES[code])
                    joiner = "&" if "?" in self.switch_path else "?"
                    switch.append(
                        {"code": code, "label": name, "url": f"{self.switch_path}{joiner}lang={code}"}
                    )
        html = (
            environment()
            .get_template(template)
            .render(
                lang=self.language,
                _=tr.format,
                ngettext=tr.nformat,
                root=self.root,
                switch=switch,
                clinic=self.clinic,
                contact=clinic_contact(self.clinic) if self.clinic else None,
                **values,
            )
        )
        return HTMLResponse(html, status_code=status, headers={"Content-Language": self.language})


def page_context(
    language: str | None,
    *,
    root: str = "",
    switch_path: str | None = None,
    clinic: ClinicInfo | None = None,
    default_timezone: str,
    default_country: str,
) -> PageContext:
    lang = normalize_language(language) or "fr"
    timezone = (clinic.timezone if clinic else "") or default_timezone
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        timezone = "UTC"
    country = (clinic.country if clinic else "") or default_country
    return PageContext(lang, translator(lang), root, switch_path, clinic, timezone, country)

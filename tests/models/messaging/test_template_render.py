"""Safe rendering of staff-edited templates: the sandbox, errors with their line, HTML escaping,
and every shipped template in French and English."""

from __future__ import annotations

from datetime import date

import pytest

from locales import translator
from locales.formatting import format_money
from models.core.enums import TemplateChannel
from models.messaging.sms_text import count_sms
from models.messaging.system_templates import SYSTEM_TEMPLATES
from models.messaging.template_fields import field_context, sample_invoices, sample_values, samples_for
from models.messaging.template_render import TemplateProblem, render, render_part
from models.messaging.text_templates import SAMPLE_PAY_URL, render_text, text_problems
from models.people.clinic import Clinic
from tests.conftest import Setup

# Rendering reads nothing of the database's engine: the clinic's row only. Run once, on SQLite.
pytestmark = pytest.mark.sqlite_only

TODAY = date(2026, 4, 10)


@pytest.fixture
def context(setup: Setup) -> dict[str, object]:
    return field_context(sample_values(setup.clinic, TODAY), "fr")


def refusal(source: str, context: dict[str, object], part: str = "body_fr") -> str:
    with pytest.raises(TemplateProblem) as caught:
        render_part(source, part, context)
    assert caught.value.field == part
    return caught.value.render(translator("en"))


@pytest.mark.parametrize(
    "source",
    [
        "{{ clinic_name.__class__ }}",
        "{{ clinic_name.__class__.__mro__[1].__subclasses__() }}",
        "{{ clinic_name.upper() }}",
        "{{ (clinic_name|string).format }}",
        "{{ '{:>99999999}'.format(1) }}",
        "{{ clinic_name['format'] }}",
    ],
)
def test_no_attribute_access_to_internals(source: str, context: dict[str, object]) -> None:
    assert "line 1: this is not allowed in a template" in refusal(source, context)


@pytest.mark.parametrize(
    ("source", "what"),
    [
        ("{{ range(10) }}", "there is no field named range"),
        ("{{ lipsum() }}", "there is no field named lipsum"),
        ("{{ clinic_name * 100000 }}", "repeating is limited"),
        ("{{ 10 ** 100000 }}", "powers are limited"),
        ("{{ '%99999999d' % 1 }}", "string formatting with % is not allowed"),
        ("{{ clinic_name|center(99999999) }}", "No filter named 'center'"),
    ],
)
def test_no_way_to_build_a_huge_message_or_reach_globals(
    source: str, what: str, context: dict[str, object]
) -> None:
    assert what in refusal(source, context)


def test_an_unknown_field_is_named_with_its_line(context: dict[str, object]) -> None:
    text = refusal("Bonjour {{ billed_to_name }},\n\nVotre solde : {{ montant }}\n", context)
    assert text == "French body, line 3: there is no field named montant"
    french = translator("fr")
    with pytest.raises(TemplateProblem) as caught:
        render_part("{{ montant }}", "body_en", context)
    assert caught.value.render(french) == "Corps en anglais, ligne 1 : aucun champ ne s’appelle montant"


def test_a_syntax_error_gives_its_line(context: dict[str, object]) -> None:
    text = refusal("Bonjour,\n{% if payment_link %}\nPayez ici\n", context)
    assert text.startswith("French body, line 3: syntax error: Unexpected end of template")
    assert "line 2: syntax error" in refusal("Bonjour\n{{ clinic_name }", context)


def test_a_failure_while_rendering_gives_its_line(context: dict[str, object]) -> None:
    text = refusal("a\nb\n{{ amount_due + 1 }}", context)
    assert text.startswith("French body, line 3: this cannot be shown: ")


def test_a_subject_shows_no_personal_detail(context: dict[str, object]) -> None:
    text = refusal("{{ clinic_name }}: {{ patient_name }}", context, "subject_fr")
    assert text.startswith("French subject, line 1: a subject cannot show patient_name; it may show only ")
    assert "payment_link" in refusal("{{ payment_link }}", context, "subject_en")
    assert render_part("{{ clinic_name }} {{ invoice_number }}", "subject_fr", context) == (
        "Clinique du Parc CDP-2026-00042"
    )


def test_locals_and_loops_are_fine(context: dict[str, object]) -> None:
    source = "{% set who = billed_to_name %}{{ who }}{% for c in 'ab' %}{{ loop.index }}{% endfor %}"
    assert render_part(source, "body_fr", context) == "Marie Tremblay12"


def test_the_html_part_escapes_values_and_the_template_text_and_links_the_links(setup: Setup) -> None:
    values = sample_values(setup.clinic, TODAY)
    values = values.__class__(**{**values.__dict__, "billed_to_name": "<script>x</script> & Cie"})
    context = field_context(values, "en")
    rendered = render(
        "{{ clinic_name }}",
        "Hello {{ billed_to_name }} <b>&</b>\n\nPay: {{ payment_link }}\nThanks",
        context,
        "en",
    )
    assert rendered.text == (
        "Hello <script>x</script> & Cie <b>&</b>\n\nPay: https://checkout.stripe.com/c/pay/cs_…\nThanks\n"
    )
    assert "<script>" not in rendered.html and "<b>" not in rendered.html
    assert "Hello &lt;script&gt;x&lt;/script&gt; &amp; Cie &lt;b&gt;&amp;&lt;/b&gt;" in rendered.html
    assert (
        '<p>Pay: <a href="https://checkout.stripe.com/c/pay/cs_…">https://checkout.stripe.com/c/pay/cs_…</a>'
        "<br>\nThanks</p>"
    ) in rendered.html


def test_empty_links_render_empty_and_if_blocks_test_them(setup: Setup) -> None:
    values = sample_values(setup.clinic, TODAY).with_links(None, None)
    source = "A\n{% if payment_link %}\nPay: {{ payment_link }}\n{% endif %}\nB[{{ download_link }}]"
    assert render_part(source, "body_en", field_context(values, "en")) == "A\nB[]"


def test_money_and_dates_in_the_readers_locale(setup: Setup) -> None:
    values = sample_values(setup.clinic, TODAY)
    source = "{{ amount_due }} | {{ total }} | {{ issue_date }} | {{ due_date }} | {{ days_overdue }}"
    assert render_part(source, "body_fr", field_context(values, "fr")) == (
        "85,00\u00a0$ | 95,00\u00a0$ | 2 mars 2026 | 1 avril 2026 | 9"
    )
    assert render_part(source, "body_en", field_context(values, "en")) == (
        "$85.00 | $95.00 | March 2, 2026 | April 1, 2026 | 9"
    )


EMAILS = [shipped for shipped in SYSTEM_TEMPLATES if shipped.channel is TemplateChannel.EMAIL]
TEXTS = [shipped for shipped in SYSTEM_TEMPLATES if shipped.channel is TemplateChannel.SMS]


@pytest.mark.parametrize("shipped", TEXTS, ids=lambda t: t.key)
def test_every_shipped_text_fits_one_or_two_gsm_sms_and_shows_only_what_a_text_may(
    shipped: object, setup: Setup
) -> None:
    clinic: Clinic = setup.clinic
    wording = shipped.wording()  # type: ignore[attr-defined]
    assert text_problems(wording, sample_invoices(clinic, TODAY)) == []
    for language in ("fr", "en"):
        for values in sample_invoices(clinic, TODAY):
            pay = values.with_links(None, SAMPLE_PAY_URL)
            text = render_text(wording[f"body_{language}"], pay, language)
            count = count_sms(text)
            assert (count.encoding, count.segments <= 2) == ("GSM-7", True), text  # French money too
            assert text.startswith("Clinique du Parc") and text.endswith(SAMPLE_PAY_URL)
            assert values.invoice_number in text and values.patient_name not in text


@pytest.mark.parametrize("shipped", EMAILS, ids=lambda t: t.key)
@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_shipped_template_renders(shipped: object, language: str, setup: Setup) -> None:
    clinic: Clinic = setup.clinic
    clinic.phone, clinic.email = "+15145551000", "info@parc.example"
    wording = shipped.wording()  # type: ignore[attr-defined]
    full = samples_for(shipped.kind, clinic, TODAY)[0]  # type: ignore[attr-defined]
    reference = full.statement_reference or full.invoice_number  # a statement's, or an invoice's
    for values in (full, full.with_links(None, None)):
        rendered = render(
            wording[f"subject_{language}"],
            wording[f"body_{language}"],
            field_context(values, language),
            language,
        )
        assert rendered.subject == "Clinique du Parc"  # the clinic's name, nothing else
        greeting = {"fr": "Bonjour Marie Tremblay,", "en": "Hello Marie Tremblay,"}[language]
        amount = format_money(full.balance_cents, "CAD", language, "CA")  # 85,00 $, or 275,00 $ owed
        assert rendered.text.startswith(greeting + "\n\n")
        assert reference in rendered.text and amount in rendered.text
        assert "{{" not in rendered.text and "{%" not in rendered.text
        assert ("checkout.stripe.com" in rendered.text) is bool(values.payment_url)
        assert rendered.text.rstrip().endswith("info@parc.example")
        assert rendered.html.startswith(f"<p>{greeting}</p>")

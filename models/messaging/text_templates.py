"""Text-message templates: what a text may show, the check when one is saved, and the text itself.

A text names the clinic and the amount and carries the invoice's Pay page (it needs no PIN), in
the patient's language. It never links a document: a document's PIN travels by text, and a link
and its PIN must not share a channel; nor does it show a health detail or a name. So a text may
show only ``SMS_FIELDS``; its body must show ``{{ payment_link }}``, and fit in ``MAX_SEGMENTS``
SMS (``models.messaging.sms_text``) on every sample invoice, in both languages. A text is one
paragraph: its lines are joined with spaces. The subjects of a text's template are not used.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from locales import N_
from models.messaging.sms_text import MAX_SEGMENTS, count_sms, too_long
from models.messaging.template_budget import OverBudget, shared_budget
from models.messaging.template_fields import FIELD_NAMES, FieldValues, field_context
from models.messaging.template_render import PARTS, TemplateProblem, fields_used, render_part

SMS_FIELDS: frozenset[str] = frozenset(
    {
        "clinic_name",
        "clinic_phone",
        "invoice_number",
        "amount_due",
        "total",
        "amount_paid",
        "issue_date",
        "due_date",
        "days_overdue",
        "payment_link",
    }
)
BODIES = ("body_fr", "body_en")
# a Pay page's address as long as a real one: a portal's host and a 43-character token
SAMPLE_PAY_URL = "https://portail.cliniqueduparc.ca/pay/" + "Q4mZx9k7T2" * 4 + "abc"

NOT_IN_A_TEXT = N_(
    "{part}: a text message cannot show {name}: it shows the clinic, the amounts, the invoice's number "
    "and dates and the payment link, never a document's link or a name"
)
NEEDS_PAY_LINK = N_("{part} must show {field}: a text is sent to let the patient pay")
TOO_MANY_SMS = N_("{part} makes {count} SMS ({encoding}); a text may take at most {max}: shorten it")
EMPTY_TEXT = N_("{part} is empty: write the text")


# Typography a phone shows alike, sent as GSM-7's own characters: French money ("85,00 $") and
# Québec's apostrophe would otherwise make every text UCS-2, 70 characters an SMS instead of 160.
_PLAIN = str.maketrans(
    {
        "\u00a0": " ",  # no-break space
        "\u202f": " ",  # narrow no-break space
        "\u2019": "'",
        "\u2018": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2026": "...",
    }
)


def render_text(body: str, values: FieldValues, language: str, part: str = "body_fr") -> str:
    """The text of ``body`` for ``values`` in ``language``: one line, spaces collapsed, typography
    in GSM-7's characters where a phone shows them alike. Not on the budget: see ``budgeted_text``."""
    return " ".join(render_part(body, part, field_context(values, language)).translate(_PLAIN).split())


def budgeted_text(body: str, values: FieldValues, language: str) -> str:
    """``render_text`` on the template budget (a template that never ends is stopped, naming its
    part), as an email's render is: what the save check and the agent use."""
    part = f"body_{language}"
    try:
        return shared_budget().call(render_text, body, values, language, part, part=part)
    except OverBudget as exc:
        raise TemplateProblem(exc.field or part, exc.message, **exc.params) from None


def text_problems(wording: dict[str, str], samples: tuple[FieldValues, ...]) -> list[TemplateProblem]:
    """What keeps a text template from being saved: each body's first problem."""
    problems: list[TemplateProblem] = []
    for part in BODIES:
        body = wording.get(part, "")
        language = part.removeprefix("body_")
        name = PARTS[part]
        if not body.strip():
            problems.append(TemplateProblem(part, EMPTY_TEXT, part=name))
            continue
        used = fields_used(body) & FIELD_NAMES
        if used - SMS_FIELDS:
            field = sorted(used - SMS_FIELDS)[0]
            problems.append(TemplateProblem(part, NOT_IN_A_TEXT, part=name, name=f"{{{{ {field} }}}}"))
            continue
        if "payment_link" not in used:
            problems.append(TemplateProblem(part, NEEDS_PAY_LINK, part=name, field="{{ payment_link }}"))
            continue
        problem = _longest(body, part, language, samples)
        if problem is not None:
            problems.append(problem)
    return problems


def _longest(body: str, part: str, language: str, samples: tuple[FieldValues, ...]) -> TemplateProblem | None:
    """Too many SMS on the sample that makes the longest text (a rendering error says itself)."""
    worst: dict[str, Any] | None = None
    for sample in samples:
        values = replace(sample, payment_url=SAMPLE_PAY_URL)  # as long as a real Pay page's
        try:
            count = count_sms(budgeted_text(body, values, language))
        except TemplateProblem as exc:
            return exc
        if too_long(count) and (worst is None or count.segments > worst["count"]):
            worst = {"count": count.segments, "encoding": count.encoding}
    if worst is None:
        return None
    return TemplateProblem(part, TOO_MANY_SMS, part=PARTS[part], max=MAX_SEGMENTS, **worst)

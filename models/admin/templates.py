"""What admins do with templates: create, edit, duplicate, (de)activate, delete, restore the wording.

Rules, enforced here for any caller (the Templates screen, tests, a script):

- only admins change templates (``SettingsRefused`` otherwise);
- a shipped (system) template's settings never change: kind, name, delay, attachment and
  payment link stay as shipped; it can be activated, deactivated and reworded, and its
  wording restored; it cannot be deleted;
- a custom template can be created, edited, duplicated, deactivated, and deleted as long as
  nothing was ever scheduled or sent with it (deactivate it instead: the record stays);
- the wording is checked before anything is written (``models.messaging.template_render``): a syntax
  error, an unknown field or a field a subject may not show is refused with its part and line, and
  so is a part that fails or runs over its budget on one of the sample invoices (``sample_invoices``:
  a patient billed to themselves, a third party, a patient who paid part), in each language, with
  and without links;
- a reminder comes after the invoice: its delay is at least 1; a statement template's delay is its
  period (a statement every month, say), at least 1, and its wording shows a statement's fields, not
  one invoice's (``template_fields.fields_for``);
- deactivating a template, or changing its kind, cancels what was still scheduled with it;
  activating one applies to invoices billed from then on;
- a second active invoice template would send every invoice twice: turning one on while another is
  on is refused (``SecondInvoiceEmail``, naming the other) unless the caller passes
  ``confirm_second=True`` (the TUI asks first). Several reminders are normal; one statement template
  is on at a time (a second would send each account two statements).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from locales import N_, LazyText, Translator
from models.admin.settings import SettingsRefused, require_admin
from models.billing.invoice import Invoice
from models.billing.statements import Statement
from models.core.enums import DelayUnit, InvoiceStatus, PinMode, TemplateChannel, TemplateKind
from models.core.errors import FieldErrors, NotFoundError, ValidationError
from models.core.validation import REQUIRED, check_plain_text, validate_name
from models.database.base import utcnow
from models.database.db import db
from models.messaging import schedule_reasons as reasons
from models.messaging.system_templates import BY_KEY, PARTS, SystemTemplate
from models.messaging.tables import OutboxMessage, ScheduledMessage, Template
from models.messaging.template_fields import (
    FIELD_NAMES,
    FieldValues,
    field_context,
    fields_for,
    sample_invoices,
    sample_values,
    samples_for,
    values_for_invoice,
    values_for_statement,
)
from models.messaging.template_render import PARTS as PART_NAMES
from models.messaging.template_render import TemplateProblem, check_wording, fields_used
from models.messaging.text_templates import BODIES, text_problems
from models.people.clinic import Clinic, Staff, get_clinic
from models.workflow.reminders import cancel_for_template

LANGUAGES = ("fr", "en")
TEXT_KINDS = (TemplateKind.REMINDER, TemplateKind.PAYMENT)  # what a text message's template may be
MAX_DELAY = {DelayUnit.HOURS: 24 * 366, DelayUnit.DAYS: 3660, DelayUnit.MONTHS: 120}


@dataclass(frozen=True)
class TemplateInput:
    """A template as the editor holds it (the delay as typed)."""

    name: str
    kind: str
    active: bool
    delay_value: str
    delay_unit: str
    attach_invoice: bool
    add_payment_link: bool
    subject_fr: str
    body_fr: str
    subject_en: str
    body_en: str
    channel: str = TemplateChannel.EMAIL.value  # a text message's template: its bodies only

    @classmethod
    def of(cls, template: Template) -> TemplateInput:
        return cls(
            channel=template.channel,
            name=template.name,
            kind=template.kind,
            active=template.active,
            delay_value=str(template.delay_value),
            delay_unit=template.delay_unit,
            attach_invoice=template.attach_invoice,
            add_payment_link=template.add_payment_link,
            **wording_of(template),
        )

    def wording(self) -> dict[str, str]:
        return {
            "subject_fr": self.subject_fr,
            "body_fr": self.body_fr,
            "subject_en": self.subject_en,
            "body_en": self.body_en,
        }


def wording_of(template: Template) -> dict[str, str]:
    """The wording as it goes out: a shipped template's empty parts read the catalogs now."""
    stored = {part: getattr(template, part) for part in PARTS}
    shipped = BY_KEY.get(template.system_key or "")
    if shipped is None or all(stored.values()):
        return stored
    catalogs = shipped.wording()
    return {part: text or catalogs[part] for part, text in stored.items()}


def _following_catalogs(shipped: SystemTemplate, values: dict[str, Any]) -> dict[str, Any]:
    """A shipped template's parts worded as the catalogs word them are stored empty, so they
    keep following the catalogs (an admin's later ``.po`` edit applies); the others are kept."""
    catalogs = {part: text.strip("\n") for part, text in shipped.wording().items()}
    return {
        part: ("" if part in catalogs and text == catalogs[part] else text) for part, text in values.items()
    }


def display_name(template: Template, tr: Translator) -> str:
    """A shipped template's name in the reader's language; a custom one's as typed."""
    return tr.gettext(template.name) if template.is_system else template.name


def applies_to_every_invoice(kind: str, delay_value: str | int, active: bool) -> bool:
    """An active invoice template with delay 0 emails every invoice billed from now on."""
    return active and kind == TemplateKind.INVOICE and str(delay_value).strip() == "0"


class SecondInvoiceEmail(SettingsRefused):
    """Turning on an invoice template while another is on: each invoice would get both emails.
    ``params["names"]`` names the others; retry with ``confirm_second=True`` once someone agreed."""


@dataclass(frozen=True)
class TemplateNames:
    """Templates named in a message, each quoted as its reader calls it (``display_name``)."""

    names: tuple[str, ...]  # a shipped template's as a ``LazyText``: read in the reader's language

    @classmethod
    def of(cls, templates: list[Template]) -> TemplateNames:
        return cls(tuple(LazyText(t.name) if t.is_system else t.name for t in templates))

    def render(self, tr: Translator) -> str:
        return ", ".join(tr.format(N_("“{name}”"), name=name) for name in self.names)

    def __str__(self) -> str:
        return ", ".join(f"“{name}”" for name in self.names)


def active_templates(kind: TemplateKind, *, besides: int | None = None) -> list[Template]:
    """The templates of ``kind`` that are on, ``besides`` left out."""
    query = Template.select().where(
        Template.active == True,  # noqa: E712
        Template.kind == kind.value,
    )
    if besides is not None:
        query = query.where(Template.id != besides)
    return list(query.order_by(Template.id))


def invoice_email_on(kind: str, active: bool) -> bool:
    """An active invoice template: every invoice billed gets its email (on billing or later)."""
    return active and kind == TemplateKind.INVOICE


def _check_second_invoice_email(template_id: int | None, *, confirm_second: bool) -> None:
    """Raise ``SecondInvoiceEmail`` when another invoice template is on, unless confirmed."""
    others = active_templates(TemplateKind.INVOICE, besides=template_id)
    if not others or confirm_second:
        return
    if len(others) == 1:
        msgid = N_(
            "{names} already emails every invoice: with this template on too, each invoice would get "
            "both emails"
        )
    else:
        msgid = N_(
            "{names} already email every invoice: with this template on too, each invoice would get "
            "all these emails"
        )
    raise SecondInvoiceEmail(msgid, names=TemplateNames.of(others))


def _check_one_statement_template(template_id: int | None) -> None:
    """Refuse a second statement template on: each account would get a statement from both."""
    others = active_templates(TemplateKind.STATEMENT, besides=template_id)
    if others:
        raise SettingsRefused(
            N_(
                "{names} already sends statements of account: one statement template is on at a time; "
                "turn it off first"
            ),
            names=TemplateNames.of(others),
        )


def list_templates() -> list[Template]:
    """Shipped templates first (invoice email, then reminders), then custom ones by kind and name."""
    return list(
        Template.select().order_by(
            Template.system_key.is_null(),
            Template.channel,
            Template.kind,
            Template.delay_value,
            Template.name,
            Template.id,
        )
    )


def get_template(template_id: int) -> Template:
    template = Template.get_or_none(Template.id == template_id)
    if template is None:
        raise NotFoundError(N_("template #{id} does not exist"), id=template_id)
    return template


# Checking ---------------------------------------------------------------------------------------


def _delay(data: TemplateInput) -> tuple[int, DelayUnit]:
    try:
        unit = DelayUnit(data.delay_unit)
    except ValueError:
        raise ValidationError("delay_unit", N_("choose hours, days or months")) from None
    text = data.delay_value.strip()
    if not text:
        raise ValidationError("delay_value", REQUIRED)
    if not text.isdigit() or int(text) > MAX_DELAY[unit]:
        raise ValidationError(
            "delay_value",
            N_("{value} is not a whole number from 0 to {max}"),
            value=text,
            max=MAX_DELAY[unit],
        )
    if data.kind == TemplateKind.REMINDER and int(text) == 0:
        raise ValidationError(
            "delay_value", N_("a reminder comes after the invoice: give a delay of 1 or more")
        )
    if data.kind == TemplateKind.STATEMENT and int(text) == 0:
        raise ValidationError("delay_value", N_("a statement goes every period: give a period of 1 or more"))
    if data.kind == TemplateKind.STATEMENT and unit is DelayUnit.HOURS:
        raise ValidationError(
            "delay_unit", N_("a statement goes every few days or months: choose days or months")
        )
    return int(text), unit


def sample_contexts(values: FieldValues) -> list[dict[str, dict[str, Any]]]:
    """A sample invoice per language, with its links and without them (both branches of an ``if``)."""
    return [
        {lang: field_context(each, lang) for lang in LANGUAGES}
        for each in (values, values.with_links(None, None))
    ]


def _on_sample(problem: TemplateProblem, values: FieldValues) -> TemplateProblem:
    """A problem only a later sample shows says which: the preview may not show it."""
    if values.statement_reference:
        return TemplateProblem(
            problem.field,
            N_("{problem} (on the sample statement {reference} for {patient})"),
            **problem.params,
            problem=problem,
            reference=values.statement_reference,
            patient=values.patient_name,
        )
    return TemplateProblem(
        problem.field,
        N_("{problem} (on the sample invoice {number} for {patient}, billed to {billed_to})"),
        **problem.params,
        problem=problem,
        number=values.invoice_number,
        patient=values.patient_name,
        billed_to=values.billed_to_name,
    )


def kind_problems(wording: dict[str, str], kind: str) -> list[TemplateProblem]:
    """Fields of another kind of template: a statement covers several invoices (no one invoice's
    number, total or due date), and an invoice or a reminder is not a statement."""
    allowed = {field.name for field in fields_for(kind)}
    problems = []
    for part, source in wording.items():
        for name in sorted(fields_used(source) & FIELD_NAMES - allowed):
            msgid = (
                N_("{part}: a statement of account covers several invoices and cannot show {name}")
                if kind == TemplateKind.STATEMENT
                else N_(
                    "{part}: {name} is a statement's field; an invoice email or a reminder cannot show it"
                )
            )
            problems.append(TemplateProblem(part, msgid, part=PART_NAMES[part], name=f"{{{{ {name} }}}}"))
            break
    return problems


def check_template_wording(
    wording: dict[str, str], clinic: Clinic, today: date, kind: str = TemplateKind.INVOICE
) -> None:
    """Raise ``FieldErrors`` with every problem of the wording (each part once) on the first sample
    (an invoice, or a statement for a statement template) that shows any. Each sample is one
    budgeted render per link variant (all parts, both languages); the samples are tried in turn and
    the check stops at the first refused, so a template over its budget costs that time at most
    twice, as with a single sample."""
    problems: dict[str, ValidationError] = {
        problem.field: problem for problem in kind_problems(wording, kind)
    }
    for index, values in enumerate(samples_for(kind, clinic, today)):
        for contexts in sample_contexts(values):
            for problem in check_wording(wording, contexts, LANGUAGES):
                problems.setdefault(problem.field, problem if index == 0 else _on_sample(problem, values))
        if problems:
            break
    if problems:
        ordered = [
            problems[part] for part in ("subject_fr", "body_fr", "subject_en", "body_en") if part in problems
        ]
        raise FieldErrors(ordered)


# What a new template starts with: each language's body must become a message of its own
STARTER_SUBJECT = "{{ clinic_name }}"
STARTER_BODIES = {"fr": "Bonjour {{ billed_to_name }},\n\n", "en": "Hello {{ billed_to_name }},\n\n"}


def delivery_problems(
    wording: dict[str, str], clinic: Clinic, *, delivers_invoice: bool
) -> list[TemplateProblem]:
    """What would make the template deliver nothing: a body left as the starter text, or, for a
    template that delivers the invoice (an invoice email) while the
    clinic sends invoices by secure link, a body without the link (the patient would get an email
    with no way to open the invoice, and a PIN for nothing)."""
    problems: list[TemplateProblem] = []
    secure = delivers_invoice and clinic.default_pin_mode != PinMode.NONE.value
    for language, starter in STARTER_BODIES.items():
        part = f"body_{language}"
        body = wording[part]
        if body.strip() == starter.strip():
            problems.append(
                TemplateProblem(
                    part,
                    N_("{part} is still the starter text: write the message itself"),
                    part=PART_NAMES[part],
                )
            )
        elif secure and body.strip() and "download_link" not in fields_used(body):
            problems.append(
                TemplateProblem(
                    part,
                    N_(
                        "{part} must show the field {field}: the clinic sends invoices by secure "
                        "link, and without it the patient has no way to open the invoice"
                    ),
                    part=PART_NAMES[part],
                    field="{{ download_link }}",
                )
            )
    return problems


def _kind_errors(data: TemplateInput) -> list[ValidationError]:
    """A kind and a channel that do not go together: a text is a reminder or a payment link, and a
    payment link alone goes only by text."""
    if data.kind not in set(TemplateKind):
        return [ValidationError("kind", N_("choose invoice, reminder or statement of account"))]
    if data.channel not in set(TemplateChannel):
        return [ValidationError("channel", N_("choose email or text message"))]
    if data.channel == TemplateChannel.SMS and data.kind not in TEXT_KINDS:
        return [ValidationError("kind", N_("a text message is a reminder or a payment link"))]
    if data.channel == TemplateChannel.EMAIL and data.kind == TemplateKind.PAYMENT:
        return [ValidationError("kind", N_("a payment link alone goes by text message"))]
    return []


def _text_values(
    data: TemplateInput,
    values: dict[str, Any],
    errors: list[ValidationError],
    clinic: Clinic,
    today: date,
    *,
    checked: bool,
) -> dict[str, Any]:
    """A text message's template as saved: its bodies checked (``text_problems``) unless their
    characters were refused already; no subject, no document, always the payment link."""
    if checked:
        errors = errors + list(text_problems(data.wording(), sample_invoices(clinic, today)))
    if errors:
        raise FieldErrors(errors)
    wording = {part: text.strip() if part in BODIES else "" for part, text in data.wording().items()}
    return {
        **values,
        "channel": data.channel,
        "kind": data.kind,
        "active": bool(data.active),
        "attach_invoice": False,  # a text never carries a document
        "add_payment_link": True,  # a text is sent to let the patient pay
        **wording,
    }


def _values(data: TemplateInput, clinic: Clinic, today: date) -> dict[str, Any]:
    errors: list[ValidationError] = []
    values: dict[str, Any] = {}
    try:
        values["name"] = validate_name(data.name, "name", max_length=200)
    except ValidationError as exc:
        errors.append(exc)
    errors += _kind_errors(data)
    texting = data.channel == TemplateChannel.SMS
    try:
        values["delay_value"], unit = _delay(data)
        values["delay_unit"] = unit.value
    except ValidationError as exc:
        errors.append(exc)
    hidden = []
    for part, text in data.wording().items():
        try:
            check_plain_text(text, part)  # what a patient would not see, or would see reversed
        except ValidationError as exc:
            hidden.append(exc)
    errors += hidden
    if texting:
        return _text_values(data, values, errors, clinic, today, checked=not hidden)
    try:
        if not hidden:
            check_template_wording(data.wording(), clinic, today, data.kind)
    except FieldErrors as exc:
        errors.extend(exc.errors)
    wrong = {error.field for error in errors}
    # a reminder is a plain email (its invoice attached only for a patient who consented): an invoice
    # email and a statement (with its invoices) go by secure link
    delivers = data.kind in (TemplateKind.INVOICE, TemplateKind.STATEMENT)
    errors += [
        problem
        for problem in delivery_problems(data.wording(), clinic, delivers_invoice=delivers)
        if problem.field not in wrong
    ]
    if errors:
        raise FieldErrors(errors)
    return {
        **values,
        "channel": TemplateChannel.EMAIL.value,
        "kind": data.kind,
        "active": bool(data.active),
        "attach_invoice": bool(data.attach_invoice),
        "add_payment_link": bool(data.add_payment_link),
        **{part: text.strip("\n") for part, text in data.wording().items()},
    }


# Changing ---------------------------------------------------------------------------------------


def save_template(
    template_id: int | None,
    data: TemplateInput,
    *,
    acting: Staff,
    clinic: Clinic | None = None,
    confirm_second: bool = False,
) -> Template:
    """Create (``template_id`` None) or save a template; refused whole, with every reason, or saved.
    An invoice template turned on beside another needs ``confirm_second`` (``SecondInvoiceEmail``)."""
    require_admin(acting)
    clinic = clinic or get_clinic()
    now = utcnow()
    shipped: SystemTemplate | None = None
    was_on = False
    kind_before: str | None = None
    if template_id is not None:
        current = get_template(template_id)
        was_on = invoice_email_on(current.kind, current.active)
        kind_before = current.kind
        if current.is_system:
            data = _system_settings_kept(current, data)
            shipped = BY_KEY.get(current.system_key or "")
    values = _values(data, clinic, now.date())
    if shipped is not None:
        values = _following_catalogs(shipped, values)
    with db.atomic():
        if invoice_email_on(values["kind"], values["active"]) and not was_on:
            _check_second_invoice_email(template_id, confirm_second=confirm_second)
        if values["active"] and values["kind"] == TemplateKind.STATEMENT:
            _check_one_statement_template(template_id)
        if template_id is None:
            return Template.create(**values, created_at=now, updated_at=now)
        Template.update(**values, updated_at=now).where(Template.id == template_id).execute()
        if not values["active"]:
            cancel_for_template(template_id, reasons.TEMPLATE_OFF, now=now)
        elif values["kind"] != kind_before:  # a reminder's rows are not a statement's, nor the reverse
            cancel_for_template(template_id, reasons.KIND_CHANGED, now=now)
        return get_template(template_id)


def _system_settings_kept(current: Template, data: TemplateInput) -> TemplateInput:
    """A shipped template takes only its wording and active flag; changing a setting is refused."""
    kept = TemplateInput.of(current)
    for name in ("channel", "kind", "delay_value", "delay_unit", "attach_invoice", "add_payment_link"):
        if str(getattr(data, name)).strip() != str(getattr(kept, name)):
            raise ValidationError(
                name, N_("a shipped template's settings cannot change; duplicate it to make your own")
            )
    return replace(
        kept,
        active=data.active,
        subject_fr=data.subject_fr,
        body_fr=data.body_fr,
        subject_en=data.subject_en,
        body_en=data.body_en,
    )


def set_active(template_id: int, active: bool, *, acting: Staff, confirm_second: bool = False) -> Template:
    """Turn a template on (for invoices billed from now on) or off (what it had scheduled is cancelled).
    An invoice template turned on beside another needs ``confirm_second`` (``SecondInvoiceEmail``)."""
    require_admin(acting)
    now = utcnow()
    with db.atomic():
        template = get_template(template_id)
        if invoice_email_on(template.kind, active) and not template.active:
            _check_second_invoice_email(template_id, confirm_second=confirm_second)
        if active and template.kind == TemplateKind.STATEMENT:
            _check_one_statement_template(template_id)
        Template.update(active=active, updated_at=now).where(Template.id == template_id).execute()
        if not active:
            cancel_for_template(template_id, reasons.TEMPLATE_OFF, now=now)
        return get_template(template_id)


def duplicate_template(template_id: int, *, acting: Staff, tr: Translator) -> Template:
    """A custom, inactive copy (a shipped template's copy is custom: every setting can change)."""
    require_admin(acting)
    source = get_template(template_id)
    now = utcnow()
    name = tr.format(N_("{name} (copy)"), name=display_name(source, tr))[:200]
    return Template.create(
        kind=source.kind,
        name=name,
        active=False,
        delay_value=source.delay_value,
        delay_unit=source.delay_unit,
        attach_invoice=source.attach_invoice,
        add_payment_link=source.add_payment_link,
        **wording_of(source),
        created_at=now,
        updated_at=now,
    )


def was_used(template_id: int) -> bool:
    """Whether anything was ever scheduled or sent with this template."""
    return (
        ScheduledMessage.select().where(ScheduledMessage.template == template_id).exists()
        or OutboxMessage.select().where(OutboxMessage.template == template_id).exists()
    )


def delete_template(template_id: int, *, acting: Staff) -> None:
    """Delete a custom template nothing was ever sent with."""
    require_admin(acting)
    with db.atomic():
        template = get_template(template_id)
        if template.is_system:
            raise SettingsRefused(N_("a shipped template cannot be deleted; deactivate it instead"))
        if was_used(template_id):
            raise SettingsRefused(
                N_(
                    "messages were scheduled or sent with this template; "
                    "deactivate it instead, to keep their record"
                )
            )
        template.delete_instance()


def restore_wording(template_id: int, *, acting: Staff) -> Template:
    """A shipped template's subjects and bodies back to the catalogs' (they follow them again)."""
    require_admin(acting)
    with db.atomic():
        template = get_template(template_id)
        shipped = BY_KEY.get(template.system_key or "")
        if shipped is None:
            raise SettingsRefused(N_("only a shipped template has a wording to restore"))
        following = dict.fromkeys(PARTS, "")  # the catalogs' wording, today's and after later edits
        Template.update(**following, updated_at=utcnow()).where(Template.id == template_id).execute()
        return get_template(template_id)


# Preview ----------------------------------------------------------------------------------------


def preview_values(clinic: Clinic, today: date) -> tuple[FieldValues, Invoice | None]:
    """The latest billed invoice (with example links, so link blocks show), else the sample invoice."""
    invoice = (
        Invoice.select()
        .where(Invoice.status.in_([InvoiceStatus.BILLED.value, InvoiceStatus.PAID.value]))
        .order_by(Invoice.billed_at.desc(), Invoice.id.desc())
        .first()
    )
    sample = sample_values(clinic, today)
    if invoice is None:
        return sample, None
    values = values_for_invoice(invoice, clinic, today=today)
    # a link sent today would end after the clinic's link days, at this time of day
    expires = datetime.combine(today, datetime.now(UTC).timetz()) + timedelta(days=clinic.link_days)
    return values.with_links(sample.download_url, sample.payment_url, expires), invoice


def preview_statement_values(clinic: Clinic, today: date) -> tuple[FieldValues, Statement | None]:
    """The latest statement of account (with example links), else the sample statement."""
    statement = Statement.select().order_by(Statement.created_at.desc(), Statement.id.desc()).first()
    sample = samples_for(TemplateKind.STATEMENT, clinic, today)[0]
    if statement is None:
        return sample, None
    values = values_for_statement(statement, clinic, today=today)
    expires = datetime.combine(today, datetime.now(UTC).timetz()) + timedelta(days=clinic.link_days)
    return values.with_links(sample.download_url, sample.payment_url, expires), statement

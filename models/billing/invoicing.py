"""The invoice rules: lines and totals, billing with its number, payments, voiding.

Statuses move ``draft -> billed -> paid`` or ``billed -> void``; every other move
is refused with a ``TransitionError``. Payments, refunds and credit notes settle a billed invoice
(``settled_status``): paid once payments cover what credit notes left, credited when credit notes
cancelled it all before any payment. A billed invoice's lines never change.
Each function runs in its own write transaction and re-reads the invoice inside
it, so two people (or the TUI and the agent) acting at once cannot both win.
What billing, voiding and a payment set in motion (automatic emails, reminders) is
``models.workflow.lifecycle``'s: call ``bill``, ``void`` and ``record_payment`` from there.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from locales import N_
from models.billing.invoice import Invoice, InvoiceLine, Payment, describe
from models.billing.invoice_taxes import store_invoice_taxes
from models.billing.numbering import take_next_number
from models.billing.tax_computation import Taxable, TaxResult, TaxRule, compute_taxes
from models.billing.taxes import check_codes, join_codes, split_codes, taxes_in_force
from models.core.enums import InvoiceStatus, PaymentMethod
from models.core.errors import NotFoundError, TransitionError, ValidationError
from models.core.labels import INVOICE_STATUS
from models.core.money import round_cents
from models.database.base import fk_id, utcnow
from models.database.db import db, locked
from models.people.clinic import BillingCompany, Clinic, Staff
from models.people.patient import Patient

ALLOWED_MOVES: dict[InvoiceStatus, frozenset[InvoiceStatus]] = {
    InvoiceStatus.DRAFT: frozenset({InvoiceStatus.BILLED}),
    InvoiceStatus.BILLED: frozenset({InvoiceStatus.PAID, InvoiceStatus.VOID}),
    InvoiceStatus.PAID: frozenset(),
    InvoiceStatus.VOID: frozenset(),
    InvoiceStatus.CREDITED: frozenset(),
}
MAX_QUANTITY = Decimal("100000")


@dataclass(frozen=True)
class LineInput:
    """One line as staff type it, before amounts are computed."""

    description: str
    quantity: Decimal
    unit_price_cents: int
    tax_rate: Decimal = Decimal(0)  # percent, e.g. Decimal("14.975"); read only without tax_codes
    code: str = ""
    tax_codes: tuple[str, ...] = ()  # the company's taxes that apply, e.g. ("GST", "QST"); none: exempt


@dataclass(frozen=True)
class BilledTo:
    """A third party paying in the patient's place (an insurer, a parent, an employer)."""

    name: str
    email: str | None = None
    phone: str | None = None
    language: str | None = None


def billed_to_fields(patient: Patient, billed_to: BilledTo | None) -> dict[str, Any]:
    """An invoice's columns for whom it is billed to: the third party, else the patient."""
    return {
        "third_party": billed_to is not None,
        "billed_to_name": billed_to.name if billed_to else patient.full_name,
        "billed_to_email": billed_to.email if billed_to else patient.email,
        "billed_to_phone": billed_to.phone if billed_to else patient.cell_phone,
        "billed_to_language": billed_to.language if billed_to else patient.language,
    }


def check_move(invoice: Invoice, target: InvoiceStatus) -> None:
    """Raise ``TransitionError`` unless ``invoice`` may move to ``target``."""
    current = InvoiceStatus(invoice.status)
    if target not in ALLOWED_MOVES[current]:
        raise TransitionError(
            N_("invoice {invoice} is {current} and cannot become {target}"),
            invoice=describe(invoice),
            current=INVOICE_STATUS[current],
            target=INVOICE_STATUS[target],
        )


def settled_status(total_cents: int, credited_cents: int, paid_cents: int) -> InvoiceStatus:
    """A billed invoice's status from its money: billed while something is owed, else paid when
    money was received, else credited (credit notes cancelled it all)."""
    if total_cents - credited_cents - paid_cents > 0:
        return InvoiceStatus.BILLED
    return InvoiceStatus.PAID if paid_cents > 0 else InvoiceStatus.CREDITED


def line_amounts(quantity: Decimal, unit_price_cents: int, tax_rate: Decimal) -> tuple[int, int]:
    """(subtotal, tax) of one line in cents, each rounded half up."""
    subtotal = round_cents(quantity * unit_price_cents)
    tax = round_cents(Decimal(subtotal) * tax_rate / 100)
    return subtotal, tax


def lines_amounts(
    lines: Sequence[LineInput], rules: Mapping[str, TaxRule] | None = None
) -> list[tuple[int, int]]:
    """(subtotal, tax) of each line, in cents (``taxed_lines``)."""
    return taxed_lines(lines, rules or {})[0]


def taxed_lines(
    lines: Sequence[LineInput], rules: Mapping[str, TaxRule]
) -> tuple[list[tuple[int, int]], list[TaxResult]]:
    """(subtotal, tax) of each line, and each tax of the invoice (``rules``: the company's taxes
    in force, by code). Each tax is computed once, on the sum of the lines it applies to, and
    rounded once (half up), as a tax authority reads an invoice; that amount is then shared among
    those lines so they add up to the invoice (``models.billing.tax_computation``). A 60-line
    invoice at 5 % on 3 475,00 $ owes 173,75 $, not the 173,80 $ a sum of per-line roundings gave."""
    subtotals = [round_cents(line.quantity * line.unit_price_cents) for line in lines]
    taxables = [
        Taxable(subtotal, line.tax_codes, line.tax_rate)
        for subtotal, line in zip(subtotals, lines, strict=True)
    ]
    taxes, results = compute_taxes(taxables, rules)
    return list(zip(subtotals, taxes, strict=True)), results


def check_line(line: LineInput, position: int) -> None:
    field = f"lines[{position}]"
    if not line.description.strip():
        raise ValidationError(field, N_("line {position}: the description is empty"), position=position)
    if not Decimal(0) < line.quantity <= MAX_QUANTITY:
        raise ValidationError(
            field,
            N_("line {position}: the quantity must be above 0 and at most {max}"),
            position=position,
            max=MAX_QUANTITY,
        )
    if line.unit_price_cents < 0:
        raise ValidationError(
            field, N_("line {position}: the unit price cannot be negative"), position=position
        )
    if not Decimal(0) <= line.tax_rate <= Decimal(100):
        raise ValidationError(
            field, N_("line {position}: the tax rate must be between 0 and 100 %"), position=position
        )


def create_draft(
    *,
    patient: Patient,
    billing_company: BillingCompany,
    provider: Staff | None = None,
    created_by: Staff | None = None,
    billed_to: BilledTo | None = None,
    lines: Sequence[LineInput] = (),
) -> Invoice:
    """A new draft for ``patient``, billed to them unless a third party is given."""
    with db.atomic():
        invoice = Invoice.create(
            patient=patient,
            billing_company=billing_company,
            provider=provider,
            created_by=created_by,
            currency=billing_company.currency,
            **billed_to_fields(patient, billed_to),
        )
        if lines:
            _write_lines(invoice, lines)
    return invoice


def replace_lines(invoice: Invoice, lines: Sequence[LineInput]) -> Invoice:
    """Set a draft's lines and totals; a billed invoice's lines never change."""
    with db.atomic():
        current = reload_locked(invoice)
        if current.status != InvoiceStatus.DRAFT:
            raise TransitionError(
                N_("invoice {invoice} is {status}: its lines cannot change; void it instead"),
                invoice=describe(current),
                status=INVOICE_STATUS[current.status],
            )
        InvoiceLine.delete().where(InvoiceLine.invoice == current.id).execute()
        _write_lines(current, lines)
    return reload_locked(current)


def _write_lines(invoice: Invoice, lines: Sequence[LineInput], day: date | None = None) -> None:
    """Write a draft's lines, its taxes as in force on ``day`` (else the clinic's today), its totals."""
    for position, line in enumerate(lines, start=1):
        check_line(line, position)
    day = day or clinic_today(invoice.billing_company.clinic)
    rules = taxes_in_force(fk_id(invoice, "billing_company"), day)
    for position, line in enumerate(lines, start=1):
        check_codes(line.tax_codes, rules, day, f"lines[{position}]", position)
    amounts, results = taxed_lines(lines, rules)
    rows = []
    for position, (line, (subtotal, tax)) in enumerate(zip(lines, amounts, strict=True), start=1):
        codes = tuple(dict.fromkeys(line.tax_codes))
        rows.append(
            {
                "invoice": invoice.id,
                "position": position,
                "code": line.code.strip(),
                "description": line.description.strip(),
                "quantity": line.quantity,
                "unit_price_cents": line.unit_price_cents,
                # a named tax's line keeps the sum of its rates, as lines before named taxes read
                "tax_rate": sum((rules[code].rate for code in codes), Decimal(0)) if codes else line.tax_rate,
                "tax_codes": join_codes(codes),
                "subtotal_cents": subtotal,
                "tax_cents": tax,
            }
        )
    if rows:
        InvoiceLine.insert_many(rows).execute()
    store_invoice_taxes(invoice.id, results)
    subtotal = sum(int(row["subtotal_cents"]) for row in rows)  # type: ignore[call-overload]
    tax = sum(int(row["tax_cents"]) for row in rows)  # type: ignore[call-overload]
    Invoice.update(
        subtotal_cents=subtotal,
        tax_cents=tax,
        total_cents=subtotal + tax,
        version=Invoice.version + 1,
        updated_at=utcnow(),
    ).where(Invoice.id == invoice.id).execute()


def line_input(line: InvoiceLine) -> LineInput:
    """A stored line as it was typed: its named taxes, or its bare rate when it has none."""
    codes = split_codes(line.tax_codes)
    rate = Decimal(0) if codes else Decimal(line.tax_rate)
    return LineInput(line.description, Decimal(line.quantity), line.unit_price_cents, rate, line.code, codes)


def _retax(invoice: Invoice, day: date) -> None:
    """Billing computes a draft's named taxes again as in force on its issue date (a rate may have
    changed since it was written); a draft of bare rates only keeps its stored amounts."""
    lines = list(lines_of(invoice))
    if any(line.tax_codes for line in lines):
        InvoiceLine.delete().where(InvoiceLine.invoice == invoice.id).execute()
        _write_lines(invoice, [line_input(line) for line in lines], day)


def bill(invoice: Invoice, *, now: datetime | None = None) -> Invoice:
    """Bill a draft: it gets the next number of its company, an issue and a due date."""
    now = now or utcnow()
    with db.atomic():
        current = reload_locked(invoice)
        check_move(current, InvoiceStatus.BILLED)
        if not InvoiceLine.select().where(InvoiceLine.invoice == current.id).exists():
            raise ValidationError(
                "lines", N_("invoice {invoice} has no lines to bill"), invoice=describe(current)
            )
        clinic = current.billing_company.clinic
        issue_date = clinic_today(clinic, now)
        _retax(current, issue_date)  # the taxes in force on the day it is issued
        number = take_next_number(current.billing_company, issue_date.year)
        Invoice.update(
            number=number,
            status=InvoiceStatus.BILLED.value,
            issue_date=issue_date,
            due_date=issue_date + timedelta(days=clinic.payment_terms_days),
            billed_at=now,
            updated_at=now,
            version=Invoice.version + 1,
        ).where(Invoice.id == current.id).execute()
    return reload_locked(current)


def void(invoice: Invoice, reason: str = "") -> Invoice:
    """Void a billed invoice that has no payments; its number stays used."""
    with db.atomic():
        current = reload_locked(invoice)
        check_move(current, InvoiceStatus.VOID)
        if current.paid_cents:
            raise TransitionError(
                N_("invoice {invoice} has payments recorded: it cannot be voided"), invoice=describe(current)
            )
        if current.credited_cents:  # its credit notes stand: the rest is cancelled by one more
            raise TransitionError(
                N_("invoice {invoice} has credit notes: credit what is left instead of voiding it"),
                invoice=describe(current),
            )
        now = utcnow()
        Invoice.update(
            status=InvoiceStatus.VOID.value,
            void_reason=reason.strip() or None,
            voided_at=now,
            updated_at=now,
            version=Invoice.version + 1,
        ).where(Invoice.id == current.id).execute()
    return reload_locked(current)


def record_payment(
    invoice: Invoice,
    amount_cents: int,
    method: PaymentMethod | str,
    *,
    reference: str | None = None,
    recorded_by: Staff | None = None,
    received_at: datetime | None = None,
) -> Payment:
    """Record a payment on a billed invoice; the invoice becomes paid when the balance is 0."""
    try:
        method = PaymentMethod(method)
    except ValueError:
        raise ValidationError(
            "method",
            N_("{value} is not a payment method; expected one of: {expected}"),
            value=method,
            expected=", ".join(m.value for m in PaymentMethod),
        ) from None
    with db.atomic():
        current = reload_locked(invoice)
        if current.status != InvoiceStatus.BILLED:
            raise TransitionError(
                N_("invoice {invoice} is {status}: only a billed invoice takes payments"),
                invoice=describe(current),
                status=INVOICE_STATUS[current.status],
            )
        if amount_cents <= 0:
            raise ValidationError("amount", N_("the amount must be greater than zero"))
        if amount_cents > current.balance_cents:
            raise ValidationError(
                "amount",
                N_("the payment is more than the balance of invoice {invoice}"),
                invoice=describe(current),
            )
        now = utcnow()
        payment = Payment.create(
            invoice=current,
            amount_cents=amount_cents,
            method=method.value,
            reference=(reference or "").strip() or None,
            recorded_by=recorded_by,
            received_at=received_at or now,
        )
        paid = current.paid_cents + amount_cents
        status = settled_status(current.total_cents, current.credited_cents, paid)
        Invoice.update(
            paid_cents=paid, status=status.value, updated_at=now, version=Invoice.version + 1
        ).where(Invoice.id == current.id).execute()
    return payment


def delete_draft(invoice: Invoice) -> None:
    """Drafts have no number yet and can simply go; billed invoices are voided instead."""
    with db.atomic():
        current = reload_locked(invoice)
        if current.status != InvoiceStatus.DRAFT:
            raise TransitionError(
                N_("invoice {invoice} is {status}: only drafts can be deleted"),
                invoice=describe(current),
                status=INVOICE_STATUS[current.status],
            )
        current.delete_instance()  # its lines go with it (ON DELETE CASCADE)


def clinic_today(clinic: Clinic, now: datetime | None = None) -> date:
    """The date on the clinic's wall calendar at ``now`` (UTC): an invoice billed at
    23:30 in Montréal is dated that day, not tomorrow's UTC date."""
    return (now or utcnow()).astimezone(ZoneInfo(clinic.timezone)).date()


def find_invoice(number_or_id: str) -> Invoice:
    """An invoice by its number, or by ``#id``/``id`` for drafts, which have none."""
    key = number_or_id.strip()
    query = Invoice.select().where(Invoice.number == key)
    invoice = query.first()
    if invoice is None and key.lstrip("#").isdigit():
        invoice = Invoice.get_or_none(Invoice.id == int(key.lstrip("#")))
    if invoice is None:
        raise NotFoundError(N_("no invoice {invoice}"), invoice=key)
    return invoice


def reload_locked(invoice: Invoice) -> Invoice:
    """``invoice`` read again inside the caller's write transaction (locked on PostgreSQL)."""
    current = locked(Invoice.select().where(Invoice.id == invoice.id)).first()
    if current is None:
        raise NotFoundError(N_("no invoice {invoice}"), invoice=describe(invoice))
    return current


def lines_of(invoice: Invoice) -> Iterable[InvoiceLine]:
    return InvoiceLine.select().where(InvoiceLine.invoice == invoice.id).order_by(InvoiceLine.position)

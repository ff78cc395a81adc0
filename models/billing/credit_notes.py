"""Credit notes: the lawful correction of a billed or paid invoice.

A billed invoice never changes; what it got wrong is corrected by a credit note, a document of its
own with a gapless number per billing company (``PREFIX-YEAR-00001``, the company's credit prefix),
its date and its reason. It credits the whole invoice or chosen lines (an amount before tax of each;
the tax goes with it in the line's proportion), never more than what a line has left, and lowers
the invoice's balance (``Invoice.credited_cents``). When money was already received beyond what is
left, the balance goes below zero: a credit the clinic refunds (by hand, or through Stripe where the
payment came from there). A credit note is never edited; a wrong one is corrected by the invoice's
next credit note, or a new invoice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from functools import partial

import peewee

from locales import N_
from locales.formatting import Money
from models.billing.invoice import Invoice, InvoiceLine, describe
from models.billing.invoice_taxes import invoice_taxes
from models.billing.invoicing import clinic_today, lines_of, reload_locked, settled_status
from models.billing.numbering import format_number
from models.billing.tax_computation import TaxResult
from models.billing.taxes import split_codes
from models.core.enums import InvoiceStatus
from models.core.errors import NotFoundError, TransitionError, ValidationError
from models.core.labels import INVOICE_STATUS
from models.core.money import round_cents
from models.database.base import BaseModel, UTCDateTimeField, fk_id, utcnow
from models.database.db import db
from models.people.clinic import BillingCompany, Staff

REASON_MAX = 500
CREDITABLE = frozenset({InvoiceStatus.BILLED, InvoiceStatus.PAID})


class CreditNote(BaseModel):
    number = peewee.CharField(max_length=40, unique=True)
    invoice = peewee.ForeignKeyField(Invoice, backref="credit_notes", on_delete="RESTRICT")
    billing_company = peewee.ForeignKeyField(BillingCompany, backref="+", on_delete="RESTRICT")
    currency = peewee.CharField(max_length=3)
    reason = peewee.TextField()
    issue_date = peewee.DateField()  # the clinic's local date
    subtotal_cents = peewee.BigIntegerField()
    tax_cents = peewee.BigIntegerField()
    total_cents = peewee.BigIntegerField(constraints=[peewee.Check("total_cents > 0")])
    created_by = peewee.ForeignKeyField(Staff, null=True, backref="+", on_delete="SET NULL")
    created_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "credit_note"


class CreditNoteLine(BaseModel):
    """What a credit note takes back of one invoice line: an amount before tax, and its tax."""

    credit_note = peewee.ForeignKeyField(CreditNote, backref="lines", on_delete="CASCADE")
    invoice_line = peewee.ForeignKeyField(InvoiceLine, backref="+", on_delete="RESTRICT")
    position = peewee.IntegerField()
    code = peewee.CharField(max_length=32, default="")
    description = peewee.CharField(max_length=500)
    tax_rate = peewee.DecimalField(max_digits=7, decimal_places=4, default=0)  # the invoice line's
    subtotal_cents = peewee.BigIntegerField(constraints=[peewee.Check("subtotal_cents >= 0")])
    tax_cents = peewee.BigIntegerField(constraints=[peewee.Check("tax_cents >= 0")])

    class Meta:
        table_name = "credit_note_line"
        indexes = ((("credit_note", "position"), True),)

    @property
    def total_cents(self) -> int:
        return self.subtotal_cents + self.tax_cents


class CreditNoteSequence(BaseModel):
    """The last credit note number used per billing company and year (see models.billing.numbering)."""

    billing_company = peewee.ForeignKeyField(BillingCompany, on_delete="CASCADE")
    year = peewee.IntegerField()
    last_value = peewee.IntegerField(default=0)

    class Meta:
        table_name = "credit_note_sequence"
        indexes = ((("billing_company", "year"), True),)


@dataclass(frozen=True)
class LineCredit:
    """How much to credit on the invoice line at ``position``: an amount before tax, or what is
    left of it when ``subtotal_cents`` is None."""

    position: int
    subtotal_cents: int | None = None


@dataclass(frozen=True)
class LineLeft:
    """What an invoice line can still be credited: before tax, and its tax."""

    line: InvoiceLine
    subtotal_cents: int
    tax_cents: int


def credit_prefix(company: BillingCompany) -> str:
    """The company's credit note prefix; by default its invoice prefix with ``-NC`` (note de crédit)."""
    chosen = (company.credit_prefix or "").strip()
    if chosen:
        return chosen
    return f"{company.number_prefix}-NC" if company.number_prefix else "NC"


def take_next_credit_number(company: BillingCompany, year: int) -> str:
    """Reserve the company's next credit note number for ``year``; call inside a transaction."""
    query = (
        CreditNoteSequence.insert(billing_company=company.id, year=year, last_value=1)
        .on_conflict(
            conflict_target=[CreditNoteSequence.billing_company, CreditNoteSequence.year],
            update={CreditNoteSequence.last_value: CreditNoteSequence.last_value + 1},
        )
        .returning(CreditNoteSequence.last_value)
    )
    (row,) = query.tuples().execute()
    return format_number(credit_prefix(company), year, int(row[0]))


def lines_left(invoice: Invoice) -> list[LineLeft]:
    """Each line of ``invoice`` with what its credit notes have not taken yet."""
    taken: dict[int, tuple[int, int]] = {}
    query = (
        CreditNoteLine.select(
            CreditNoteLine.invoice_line,
            peewee.fn.SUM(CreditNoteLine.subtotal_cents),
            peewee.fn.SUM(CreditNoteLine.tax_cents),
        )
        .join(CreditNote)
        .where(CreditNote.invoice == invoice.id)
        .group_by(CreditNoteLine.invoice_line)
    )
    rows: list[tuple[int, int, int]] = list(query.tuples().execute())
    for line_id, subtotal, tax in rows:
        taken[int(line_id)] = (int(subtotal), int(tax))
    return [
        LineLeft(
            line,
            line.subtotal_cents - taken.get(line.id, (0, 0))[0],
            line.tax_cents - taken.get(line.id, (0, 0))[1],
        )
        for line in lines_of(invoice)
    ]


def creditable_cents(invoice: Invoice) -> int:
    """What credit notes can still take off ``invoice``, tax included."""
    return invoice.total_cents - invoice.credited_cents


def credit_invoice(
    invoice: Invoice,
    reason: str,
    lines: Sequence[LineCredit] | None = None,
    *,
    staff: Staff | None = None,
    now: datetime | None = None,
) -> CreditNote:
    """Issue a credit note on ``invoice``: for what is left of every line when ``lines`` is None,
    else for the chosen lines and amounts. Refused with the reason for a draft or void invoice, an
    empty reason, an unknown line, or more than a line has left."""
    now = now or utcnow()
    reason = reason.strip()
    if not reason:
        raise ValidationError("reason", N_("a credit note needs a reason"))
    if len(reason) > REASON_MAX:
        raise ValidationError("reason", N_("the reason is longer than {max} characters"), max=REASON_MAX)
    with db.atomic():
        current = reload_locked(invoice)
        if current.status not in CREDITABLE:
            raise TransitionError(
                N_("invoice {invoice} is {status}: only a billed or paid invoice takes a credit note"),
                invoice=describe(current),
                status=INVOICE_STATUS[current.status],
            )
        company = current.billing_company
        money = partial(Money, currency=current.currency, country=company.clinic.country)
        amounts = _amounts(lines_left(current), lines, money)
        subtotal = sum(amount[1] for amount in amounts)
        tax = sum(amount[2] for amount in amounts)
        if subtotal + tax <= 0:
            raise ValidationError(
                "lines", N_("invoice {invoice} has nothing left to credit"), invoice=current.number
            )
        issue_date = clinic_today(company.clinic, now)
        note = CreditNote.create(
            number=take_next_credit_number(company, issue_date.year),
            invoice=current,
            billing_company=company,
            currency=current.currency,
            reason=reason,
            issue_date=issue_date,
            subtotal_cents=subtotal,
            tax_cents=tax,
            total_cents=subtotal + tax,
            created_by=staff,
            created_at=now,
        )
        CreditNoteLine.insert_many(
            [
                {
                    "credit_note": note.id,
                    "invoice_line": left.line.id,
                    "position": position,
                    "code": left.line.code,
                    "description": left.line.description,
                    "tax_rate": left.line.tax_rate,
                    "subtotal_cents": line_subtotal,
                    "tax_cents": line_tax,
                }
                for position, (left, line_subtotal, line_tax) in enumerate(amounts, start=1)
            ]
        ).execute()
        credited = current.credited_cents + subtotal + tax
        Invoice.update(
            credited_cents=credited,
            status=settled_status(current.total_cents, credited, current.paid_cents).value,
            updated_at=now,
            version=Invoice.version + 1,
        ).where(Invoice.id == current.id).execute()
    return note


def _amounts(
    left: list[LineLeft], chosen: Sequence[LineCredit] | None, money: Callable[[int], Money]
) -> list[tuple[LineLeft, int, int]]:
    """(line, subtotal, tax) to credit, in the invoice's line order. A line credited in full gives
    back exactly the tax it has left; a part of a line gives back the same part of its tax."""
    by_position = {item.line.position: item for item in left}
    if chosen is None:
        return [
            (item, item.subtotal_cents, item.tax_cents)
            for item in left
            if item.subtotal_cents + item.tax_cents
        ]
    wanted: dict[int, int | None] = {}
    for credit in chosen:
        item = by_position.get(credit.position)
        if item is None:
            raise ValidationError("lines", N_("the invoice has no line {position}"), position=credit.position)
        if credit.position in wanted:
            raise ValidationError(
                "lines", N_("line {position} is given more than once"), position=credit.position
            )
        wanted[credit.position] = credit.subtotal_cents
    result = []
    for item in left:
        if item.line.position not in wanted:
            continue
        amount = wanted[item.line.position]
        full = item.subtotal_cents if amount is None else amount
        if amount is not None and amount <= 0:
            raise ValidationError(
                "lines",
                N_("line {position}: the amount to credit must be above zero"),
                position=item.line.position,
            )
        if full > item.subtotal_cents or (amount is None and item.subtotal_cents + item.tax_cents <= 0):
            raise ValidationError(
                "lines",
                N_("line {position}: at most {left} before tax is left to credit"),
                position=item.line.position,
                left=money(item.subtotal_cents),
            )
        tax = credited_tax(
            full, item.subtotal_cents, item.tax_cents, item.line.subtotal_cents, item.line.tax_cents
        )
        result.append((item, full, tax))
    return result


def credited_tax(
    amount_cents: int, left_cents: int, left_tax_cents: int, line_cents: int, line_tax_cents: int
) -> int:
    """The tax that goes with crediting ``amount_cents`` of a line that has ``left_cents`` (and
    ``left_tax_cents``) left of its ``line_cents`` and ``line_tax_cents``: all the tax left when the
    rest is credited, else the line's own ratio of tax to amount, rounded once, never past what is
    left (the TUI shows the total a note will credit with it before it is issued)."""
    if amount_cents == left_cents:
        return left_tax_cents
    if line_cents <= 0:
        return 0
    return min(left_tax_cents, round_cents(Decimal(amount_cents) * line_tax_cents / line_cents))


def note_taxes(note: CreditNote) -> list[TaxResult]:
    """What the note takes back of each of the invoice's taxes, as the invoice printed them: the
    credited amounts of the lines each tax applies to (its base), and that tax's share of their
    credited tax, in the invoice's own ratio of that tax to its base; shares rounded once and then
    kept to the note's tax total (the largest takes the cent or two of difference)."""
    taxes = invoice_taxes(fk_id(note, "invoice"))
    bases = [0] * len(taxes)
    for line in note_lines(note):
        invoice_line = line.invoice_line
        codes = split_codes(invoice_line.tax_codes or "")
        for index, tax in enumerate(taxes):
            applies = tax.code in codes if tax.code else (not codes and tax.rate == invoice_line.tax_rate)
            if applies and line.tax_cents:
                bases[index] += line.subtotal_cents
    shares = [
        round_cents(Decimal(base) * tax.tax_cents / tax.base_cents) if tax.base_cents else 0
        for base, tax in zip(bases, taxes, strict=True)
    ]
    if any(bases):
        largest = max(range(len(shares)), key=lambda i: (shares[i], bases[i]))
        shares[largest] += note.tax_cents - sum(shares)
    return [
        replace(tax, base_cents=base, tax_cents=share)
        for tax, base, share in zip(taxes, bases, shares, strict=True)
        if base
    ]


def notes_of(invoice: Invoice) -> list[CreditNote]:
    return list(CreditNote.select().where(CreditNote.invoice == invoice.id).order_by(CreditNote.id))


def note_lines(note: CreditNote) -> list[CreditNoteLine]:
    """A credit note's lines, each with its invoice line (``line.invoice_line.position``) read along."""
    return list(
        CreditNoteLine.select(CreditNoteLine, InvoiceLine)
        .join(InvoiceLine)
        .where(CreditNoteLine.credit_note == note.id)
        .order_by(CreditNoteLine.position)
    )


def find_credit_note(number: str) -> CreditNote:
    note = CreditNote.get_or_none(CreditNote.number == number.strip())
    if note is None:
        raise NotFoundError(N_("no credit note {number}"), number=number.strip())
    return note

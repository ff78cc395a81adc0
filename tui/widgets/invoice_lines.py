"""The lines of an invoice being written: one compact row per line, its total as you type."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Input, Label, Static

from locales import N_
from models.billing.invoicing import LineInput, taxed_lines
from models.billing.tax_computation import TaxResult
from models.billing.taxes import join_codes
from models.core.errors import ValidationError
from models.views.invoice_editing import LineFields, TaxChoice, parse_line
from tui.session import StaffSession
from tui.widgets.money_format import MoneyFormat

# (field, msgid of its column heading, CSS class giving its width)
COLUMNS = (
    ("code", N_("Code"), "col-code"),
    ("description", N_("Description"), "col-description"),
    ("quantity", N_("Qty"), "col-quantity"),
    ("unit_price", N_("Unit price"), "col-price"),
    ("taxes", N_("Taxes"), "col-tax"),  # the codes of its taxes: GST+QST; blank: exempt
)


class InvoiceLineRow(Vertical):
    """One line: code, description, quantity, unit price, its taxes' codes, and its total (or why it
    has none); ``exempt`` is what a line without taxes shows."""

    def __init__(self, fields: LineFields, exempt: str = "") -> None:
        super().__init__(classes="line-row")
        self.initial = fields
        self.exempt = exempt

    def compose(self) -> ComposeResult:
        with Horizontal(classes="line-inputs"):
            for name, _msgid, width in COLUMNS:
                placeholder = self.exempt if name == "taxes" else ""
                yield Input(
                    getattr(self.initial, name),
                    placeholder=placeholder,
                    compact=True,
                    classes=f"line-{name} {width}",
                )
            yield Static("", classes="line-total col-total", markup=False)
        yield Static("", classes="line-error", markup=False)

    def input(self, name: str) -> Input:
        return self.query_one(f".line-{name}", Input)

    def fields(self) -> LineFields:
        return LineFields(**{name: self.input(name).value for name, _m, _w in COLUMNS})

    def show_errors(self, errors: list[ValidationError], text: str | None) -> None:
        refused = {error.field for error in errors}
        for name, _msgid, _width in COLUMNS:
            self.input(name).set_class(name in refused, "-refused")
        self.query_one(".line-error", Static).update(text or "")
        self.set_class(bool(errors), "-has-error")


class InvoiceLinesEditor(Vertical):
    """Rows of lines with headings; posts ``Changed`` on every keystroke so totals follow."""

    DEFAULT_CSS = """
    InvoiceLinesEditor { height: auto; }
    InvoiceLinesEditor .line-head, InvoiceLinesEditor .line-inputs { height: 1; }
    InvoiceLinesEditor .line-head Label { color: $text-muted; text-style: bold; }
    InvoiceLinesEditor .line-row { height: auto; }
    InvoiceLinesEditor .line-head > *, InvoiceLinesEditor .line-inputs > * { margin-right: 1; }
    InvoiceLinesEditor .col-code { width: 8; }
    InvoiceLinesEditor .col-description { width: 1fr; min-width: 12; }
    InvoiceLinesEditor .col-quantity { width: 5; }
    InvoiceLinesEditor .col-price { width: 10; }
    InvoiceLinesEditor .col-tax { width: 9; }
    InvoiceLinesEditor .col-total { width: 12; text-align: right; margin-right: 0; }
    InvoiceLinesEditor .line-error { display: none; color: $text-error; }
    InvoiceLinesEditor .-has-error .line-error { display: block; }
    InvoiceLinesEditor Input.-refused { background: $error 35%; }
    InvoiceLinesEditor .lines-empty { color: $text-muted; }
    """

    class Changed(Message):
        """A line was typed in, added or removed."""

    def __init__(self, session: StaffSession, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.session = session
        self.money: MoneyFormat | None = None
        self.tax_choice: TaxChoice | None = None  # the company's taxes: codes are checked against them
        self.taxes: list[TaxResult] = []  # each tax of the readable lines, as billing will store it

    def compose(self) -> ComposeResult:
        with Horizontal(classes="line-head"):
            for _name, msgid, width in COLUMNS:
                yield Label(self.session.tr.gettext(msgid), classes=width)
            yield Label(self.session.tr.gettext(N_("Total")), classes="col-total")
        yield Static("", classes="lines-empty")

    def on_mount(self) -> None:
        self.apply_texts()

    def apply_texts(self) -> None:
        tr = self.session.tr
        heads = self.query_one(".line-head").query(Label)
        for label, msgid in zip(heads, [*(c[1] for c in COLUMNS), N_("Total")], strict=True):
            label.update(tr.gettext(msgid))
        for row in self.rows:
            row.input("taxes").placeholder = tr.gettext(N_("exempt"))
        self._show_empty()

    @property
    def rows(self) -> list[InvoiceLineRow]:
        return list(self.query(InvoiceLineRow))

    def set_taxes(self, choice: TaxChoice | None) -> None:
        """The chosen company's taxes; a new line starts with its default codes."""
        self.tax_choice = choice

    def new_line_fields(self) -> LineFields:
        return LineFields(taxes=join_codes(self.tax_choice.defaults) if self.tax_choice else "")

    async def add_line(self, fields: LineFields | None = None, *, focus: bool = True) -> InvoiceLineRow:
        exempt = self.session.tr.gettext(N_("exempt"))
        row = InvoiceLineRow(fields or self.new_line_fields(), exempt)
        await self.mount(row)
        self._show_empty()
        if focus:
            row.input("code").focus()
        self.post_message(self.Changed())
        return row

    async def set_lines(self, lines: list[LineFields]) -> None:
        await self.query(InvoiceLineRow).remove()
        for fields in lines:
            await self.add_line(fields, focus=False)
        self._show_empty()

    async def remove_line(self, row: InvoiceLineRow) -> None:
        rows = self.rows
        index = rows.index(row)
        await row.remove()
        rest = self.rows
        if rest:
            rest[min(index, len(rest) - 1)].input("description").focus()
        self._show_empty()
        self.post_message(self.Changed())

    def row_of(self, widget: object) -> InvoiceLineRow | None:
        """The row holding ``widget`` (the focused input), if any."""
        node = widget
        while node is not None and node is not self:
            if isinstance(node, InvoiceLineRow):
                return node
            node = getattr(node, "parent", None)
        return None

    def _show_empty(self) -> None:
        empty = self.query_one(".lines-empty", Static)
        empty.display = not self.rows
        empty.update(self.session.tr.gettext(N_("No lines yet: Ctrl+N adds one")))

    def values(self) -> list[LineFields]:
        return [row.fields() for row in self.rows]

    @on(Input.Changed)
    def line_typed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(self.Changed())

    def refresh_totals(self, money: MoneyFormat) -> tuple[int, int, bool]:
        """Show each line's total; return (subtotal, tax, every line readable) over the readable ones."""
        self.money = money
        readable = True
        parsed: list[tuple[Static, LineInput]] = []
        for row in self.rows:
            fields = row.fields()
            total = row.query_one(".line-total", Static)
            if fields.is_blank:
                total.update("")
                continue
            line, _errors = parse_line(fields, money.currency, self.tax_choice)
            if line is None:
                readable = False
                total.update("—")
                continue
            parsed.append((total, line))
        # each tax on the sum of its lines, rounded once: the totals billing will store
        rules = self.tax_choice.rules if self.tax_choice else {}
        amounts, self.taxes = taxed_lines([line for _, line in parsed], rules)
        for (total, _line), (line_subtotal, line_tax) in zip(parsed, amounts, strict=True):
            total.update(money(line_subtotal + line_tax))
        return sum(a[0] for a in amounts), sum(a[1] for a in amounts), readable

    def checked_lines(self, currency: str) -> tuple[list[LineInput], bool]:
        """Every line parsed, each refused one marked and explained; blank rows are skipped."""
        tr = self.session.tr
        lines: list[LineInput] = []
        ok = True
        for position, row in enumerate(self.rows, start=1):
            fields = row.fields()
            if fields.is_blank:
                row.show_errors([], None)
                continue
            line, errors = parse_line(fields, currency, self.tax_choice)
            if line is None:
                ok = False
                labels = {name: tr.gettext(msgid) for name, msgid, _w in COLUMNS}
                text = tr.format(
                    N_("line {position}: {problems}"),
                    position=position,
                    problems="; ".join(
                        tr.format(N_("{field}: {problem}"), field=labels[e.field], problem=e.render(tr))
                        for e in errors
                    ),
                )
                row.show_errors(errors, text)
            else:
                row.show_errors([], None)
                lines.append(line)
        return lines, ok

"""How a screen names one tax of an invoice: ``TPS (5 %) sur 100,00 $``, as the PDF prints it."""

from __future__ import annotations

from locales import N_, Translator
from models.billing.tax_computation import TaxResult
from tui.widgets.money_format import MoneyFormat


def tax_label(result: TaxResult, tr: Translator, money: MoneyFormat) -> str:
    """The tax's name in the reader's language, its rate and its base; a bare rate (a line written
    before named taxes) reads "Tax (14,975 %) on …"."""
    rate, base = money.percent(result.rate), money(result.base_cents)
    if not result.code:
        return tr.format(N_("Tax ({rate}) on {base}"), rate=rate, base=base)
    return tr.format(N_("{name} ({rate}) on {base}"), name=result.name(tr.language), rate=rate, base=base)

"""The Communications screen's table: scheduled messages read off the UI thread, paged by keyset.

``fetch_rows`` runs in a worker and returns plain ``ScheduledRow`` records (a page of the
``models.views.scheduled_queries`` order: waiting ones soonest first, the others latest first);
a waiting row also says when it really goes and what staff should know (``scheduled_plan``).
``ScheduledTable.show`` draws them and keeps the cursor on its row across refreshes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from locales import L_, LazyText, Translator
from locales.formatting import format_datetime
from models.admin.templates import display_name
from models.billing.invoicing import find_invoice
from models.core.enums import OutboxStatus, ScheduleStatus
from models.database.base import fk_id
from models.messaging.schedule_reasons import reason_text
from models.views.scheduled_plan import UPCOMING_DAYS, Plan, plan_rows
from models.views.scheduled_queries import outbox_of, scheduled_query, status_label
from tui.session import StaffSession
from tui.widgets.fitted_table import FittedTable
from tui.widgets.transmission_log import shorten

WIDE = 110
TITLES: dict[str, LazyText] = {
    "when": L_("When"),
    "goes": L_("Goes out"),
    "warning": L_("Warning"),
    "number": L_("Invoice"),
    "template": L_("Template"),
    "status": L_("Status"),
    "recipient": L_("Recipient"),
    "reason": L_("Reason"),
}
# By (waiting view, wide): a waiting row's status is always "scheduled"; when it goes and its
# warnings say more. At 80 columns the reason and the full warnings are in the details below.
LAYOUTS = {
    (False, False): ("when", "number", "template", "status", "reason"),
    (False, True): ("when", "number", "template", "status", "reason", "recipient"),
    (True, False): ("goes", "number", "template", "warning"),
    (True, True): ("goes", "number", "template", "warning", "reason", "recipient"),
}
# The waiting view's scope: what falls due in the next days, or everything.
SCOPE_CHOICES: dict[str, LazyText] = {
    str(UPCOMING_DAYS): L_("next 30 days"),
    "all": L_("all to come"),
}
# The choices of the status filter in the "done" view: what happened to the row, or, once
# queued, what happened to its email.
DONE_CHOICES: dict[str, LazyText] = {
    "sent": L_("sent"),
    "failed": L_("failed"),
    "pending": L_("pending"),
    "enqueued": L_("queued"),
    "skipped": L_("skipped"),
    "cancelled": L_("cancelled"),
    "replaced": L_("replaced"),
}
# the email's status; the others are the row's
DELIVERY_CHOICES = frozenset({"sent", "failed", "pending", "replaced"})


@dataclass(frozen=True)
class Filters:
    """``waiting``: the messages still to go (else the ones done); ``status`` a ``DONE_CHOICES`` key;
    ``days``: the waiting ones due within that many days (None: all)."""

    waiting: bool = True
    status: str | None = None
    invoice: str = ""
    days: int | None = UPCOMING_DAYS


@dataclass(frozen=True)
class PauseShown:
    """The pause holding a waiting reminder: its id, on the invoice (else on the patient), until when."""

    id: int
    on_invoice: bool
    until: date


@dataclass(frozen=True)
class ScheduledRow:
    id: int
    due_at: datetime
    invoice_id: int
    number: str
    template: str
    status: str
    waiting: bool
    recipient: str
    reason: str
    patient_id: int = 0
    patient_name: str = ""
    goes_at: datetime | None = None  # waiting rows: when it really goes
    labels: tuple[str, ...] = ()  # waiting rows: each warning, short
    warnings: tuple[str, ...] = ()  # and in full
    pause: PauseShown | None = None


def fetch_rows(
    filters: Filters,
    tr: Translator,
    *,
    now: datetime,
    after: tuple[datetime, int] | None,
    limit: int,
) -> list[ScheduledRow]:
    """A page of rows for ``filters`` at ``now``; ``NotFoundError`` when the typed invoice does not
    exist."""
    invoice = find_invoice(filters.invoice) if filters.invoice.strip() else None
    status = delivery = None
    if filters.status in DELIVERY_CHOICES:
        delivery = OutboxStatus(filters.status)
    elif filters.status:
        status = ScheduleStatus(filters.status)
    query = scheduled_query(
        upcoming=filters.waiting,
        status=status,
        delivery=delivery,
        invoice=invoice,
        due_before=now + timedelta(days=filters.days) if filters.waiting and filters.days else None,
        after=after,
        limit=limit,
    )
    found = list(query)
    plans = plan_rows(found, now, tr.language) if filters.waiting else {}
    rows = []
    for row in found:
        message = outbox_of(row)
        plan = plans.get(row.id)
        warnings = plan.warnings if plan is not None else ()
        rows.append(
            ScheduledRow(
                id=row.id,
                due_at=row.due_at,
                invoice_id=fk_id(row, "invoice"),
                number=row.invoice.number or f"#{fk_id(row, 'invoice')}",
                template=display_name(row.template, tr),
                status=tr.gettext(status_label(row.status, message)),
                waiting=row.status == ScheduleStatus.SCHEDULED,
                recipient=(message.recipient_email or "") if message else (row.invoice.billed_to_email or ""),
                reason=reason_text(row.reason, tr),
                patient_id=fk_id(row.invoice, "patient"),
                patient_name=row.invoice.patient.full_name,
                goes_at=plan.goes_at if plan is not None else None,
                labels=tuple(tr.gettext(warning.short) for warning in warnings),
                warnings=tuple(warning.render(tr) for warning in warnings),
                pause=_pause_shown(plan),
            )
        )
    return rows


def _pause_shown(plan: Plan | None) -> PauseShown | None:
    pause = plan.pause if plan is not None else None
    if pause is None:
        return None
    return PauseShown(pause.id, fk_id(pause, "invoice") is not None, pause.resume_on)


class ScheduledTable(FittedTable):
    """Rows keyed by id; ``show`` keeps the cursor on the same row when it is still there."""

    DEFAULT_CSS = """
    ScheduledTable { height: 1fr; }
    """

    def __init__(self, session: StaffSession, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.session = session
        self.wide = False
        self.waiting = True
        self.rows_shown: list[ScheduledRow] = []

    def layout_for(self, width: int, waiting: bool) -> None:
        wide = width >= WIDE
        if wide != self.wide or waiting != self.waiting or not self.columns:
            self.wide, self.waiting = wide, waiting
            self.apply_texts()

    def apply_texts(self) -> None:
        tr = self.session.tr
        self.clear(columns=True)
        for key in LAYOUTS[self.waiting, self.wide]:
            self.add_column(tr.gettext(TITLES[key]), key=key)
        rows, self.rows_shown = self.rows_shown, []
        self.show(rows)

    @property
    def selected(self) -> ScheduledRow | None:
        if not self.rows_shown or not 0 <= self.cursor_row < len(self.rows_shown):
            return None
        return self.rows_shown[self.cursor_row]

    def show(self, rows: list[ScheduledRow]) -> None:
        if rows == self.rows_shown:
            return
        shown = len(self.rows_shown)
        if shown and rows[:shown] == self.rows_shown:  # a next page: added below, the cursor stays
            self.rows_shown = list(rows)
            for row in rows[shown:]:
                self._add(row)
            return
        current = self.selected
        self.rows_shown = list(rows)
        self.clear()
        for row in rows:
            self._add(row)
        if current is not None:
            for index, row in enumerate(rows):
                if row.id == current.id:
                    self.move_cursor(row=index, animate=False, scroll=False)
                    break

    def _add(self, row: ScheduledRow) -> None:
        session = self.session
        tr = session.tr
        labels = row.labels[:1] + ((f"+{len(row.labels) - 1}",) if len(row.labels) > 1 else ())
        cells = {
            "when": format_datetime(row.due_at, session.timezone, tr.language, session.country, "short"),
            "goes": format_datetime(
                row.goes_at or row.due_at, session.timezone, tr.language, session.country, "short"
            ),
            "warning": shorten(" ".join(labels), 28 if self.wide else 16),
            "number": row.number,
            "template": shorten(row.template, 28 if self.wide else 18 if self.waiting else 20),
            "status": row.status,
            "recipient": shorten(row.recipient or "—", 28),
            "reason": shorten(row.reason, 60 if self.wide else 40),
        }
        self.add_row(*(cells[key] for key in LAYOUTS[self.waiting, self.wide]), key=str(row.id))

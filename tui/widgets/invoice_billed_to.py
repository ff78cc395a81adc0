"""Who the invoice is addressed to: the patient, or a third party with its own contact."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Checkbox, Input, Select

from locales import N_
from models.billing.invoicing import BilledTo
from models.core.errors import ValidationError
from tui.session import StaffSession
from tui.widgets.invoice_field import FormField

LANGUAGES = (("fr", N_("French")), ("en", N_("English")))
FIELDS = ("billed_to_name", "billed_to_email", "billed_to_phone", "billed_to_language")


class BilledToFields(Vertical):
    """A checkbox; checked, the third party's name, email, cell phone and language."""

    DEFAULT_CSS = """
    BilledToFields { height: auto; }
    BilledToFields #third-party-fields { height: auto; display: none; }
    BilledToFields.-third-party #third-party-fields { display: block; }
    BilledToFields Checkbox { border: none; padding: 0; margin-left: 16; }
    """

    def __init__(self, session: StaffSession, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.session = session

    def compose(self) -> ComposeResult:
        session = self.session
        yield Checkbox("", id="third-party", compact=True)
        with Vertical(id="third-party-fields"):
            yield FormField(
                N_("Name"), Input(compact=True, id="billed_to_name"), session, field="billed_to_name"
            )
            yield FormField(
                N_("Email"), Input(compact=True, id="billed_to_email"), session, field="billed_to_email"
            )
            yield FormField(
                N_("Cell phone"), Input(compact=True, id="billed_to_phone"), session, field="billed_to_phone"
            )
            yield FormField(
                N_("Language"),
                Select(
                    [(session.tr.gettext(label), code) for code, label in LANGUAGES],
                    allow_blank=False,
                    value=session.clinic.default_language,
                    compact=True,
                    id="billed_to_language",
                ),
                session,
                field="billed_to_language",
            )

    def on_mount(self) -> None:
        self.apply_texts()

    def apply_texts(self) -> None:
        tr = self.session.tr
        self.query_one(Checkbox).label = tr.gettext(N_("Bill a third party (insurer, parent, employer)"))
        select = self.query_one("#billed_to_language", Select)
        value = select.value
        select.set_options((tr.gettext(label), code) for code, label in LANGUAGES)
        if value != Select.NULL:
            select.value = value

    @property
    def third_party(self) -> bool:
        return self.query_one(Checkbox).value

    @on(Checkbox.Changed, "#third-party")
    def toggle(self, event: Checkbox.Changed) -> None:
        self.set_class(event.value, "-third-party")

    def set_billed_to(self, billed_to: BilledTo | None) -> None:
        self.query_one(Checkbox).value = billed_to is not None
        self.set_class(billed_to is not None, "-third-party")
        if billed_to is None:
            return
        self.query_one("#billed_to_name", Input).value = billed_to.name
        self.query_one("#billed_to_email", Input).value = billed_to.email or ""
        self.query_one("#billed_to_phone", Input).value = billed_to.phone or ""
        if billed_to.language:
            self.query_one("#billed_to_language", Select).value = billed_to.language

    def texts(self) -> tuple[str, str, str, str]:
        """(name, email, phone, language) as typed."""
        language = self.query_one("#billed_to_language", Select).value
        return (
            self.query_one("#billed_to_name", Input).value,
            self.query_one("#billed_to_email", Input).value,
            self.query_one("#billed_to_phone", Input).value,
            "" if language == Select.NULL else str(language),
        )

    def show_errors(self, errors: list[ValidationError]) -> None:
        tr = self.session.tr
        by_field = {error.field: error.render(tr) for error in errors}
        for field in FIELDS:
            self.query_one(f"#field-{field}", FormField).show_error(by_field.get(field))

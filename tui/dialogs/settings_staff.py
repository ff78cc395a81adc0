"""``StaffDialog``: add a staff member (login, name, roles, language) or edit one (and deactivate).

The self and last-admin rules live in ``models.admin.settings``; their refusal is shown on the
roles or active field with the reason.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Checkbox, Input, Select

from locales import N_
from models.admin.settings import StaffInput, add_staff_member, edit_staff
from models.core.enums import Role
from models.people.clinic import Staff
from tui.dialogs.settings_form import SettingsDialog, language_options
from tui.session import ROLE_LABELS, StaffSession
from tui.widgets.invoice_field import FormField


class StaffDialog(SettingsDialog):
    """Dismisses with ``True`` once saved; ``staff`` ``None`` adds one."""

    def __init__(self, session: StaffSession, staff: Staff | None = None) -> None:
        super().__init__(session)
        self.staff = staff

    def title_text(self) -> str:
        tr = self.session.tr
        if self.staff is None:
            return tr.gettext(N_("New staff member"))
        return tr.format(N_("Staff member: {login}"), login=self.staff.login)

    def fields(self) -> ComposeResult:
        tr = self.session.tr
        staff = self.staff
        session = self.session
        login = Input(
            staff.login if staff else "",
            placeholder=tr.gettext(N_("their Unix user name")),
            compact=True,
            id="staff-login",
        )
        login.disabled = staff is not None  # the login is who they are over SSH; add a new record instead
        yield FormField(N_("Login"), login, session, field="login")
        yield FormField(
            N_("Display name"),
            Input(staff.display_name if staff else "", compact=True, id="staff-name"),
            session,
            field="display_name",
        )
        roles = staff.role_set if staff else frozenset({Role.BILLING})
        checkboxes = [
            Checkbox(
                tr.gettext(ROLE_LABELS[role]), role in roles, id=f"staff-role-{role.value}", compact=True
            )
            for role in Role
        ]
        yield FormField(
            N_("Roles"), Horizontal(*checkboxes, classes="settings-roles"), session, field="roles"
        )
        yield FormField(
            N_("Language"),
            Select(
                language_options(session),
                allow_blank=False,
                value=staff.language if staff else session.clinic.default_language,
                compact=True,
                id="staff-language",
            ),
            session,
            field="language",
        )
        if staff is not None:
            yield FormField(
                N_("Active"),
                Checkbox(tr.gettext(N_("May use Facteur")), staff.active, id="staff-active", compact=True),
                session,
                field="active",
            )

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#staff-name" if self.staff else "#staff-login", Input).focus()

    def read(self) -> tuple[str, StaffInput]:
        roles = [role.value for role in Role if self.query_one(f"#staff-role-{role.value}", Checkbox).value]
        language = self.query_one("#staff-language", Select).value
        active = self.query_one("#staff-active", Checkbox).value if self.staff else True
        data = StaffInput(
            display_name=self.query_one("#staff-name", Input).value,
            roles=roles,
            language=str(language) if language != Select.NULL else "",
            active=active,
        )
        return self.query_one("#staff-login", Input).value, data

    def write_data(self, data: object) -> None:
        assert isinstance(data, tuple)
        login: str = data[0]
        values: StaffInput = data[1]
        acting = self.session.staff
        if self.staff is None:
            add_staff_member(login, values, acting=acting)
        else:
            edit_staff(self.staff.id, values, acting=acting)

"""Who is using the TUI: the staff member, their roles and language, and the clinic's settings.

Screens receive one ``StaffSession`` from the app; nothing else is shared between them.
"""

from __future__ import annotations

from dataclasses import dataclass

from locales import L_, N_, LazyText, Translator, translator
from models.core.config import Config
from models.core.enums import Role
from models.core.errors import FacteurError
from models.people.clinic import Clinic, Staff

ROLE_LABELS: dict[Role, LazyText] = {
    Role.ADMIN: L_("admin"),
    Role.BILLING: L_("billing"),
    Role.PROVIDER: L_("provider"),
}


class RoleDenied(FacteurError):
    """The staff member lacks the role an action needs; the message says which."""


@dataclass
class StaffSession:
    config: Config
    staff: Staff
    clinic: Clinic

    @property
    def tr(self) -> Translator:
        """The staff member's language, then the clinic's, then French; follows live catalog edits."""
        return translator(self.staff.language, self.clinic.default_language)

    @property
    def country(self) -> str:
        return self.clinic.country

    @property
    def timezone(self) -> str:
        return self.clinic.timezone

    def has(self, role: Role) -> bool:
        return self.staff.has_role(role)

    @property
    def is_admin(self) -> bool:
        return self.has(Role.ADMIN)

    def require(self, role: Role) -> None:
        """Raise ``RoleDenied`` saying which role the action needs and that this person lacks it."""
        if not self.has(role):
            raise RoleDenied(
                N_("{name} does not have the {role} role this needs; an admin can grant it in Settings"),
                name=self.staff.display_name,
                role=ROLE_LABELS[role],
            )

    def may_edit_invoice_of(self, provider_id: int | None) -> bool:
        """Billing staff edit every invoice; a provider without billing only their own."""
        if self.has(Role.BILLING):
            return True
        return self.has(Role.PROVIDER) and provider_id == self.staff.id

"""The portal database's upgrades, each written as the schema was on its day (never today's models).

``PRAGMA user_version`` says which schema a ``portal.db`` has; ``upgrade`` brings one from
``version`` to the current one, inside the caller's transaction.

- **2**: each link's ``pin_hash`` wrapped under the pepper (``pin_pepper`` its version), so live
  links keep their PIN; and ``key_verifier``, the proof a change to a link must bring. A link
  published before it has no link key of its token: its verifier comes from its PIN's keyed hash
  (``secure_link.legacy_link_key``), which the clinic kept too and the API never hands out.
- **3**: ``webhook_event``, Stripe's events the webhook keeps for the agent (a new table, made with
  the others by ``prepare_portal_schema``).
- **4**: ``pay_door`` and ``pay_session``, the invoices' Pay pages and the sessions they made (new
  tables, likewise).
- **5**: ``pay_door.expires_at``, when a Pay page stops offering to pay (a year after the invoice's
  issue date); the pages kept before it have none until the agent's next push.
- **6**: ``pay_door.kind``, ``invoice`` or ``statement``: a statement of account's page says so.
- **7**: ``link.revoked_reason``, why a link was revoked: ``replaced`` (a newer link named it in its
  ``revokes``) or ``clinic`` (the clinic revoked it). The links revoked before it were all
  ``replaced``, as their page said (the portal did not record why): they keep saying so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import peewee

from models.messaging.secure_link import legacy_link_key, link_key_verifier

if TYPE_CHECKING:
    from portal.pepper import Peppers


def upgrade(database: peewee.SqliteDatabase, version: int, peppers: Peppers) -> None:
    """Bring a database of schema ``version`` to the current one."""
    if version < 2:
        _to_2(database, peppers)
    if 4 <= version < 5:  # before 4 the table is made whole with the others
        database.execute_sql("ALTER TABLE pay_door ADD COLUMN expires_at DATETIME")
    if 4 <= version < 6:
        database.execute_sql("ALTER TABLE pay_door ADD COLUMN kind VARCHAR(9) NOT NULL DEFAULT 'invoice'")
    if version < 7:
        database.execute_sql("ALTER TABLE link ADD COLUMN revoked_reason VARCHAR(8)")
        database.execute_sql("UPDATE link SET revoked_reason = 'replaced' WHERE revoked_at IS NOT NULL")


def _to_2(database: peewee.SqliteDatabase, peppers: Peppers) -> None:
    database.execute_sql("ALTER TABLE link ADD COLUMN pin_pepper INTEGER")
    database.execute_sql("ALTER TABLE link ADD COLUMN key_verifier VARCHAR(64)")
    links = database.execute_sql("SELECT id, pin_hash FROM link WHERE pin_hash != ''").fetchall()
    database.connection().executemany(
        "UPDATE link SET pin_hash = ?, pin_pepper = ?, key_verifier = ? WHERE id = ?",
        [
            (peppers.wrap(pin_hash), peppers.current, link_key_verifier(legacy_link_key(pin_hash)), link_id)
            for link_id, pin_hash in links
        ],
    )

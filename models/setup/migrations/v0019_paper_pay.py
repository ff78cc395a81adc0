"""Version 19: paper that pays. Each billing company gets its Swiss QR-bill creditor (an account and
a structured address, all empty: no payment part until an admin sets them), and every billed
invoice without a Pay page gets one, as billing makes one from now on, so its printed QR code
leads somewhere (the agent tells the portal of it at its next round)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime

import peewee

VERSION = 19

# The columns as they were on the day this was written, not today's models.
_COLUMNS = (
    "qr_account VARCHAR(34) NOT NULL DEFAULT ''",
    "qr_reference VARCHAR(4) NOT NULL DEFAULT 'scor' CHECK (qr_reference IN ('qrr', 'scor'))",
    "qr_street VARCHAR(70) NOT NULL DEFAULT ''",
    "qr_house_number VARCHAR(16) NOT NULL DEFAULT ''",
    "qr_postal_code VARCHAR(16) NOT NULL DEFAULT ''",
    "qr_city VARCHAR(35) NOT NULL DEFAULT ''",
    "qr_country VARCHAR(2) NOT NULL DEFAULT 'CH'",
)


def apply(database: peewee.Database) -> None:
    for column in _COLUMNS:
        database.execute_sql(f"ALTER TABLE billing_company ADD COLUMN {column}")
    _open_doors(database)


def _open_doors(database: peewee.Database) -> None:
    """A Pay page for each billed invoice without one: a fresh token, tag and key, as
    ``models.links.pay_doors.open_door`` makes them (the token's hash is its SHA-256, hex)."""
    rows = database.execute_sql(
        "SELECT invoice.id FROM invoice LEFT JOIN pay_door ON pay_door.invoice_id = invoice.id "
        "WHERE invoice.status = 'billed' AND pay_door.id IS NULL ORDER BY invoice.id"
    ).fetchall()
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(" ")  # naive UTC, as the models store times
    mark = database.param
    insert = (  # only the driver's placeholder is put in: the values go as parameters
        "INSERT INTO pay_door (invoice_id, token, token_hash, tag, sign_key, version, pushed_state, "  # noqa: S608
        f"created_at) VALUES ({mark}, {mark}, {mark}, {mark}, {mark}, 0, '', {mark})"
    )
    for (invoice_id,) in rows:
        token = secrets.token_urlsafe(32)
        digest = hashlib.sha256(token.encode("utf-8")).hexdigest()
        database.execute_sql(
            insert, (invoice_id, token, digest, secrets.token_hex(12), secrets.token_hex(32), now)
        )

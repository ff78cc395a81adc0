"""Version 4: indexes for the History's sort orders by total and by balance (what is owed).

With them, a page of 100,000 invoices sorted by total or balance reads LIMIT rows from an
index instead of sorting the whole table.
"""

from __future__ import annotations

import peewee
from playhouse.migrate import SchemaMigrator, migrate

VERSION = 4

# As written on the day (a migration never changes); the model (models.billing.invoice) declares
# the same index for a new database, and tests/models check the two schemas agree.
BALANCE_INDEX_SQL = (
    'CREATE INDEX IF NOT EXISTS "invoice_balance" ON "invoice" '
    '((CASE WHEN "status" = \'void\' THEN 0 ELSE "total_cents" - "paid_cents" END))'
)


def apply(database: peewee.Database) -> None:
    # The columns as they were on the day this was written: invoice.total_cents, status, paid_cents.
    migrator = SchemaMigrator.from_database(database)
    migrate(migrator.add_index("invoice", ("total_cents",), False))
    database.execute_sql(BALANCE_INDEX_SQL)

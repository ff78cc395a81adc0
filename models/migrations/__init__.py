"""Schema migrations, in order. Version 1 is the first released schema.

Each migration is a module ``vNNNN_<what>.py`` with ``VERSION`` and
``apply(database)``, written with ``playhouse.migrate`` so it runs on SQLite
and PostgreSQL alike. A migration never imports today's models: it describes
the change as it was on the day it was written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import peewee


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    apply: Callable[[peewee.Database], None]


from models.migrations import (  # noqa: E402
    v0002_patient_search_name,
    v0003_agent_heartbeat,
    v0004_history_indexes,
    v0005_secure_delivery,
    v0006_stripe_payments,
)

MIGRATIONS: tuple[Migration, ...] = (
    Migration(2, "patient.search_name", v0002_patient_search_name.apply),
    Migration(3, "agent_heartbeat", v0003_agent_heartbeat.apply),
    Migration(4, "history indexes", v0004_history_indexes.apply),
    Migration(
        5,
        "secure delivery: clinic contact, link days, PIN mode; outbox steps; sync cursors",
        v0005_secure_delivery.apply,
    ),
    Migration(
        6,
        "Stripe payments: applied events, link account and completion, link tasks, agent channels",
        v0006_stripe_payments.apply,
    ),
)


def latest_version() -> int:
    return MIGRATIONS[-1].version if MIGRATIONS else 1

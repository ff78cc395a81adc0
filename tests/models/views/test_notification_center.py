"""Notifications as each person reads them: their own only, money and statuses in their language."""

from __future__ import annotations

import json

from locales import translator
from models.messaging.notifications import PAYMENT_NOTICE, UNAPPLIED_NOTICE
from models.messaging.tables import Notification
from models.people.clinic import Staff
from models.views.notification_center import (
    latest_id,
    mark_all_read,
    mark_read,
    notices_for,
    render_notice,
    unread_count,
    unread_since,
)
from tests.conftest import Setup


def make(staff: Staff, msgid: str, **params: object) -> Notification:
    return Notification.create(staff=staff, kind="k", message=msgid, params=json.dumps(params))


def test_money_and_statuses_are_rendered_for_the_reader(setup: Setup) -> None:
    row = make(
        setup.provider,
        UNAPPLIED_NOTICE,
        invoice="CDP-2026-00001",
        amount_cents=123456,
        balance_cents=0,
        currency="CAD",
        status="paid",
    )
    (view,) = notices_for(setup.provider.id)
    french = render_notice(view, translator("fr"), "CA")
    english = render_notice(view, translator("en"), "CA")
    assert "1\xa0234,56\xa0$" in french and "la facture est payée avec un solde de 0,00\xa0$" in french
    assert "$1,234.56" in english and "the invoice is paid with $0.00 left to pay" in english
    assert view.id == row.id and not view.read


def test_a_notice_missing_a_placeholder_still_reads(setup: Setup) -> None:
    make(setup.provider, PAYMENT_NOTICE, invoice="CDP-2026-00001")  # no amount
    (view,) = notices_for(setup.provider.id)
    assert render_notice(view, translator("en"), "CA") == "Invoice {invoice} was paid online: {amount}"


def test_each_person_reads_and_marks_only_their_own(setup: Setup) -> None:
    other = Staff.create(login="autre", display_name="Autre", roles="admin")
    mine = [make(setup.provider, PAYMENT_NOTICE, invoice=str(n)) for n in range(3)]
    theirs = make(other, PAYMENT_NOTICE, invoice="x")
    assert [v.id for v in notices_for(setup.provider.id)] == [m.id for m in reversed(mine)]  # newest first
    assert unread_count(setup.provider.id) == 3 and latest_id(setup.provider.id) == mine[-1].id
    assert mark_read(setup.provider.id, [mine[0].id, theirs.id]) == 1  # never someone else's
    assert [v.id for v in unread_since(setup.provider.id, mine[0].id)] == [mine[1].id, mine[2].id]
    assert mark_all_read(setup.provider.id) == 2
    assert unread_count(setup.provider.id) == 0 and unread_count(other.id) == 1

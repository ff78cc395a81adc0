"""The Swiss QR-bill's creditor as Settings take it (each refusal on its field, in the reader's
language), its references, and migration 19 on a database from before it."""

from __future__ import annotations

from decimal import Decimal

import peewee
import pytest
from stdnum import iso11649
from stdnum.ch import esr

from locales import translator
from models.admin.settings import CompanyInput, add_billing_company, edit_billing_company
from models.billing import swiss_bill
from models.billing.invoicing import LineInput, create_draft
from models.core.errors import FieldErrors
from models.database.base import fk_id
from models.links.tables import PayDoor
from models.messaging.secure_link import token_hash
from models.people.clinic import BillingCompany, Staff
from models.people.patient import Patient
from models.setup.migrations import v0019_paper_pay
from models.workflow.lifecycle import bill
from tests.conftest import Setup

QR_IBAN, IBAN = "CH44 3199 9123 0008 8901 2", "CH93 0076 2011 6238 5295 7"
LAUSANNE = {
    "qr_street": "Rue du Lac",
    "qr_house_number": "12",
    "qr_postal_code": "1003",
    "qr_city": "Lausanne",
}


@pytest.fixture
def admin(setup: Setup) -> Staff:
    return Staff.create(login="anne", display_name="Anne Admin", roles="admin,billing")


def company(**changes: str) -> CompanyInput:
    values = {"name": "Physio du Lac", "address": "", "currency": "chf", "number_prefix": "PDL"}
    return CompanyInput(**(values | {"stripe_account_id": ""} | changes))  # type: ignore[arg-type]


def refused(data: CompanyInput, admin: Staff) -> dict[str, str]:
    """Each refused field with its message, in English."""
    with pytest.raises(FieldErrors) as caught:
        add_billing_company(data, acting=admin)
    assert BillingCompany.select().where(BillingCompany.name == data.name).count() == 0
    return {error.field: error.render(translator("en")) for error in caught.value.errors}


def test_settings_save_a_qr_iban_with_its_qr_reference(admin: Staff) -> None:
    saved = add_billing_company(
        company(qr_account="ch44 3199 9123 0008 8901 2", qr_reference="qrr", **LAUSANNE), acting=admin
    )
    assert (saved.qr_account, saved.qr_reference, saved.qr_city, saved.qr_country) == (
        "CH4431999123000889012",
        "qrr",
        "Lausanne",
        "CH",
    )
    kept = edit_billing_company(saved.id, company(name="Physio du Lac SA"), acting=admin)  # not asked
    assert (kept.qr_account, kept.qr_postal_code) == ("CH4431999123000889012", "1003")
    plain = add_billing_company(company(number_prefix="PDM"), acting=admin)  # no QR-bill: nothing needed
    assert (plain.qr_account, plain.qr_reference) == ("", "scor")


def test_settings_refuse_what_a_bank_would(admin: Staff) -> None:
    assert refused(company(qr_account="CH44 3199 9123 0008 8901 3", **LAUSANNE), admin) == {
        "qr_account": "CH44 3199 9123 0008 8901 3 is not a valid IBAN: check its letters and digits"
    }
    assert refused(company(qr_account="DE89 3704 0044 0532 0130 00", **LAUSANNE), admin) == {
        "qr_account": "a QR-bill is paid into an account in Switzerland or Liechtenstein (CH… or LI…)"
    }
    assert refused(company(qr_account=QR_IBAN, qr_reference="scor", **LAUSANNE), admin) == {
        "qr_reference": "a QR-IBAN takes a QR reference: choose it, or give the account's plain IBAN"
    }
    assert (
        "needs a QR-IBAN"
        in refused(company(qr_account=IBAN, qr_reference="qrr", **LAUSANNE), admin)["qr_reference"]
    )
    incomplete = refused(company(qr_account=IBAN, qr_street="Rue du Lac"), admin)
    assert incomplete == dict.fromkeys(
        ("qr_postal_code", "qr_city"), "needed on the QR-bill (the creditor's address)"
    )
    assert set(refused(company(**LAUSANNE), admin)) == {"qr_account"}  # an address, no account
    assert set(refused(company(qr_account=IBAN, **LAUSANNE, qr_country="XX"), admin)) == {"qr_country"}


def test_references_are_made_from_the_number() -> None:
    reference = swiss_bill.qr_reference(3, "CDL-2026-00042")
    assert len(reference) == 27
    assert esr.is_valid(reference) and reference[:26] == "0003202600042".rjust(26, "0")
    creditor = swiss_bill.creditor_reference("CDL-2026-00042")
    assert iso11649.is_valid(creditor) and creditor.endswith("CDL202600042")
    assert swiss_bill.is_qr_iban(QR_IBAN.replace(" ", "")) and not swiss_bill.is_qr_iban(
        IBAN.replace(" ", "")
    )


def test_version_19_adds_the_creditor_and_opens_a_pay_page_per_billed_invoice(
    setup: Setup, database: peewee.Database
) -> None:
    patient = Patient.create(last_name="Roy", first_name="Luc")
    lines = (LineInput("Séance", Decimal(1), 8500),)
    billed = bill(create_draft(patient=patient, billing_company=setup.company, lines=lines))
    draft = create_draft(patient=patient, billing_company=setup.company, lines=lines)
    PayDoor.delete().execute()  # as before version 19: billing opened none
    for column in v0019_paper_pay._COLUMNS:
        database.execute_sql(f"ALTER TABLE billing_company DROP COLUMN {column.split()[0]}")

    v0019_paper_pay.apply(database)
    company = BillingCompany.get_by_id(setup.company.id)
    assert (company.qr_account, company.qr_reference, company.qr_country) == ("", "scor", "CH")
    (door,) = PayDoor.select()
    assert fk_id(door, "invoice") == billed.id != draft.id
    assert len(door.token) >= 43 and door.token_hash == token_hash(door.token) and door.version == 0
    with pytest.raises(peewee.IntegrityError), database.atomic():
        database.execute_sql("UPDATE billing_company SET qr_reference = 'iban'")

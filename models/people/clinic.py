"""Who bills: the clinic, its billing companies and its staff."""

from __future__ import annotations

import peewee

from locales import N_
from models.core.enums import PinMode, ReceiptPolicy, Role, SwissReference
from models.core.errors import DatabaseError
from models.database.base import BaseModel, UTCDateTimeField, one_of, utcnow


class Clinic(BaseModel):
    """The clinic running this database (one row)."""

    name = peewee.CharField(max_length=200)
    address = peewee.TextField(default="")
    country = peewee.CharField(max_length=2, default="CA")  # ISO 3166-1 alpha-2
    region = peewee.CharField(max_length=3, default="")  # e.g. QC; picks the insurance format
    timezone = peewee.CharField(max_length=64, default="America/Toronto")
    default_language = peewee.CharField(max_length=2, default="fr")
    payment_terms_days = peewee.IntegerField(
        default=30, constraints=[peewee.Check("payment_terms_days >= 0")]
    )
    phone = peewee.CharField(max_length=32, default="")  # shown to patients: "contact the clinic"
    email = peewee.CharField(max_length=254, default="")
    link_days = peewee.IntegerField(default=14, constraints=[peewee.Check("link_days BETWEEN 1 AND 30")])
    default_pin_mode = peewee.CharField(  # what automatic emails use
        max_length=12,
        default=PinMode.SMS.value,
        constraints=[peewee.Check("default_pin_mode IN ('none', 'sms', 'institution')")],
    )
    created_at = UTCDateTimeField(default=utcnow)
    receipts = peewee.CharField(  # which payments get the patient a receipt (schema 16)
        max_length=6, default=ReceiptPolicy.ONLINE.value, constraints=[one_of("receipts", ReceiptPolicy)]
    )
    # the sending window (schema 24; models.messaging.sending_window): automatic messages wait for it.
    # These defaults are always open; `db init` and the migration set the clinic's business hours.
    send_opens = peewee.CharField(max_length=5, default="00:00")
    send_closes = peewee.CharField(max_length=5, default="24:00")
    send_days = peewee.CharField(max_length=20, default="1-7")  # ISO weekdays: "1-5", "1-5,7"
    holiday_calendar = peewee.CharField(max_length=10, default="")  # "CA-QC", "CH-GE"; "": none


class BillingCompany(BaseModel):
    """A legal entity invoices are issued by; numbering is gapless per company."""

    clinic = peewee.ForeignKeyField(Clinic, backref="billing_companies", on_delete="RESTRICT")
    name = peewee.CharField(max_length=200)
    address = peewee.TextField(default="")
    currency = peewee.CharField(max_length=3, default="CAD")
    number_prefix = peewee.CharField(max_length=12, unique=True)
    # credit notes' numbers (schema 17); empty: the invoice prefix and "-NC" (models.billing.credit_notes)
    credit_prefix = peewee.CharField(max_length=12, default="")
    stripe_account_id = peewee.CharField(max_length=64, null=True)
    active = peewee.BooleanField(default=True)
    # the Swiss QR-bill's creditor (schema 19; models.billing.swiss_bill): no account, no payment part
    qr_account = peewee.CharField(max_length=34, default="")  # an IBAN or a QR-IBAN, without spaces
    qr_reference = peewee.CharField(
        max_length=4,
        default=SwissReference.CREDITOR.value,
        constraints=[one_of("qr_reference", SwissReference)],
    )
    qr_street = peewee.CharField(max_length=70, default="")
    qr_house_number = peewee.CharField(max_length=16, default="")
    qr_postal_code = peewee.CharField(max_length=16, default="")
    qr_city = peewee.CharField(max_length=35, default="")
    qr_country = peewee.CharField(max_length=2, default="CH")
    created_at = UTCDateTimeField(default=utcnow)


class Staff(BaseModel):
    """A person using the TUI; ``login`` is their Unix user name (local or SSH)."""

    login = peewee.CharField(max_length=64, unique=True)
    display_name = peewee.CharField(max_length=200)
    roles = peewee.CharField(max_length=64, default="")  # comma-separated Role values
    language = peewee.CharField(max_length=2, default="fr")
    active = peewee.BooleanField(default=True)
    created_at = UTCDateTimeField(default=utcnow)

    @property
    def role_set(self) -> frozenset[Role]:
        return frozenset(Role(part) for part in self.roles.split(",") if part)

    def has_role(self, role: Role) -> bool:
        return role in self.role_set


def get_clinic() -> Clinic:
    """The clinic of this database (there is one); ``DatabaseError`` before ``facteur db init``."""
    clinic = Clinic.select().order_by(Clinic.id).first()
    if clinic is None:
        raise DatabaseError(N_("the database has no clinic yet: run 'facteur db init'"))
    return clinic

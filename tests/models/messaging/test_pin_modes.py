"""PIN modes at enqueue: what the outbox row keeps (never a PIN), every refusal on its field, resends."""

from __future__ import annotations

import pytest

from models.admin.settings import ClinicInput, update_clinic
from models.billing.invoice import Invoice
from models.core.enums import PinMode
from models.core.errors import FieldErrors, ValidationError
from models.messaging.pin_modes import handover_pin, institution_pin, prefilled_phone, validate_pin
from models.messaging.secure_link import pin_matches
from models.messaging.tables import OutboxMessage
from models.people.clinic import Clinic, Staff
from models.people.patient import Patient
from models.workflow.sending import SendRefused, default_personal_message, enqueue_invoice_email, resend
from testbed.invoices import billed_invoice
from tests.conftest import Setup


def invoice_for(setup: Setup, **patient: object) -> Invoice:
    invoice = billed_invoice(setup.company)
    if patient:
        Patient.update(**patient).where(Patient.id == invoice.patient_id).execute()  # type: ignore[attr-defined]
    return Invoice.get_by_id(invoice.id)


@pytest.mark.parametrize(
    ("number", "pin"),
    [
        ("756.1234.5678.97", "567897"),  # Swiss AVS: the dots do not count
        ("TREM 8012 1512", "121512"),  # RAMQ as typed with spaces
        ("1234-567-890-ab", "7890AB"),
        ("12345", None),  # too short to give six
        (None, None),
        ("", None),
    ],
)
def test_institution_pin_is_the_insurance_numbers_last_six(number: str | None, pin: str | None) -> None:
    assert institution_pin(number) == pin


def test_a_typed_pin_is_read_as_compared() -> None:
    assert validate_pin(" ab-12 cd ") == "AB12CD"
    for bad, reason in (("abc12", "6 to 32"), ("12345é", "only letters and digits"), ("  ", "required")):
        with pytest.raises(ValidationError, match=reason):
            validate_pin(bad)


def test_sms_mode_keeps_a_token_and_the_phone_never_a_pin(setup: Setup) -> None:
    invoice = invoice_for(setup, cell_phone="+15145551234")
    assert prefilled_phone(invoice) == "+15145551234"
    message = enqueue_invoice_email(invoice, pin_mode="sms")
    assert (message.pin_mode, message.recipient_phone, message.attach_pdf) == ("sms", "+15145551234", False)
    assert message.link_token and len(message.link_token) >= 43 and message.pin_hash is None
    typed = enqueue_invoice_email(invoice, pin_mode="sms", phone="514 555 9876")
    assert typed.recipient_phone == "+15145559876"
    assert Patient.get_by_id(invoice.patient_id).cell_phone == "+15145551234"  # type: ignore[attr-defined]
    assert typed.link_token != message.link_token


def test_sms_mode_without_any_phone_is_refused_on_the_phone_field(setup: Setup) -> None:
    invoice = invoice_for(setup)
    with pytest.raises(ValidationError) as refused:
        enqueue_invoice_email(invoice, pin_mode="sms")
    assert refused.value.field == "phone" and "no cell phone number for Marie Tremblay" in str(refused.value)
    with pytest.raises(ValidationError, match="cannot receive text messages") as landline:
        enqueue_invoice_email(invoice, pin_mode="sms", phone="+33 1 42 68 53 00")  # a Paris landline
    assert landline.value.field == "phone"
    assert OutboxMessage.select().count() == 0


def test_institution_mode_without_insurance_number_needs_a_typed_pin(setup: Setup) -> None:
    invoice = invoice_for(setup)
    with pytest.raises(ValidationError) as refused:
        enqueue_invoice_email(invoice, pin_mode="institution")
    assert refused.value.field == "pin" and "has no health insurance number" in str(refused.value)
    assert OutboxMessage.select().count() == 0
    message = enqueue_invoice_email(invoice, pin_mode="institution", pin="clin-4242")
    assert pin_matches(message.link_token, "CLIN4242", message.pin_hash)
    assert "CLIN4242" not in message.pin_hash and message.recipient_phone is None


def test_institution_mode_defaults_to_the_insurance_number(setup: Setup) -> None:
    invoice = invoice_for(setup, health_insurance_number="TREM80121512")
    assert handover_pin(invoice) == "121512"
    message = enqueue_invoice_email(invoice, pin_mode="institution")
    assert pin_matches(message.link_token, "121512", message.pin_hash)
    assert not pin_matches(message.link_token, "121513", message.pin_hash)


def test_the_attachment_needs_the_patients_consent(setup: Setup) -> None:
    invoice = invoice_for(setup)
    with pytest.raises(ValidationError) as refused:
        enqueue_invoice_email(invoice, pin_mode="none")
    assert refused.value.field == "pin_mode" and "has not consented" in str(refused.value)
    consenting = invoice_for(setup, consent_email_attachments=True)
    message = enqueue_invoice_email(consenting, pin_mode="none")
    assert (message.attach_pdf, message.link_token, message.pin_hash) == (True, None, None)
    assert message.personal_message.startswith("Vous trouverez ci-joint votre facture du")


def test_every_refused_field_at_once(setup: Setup) -> None:
    invoice = invoice_for(setup)
    with pytest.raises(FieldErrors) as refused:
        enqueue_invoice_email(invoice, email="marie@", pin_mode="sms", message="x" * 2001)
    assert [error.field for error in refused.value.errors] == ["email", "phone", "message"]


def test_a_mode_and_its_options_must_agree(setup: Setup) -> None:
    invoice = invoice_for(setup, cell_phone="+15145551234")
    for kwargs, field in (
        ({"pin_mode": "sms", "pin": "123456"}, "pin"),
        ({"pin_mode": "institution", "pin": "123456", "phone": "+15145551234"}, "phone"),
        ({"pin_mode": "carrier-pigeon"}, "pin_mode"),
    ):
        with pytest.raises(ValidationError) as refused:
            enqueue_invoice_email(invoice, **kwargs)  # type: ignore[arg-type]
        assert refused.value.field == field


def test_the_default_message_of_a_link_says_download(setup: Setup) -> None:
    invoice = invoice_for(setup, cell_phone="+15145551234")
    message = enqueue_invoice_email(invoice, pin_mode=PinMode.SMS, language="en")
    assert message.personal_message == default_personal_message(invoice, "en", attached=False)
    assert "ready to download" in message.personal_message
    legacy = enqueue_invoice_email(invoice)  # callers from before secure delivery: attached
    assert (legacy.pin_mode, legacy.attach_pdf) == ("none", True)
    assert legacy.personal_message.startswith("Vous trouverez ci-joint")


def test_a_resend_makes_a_new_link_and_refuses_an_institution_pin(setup: Setup) -> None:
    invoice = invoice_for(setup, cell_phone="+15145551234", health_insurance_number="TREM80121512")
    sms = enqueue_invoice_email(invoice, pin_mode="sms")
    again = resend(sms)
    assert (again.pin_mode, again.recipient_phone) == ("sms", "+15145551234")
    assert again.link_token and again.link_token != sms.link_token
    institution = enqueue_invoice_email(invoice, pin_mode="institution")
    with pytest.raises(SendRefused, match="handed over by the clinic"):
        resend(institution)


def test_clinic_contact_link_days_and_default_pin_mode(setup: Setup) -> None:
    admin = Staff.create(login="anne", display_name="Anne Admin", roles="admin")
    base = {"name": "Clinique du Parc", "address": "", "timezone": "America/Toronto"}
    data = ClinicInput(
        **base,
        default_language="fr",
        payment_terms_days="30",
        phone="514 555-0100",
        email="Accueil@Example.org",
        link_days="7",
        default_pin_mode="institution",
    )
    clinic = update_clinic(data, acting=admin)
    assert (clinic.phone, clinic.email, clinic.link_days, clinic.default_pin_mode) == (
        "+15145550100",
        "Accueil@example.org",
        7,
        "institution",
    )
    bad = ClinicInput(
        **base,
        default_language="fr",
        payment_terms_days="30",
        phone="555",
        email="accueil@",
        link_days="31",
        default_pin_mode="fax",
    )
    with pytest.raises(FieldErrors) as refused:
        update_clinic(bad, acting=admin)
    assert sorted(error.field for error in refused.value.errors) == [
        "default_pin_mode",
        "email",
        "link_days",
        "phone",
    ]
    assert Clinic.get().link_days == 7
    unchanged = update_clinic(
        ClinicInput(**base, default_language="fr", payment_terms_days="30"), acting=admin
    )
    assert (unchanged.phone, unchanged.link_days) == ("+15145550100", 7)  # not given: left as is

"""PIN modes in the send dialog (through Pilot): SMS to a typed phone, institution PIN refused without
an insurance number until one is typed, the PIN handed over and its slip printed, the attachment
offered only with consent."""

from __future__ import annotations

import io
import stat
from collections.abc import Callable
from pathlib import Path

from pypdf import PdfReader
from textual.widgets import Input, RadioButton, Static, TextArea

from models.core.config import PrintSettings
from models.messaging.secure_link import pin_matches
from models.messaging.tables import OutboxMessage
from models.people.patient import Patient
from tui.dialogs.pin_handover import PinHandoverDialog
from tui.screens.send_invoice import SendInvoiceScreen

from ..conftest import Clinic_
from .conftest import Billing, messages, settle, until
from .test_send import field_error, open_send_dialog, patients_invoice


def latest() -> OutboxMessage:
    return OutboxMessage.select().order_by(OutboxMessage.id.desc()).get()


async def choose(pilot, dialog: SendInvoiceScreen, mode: str) -> None:  # type: ignore[no-untyped-def]
    dialog.query_one(f"#pin-{mode}", RadioButton).value = True
    await pilot.pause()


async def test_sms_goes_to_the_typed_phone_and_the_patient_keeps_theirs(
    make_app: Callable[..., object], clinic: Clinic_, billing: Billing
) -> None:
    patient = billing.patients[2]  # Olivia Smith, +15145551002
    invoice = patients_invoice(clinic, patient)
    app = make_app("clerk")
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        dialog = await open_send_dialog(pilot, invoice.id)
        phone = dialog.query_one("#send-phone", Input)
        assert phone.value == "+15145551002" and dialog.query_one("#field-phone").display
        assert not dialog.query_one("#field-pin").display  # only the chosen mode's field
        phone.value = "514 555 1234 5"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "is not a valid phone number" in field_error(dialog, "phone")
        assert phone.value == "514 555 1234 5"
        phone.value = "(514) 555-7777"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, SendInvoiceScreen)  # type: ignore[attr-defined]
    queued = latest()
    assert (queued.pin_mode, queued.recipient_phone) == ("sms", "+15145557777")
    assert Patient.get_by_id(patient.id).cell_phone == "+15145551002"  # this message only


async def test_institution_without_insurance_number_cannot_send_until_a_pin_is_typed(
    make_app: Callable[..., object], clinic: Clinic_, billing: Billing
) -> None:
    invoice = patients_invoice(clinic, billing.patients[2])  # no insurance number
    before = OutboxMessage.select().count()
    app = make_app("clerk")
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        dialog = await open_send_dialog(pilot, invoice.id)
        await choose(pilot, dialog, "institution")
        pin = dialog.query_one("#send-pin", Input)
        assert dialog.query_one("#field-pin").display and pin.value == ""
        assert not dialog.query_one("#field-phone").display
        assert "No health insurance number" in str(dialog.query_one("#pin-hint", Static).render())
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is dialog  # type: ignore[attr-defined]
        assert "has no health insurance number: type a PIN" in field_error(dialog, "pin")
        pin.value = "ab-12"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "a PIN has 6 to 32 letters or digits" in field_error(dialog, "pin")
        assert OutboxMessage.select().count() == before
        pin.value = "clin 4242"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, PinHandoverDialog))  # type: ignore[attr-defined]
        handover = app.screen  # type: ignore[attr-defined]
        assert str(handover.query_one("#handover-pin", Static).render()) == "CLIN4242"
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, (SendInvoiceScreen, PinHandoverDialog))  # type: ignore[attr-defined]
        assert any("is queued for" in text for text in messages(app))  # type: ignore[arg-type]
    queued = latest()
    assert queued.pin_mode == "institution" and queued.recipient_phone is None
    assert pin_matches(queued.link_token, "CLIN4242", queued.pin_hash)


async def test_the_insurance_number_prefills_the_pin_and_the_slip_prints(
    make_app: Callable[..., object], clinic: Clinic_, billing: Billing, tmp_path: Path
) -> None:
    patient = billing.patients[0]  # Élise Bélanger
    Patient.update(health_insurance_number="BELE85512315").where(Patient.id == patient.id).execute()
    invoice = patients_invoice(clinic, patient)
    printed = tmp_path / "printed.pdf"
    command = f"sh -c 'cp \"$0\" {printed}'"
    app = make_app("clerk", print=PrintSettings(command=command, folder=str(tmp_path / "slips")))
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        dialog = await open_send_dialog(pilot, invoice.id)
        await choose(pilot, dialog, "institution")
        assert dialog.query_one("#send-pin", Input).value == "512315"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, PinHandoverDialog))  # type: ignore[attr-defined]
        await pilot.press("p")
        await until(pilot, printed.exists, timeout=30)
        await until(pilot, lambda: any("went to the printer" in t for t in messages(app)))  # type: ignore[arg-type]
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(printed.read_bytes())).pages)
    assert "512315" in text and "Élise Bélanger" in text and "Clinique du Parc" in text
    assert "Votre NIP" in text  # in the patient's language
    assert "Consultation" not in text and "C01" not in text  # nothing about the care
    assert not list((tmp_path / "slips").glob("*.pdf"))  # printed: the copy is gone


async def test_without_a_printer_the_slip_is_saved_and_its_place_said(
    make_app: Callable[..., object], clinic: Clinic_, billing: Billing, tmp_path: Path
) -> None:
    patient = billing.patients[0]
    Patient.update(health_insurance_number="BELE85512315").where(Patient.id == patient.id).execute()
    invoice = patients_invoice(clinic, patient)
    folder = tmp_path / "slips"
    app = make_app("clerk", print=PrintSettings(command="no-such-lp-command", folder=str(folder)))
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        dialog = await open_send_dialog(pilot, invoice.id)
        await choose(pilot, dialog, "institution")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, PinHandoverDialog))  # type: ignore[attr-defined]
        await pilot.press("p")
        await until(pilot, lambda: any("Printing is not available" in t for t in messages(app)), timeout=30)  # type: ignore[arg-type]
        notice = next(t for t in messages(app) if "Printing is not available" in t)  # type: ignore[arg-type]
    (slip,) = folder.glob("*.pdf")
    assert str(slip) in notice and "no-such-lp-command" in notice
    assert stat.S_IMODE(slip.stat().st_mode) == 0o600 and stat.S_IMODE(folder.stat().st_mode) == 0o700


async def test_the_attachment_needs_the_patients_consent(
    make_app: Callable[..., object], clinic: Clinic_, billing: Billing
) -> None:
    without = patients_invoice(clinic, billing.patients[2])
    consenting = billing.patients[3]
    Patient.update(consent_email_attachments=True).where(Patient.id == consenting.id).execute()
    with_consent = patients_invoice(clinic, consenting)
    app = make_app("admin")  # French
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        dialog = await open_send_dialog(pilot, without.id)
        assert dialog.query_one("#pin-none", RadioButton).disabled
        reason = str(dialog.query_one("#pin-none-reason", Static).render())
        assert "Olivia Smith n’a pas consenti aux pièces jointes" in reason
        await pilot.press("escape")
        await pilot.press("escape")
        await settle(pilot)
        dialog = await open_send_dialog(pilot, with_consent.id)
        assert not dialog.query_one("#pin-none", RadioButton).disabled
        assert not dialog.query_one("#pin-none-reason", Static).display
        area = dialog.query_one("#send-message", TextArea)
        assert area.text == "Votre facture du 2026/03/14 est prête à être téléchargée."
        await choose(pilot, dialog, "none")
        assert area.text == "Vous trouverez ci-joint votre facture du 2026/03/14."  # the default follows
        assert not dialog.query_one("#field-phone").display
        await pilot.press("ctrl+s")
        await settle(pilot)
    queued = latest()
    assert (queued.pin_mode, queued.attach_pdf, queued.link_token) == ("none", True, None)


async def test_the_clinic_default_mode_is_preselected(
    make_app: Callable[..., object], clinic: Clinic_, billing: Billing
) -> None:
    from models.people.clinic import Clinic

    Clinic.update(default_pin_mode="institution").execute()
    invoice = patients_invoice(clinic, billing.patients[2])
    app = make_app("clerk")
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        dialog = await open_send_dialog(pilot, invoice.id)
        assert dialog.query_one("#pin-institution", RadioButton).value
        assert dialog.query_one("#field-pin").display

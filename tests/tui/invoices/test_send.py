"""Send by email from the invoice detail: prefilled dialog, queued at once, bad input kept and explained."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from textual.widgets import Checkbox, Input, Select, TextArea

from models.billing.invoice import Invoice
from models.billing.invoicing import LineInput, create_draft
from models.messaging.tables import OutboxMessage
from models.people.patient import Patient
from models.workflow.lifecycle import bill
from tui.screens.invoice_detail import InvoiceDetailScreen
from tui.screens.send_invoice import SendInvoiceScreen

from ..conftest import FROZEN_NOW, Clinic_
from .conftest import Billing, messages, open_screen, settle


async def open_send_dialog(pilot, invoice_id: int) -> SendInvoiceScreen:  # type: ignore[no-untyped-def]
    await open_screen(pilot, InvoiceDetailScreen(pilot.app.session, invoice_id))
    await pilot.press("s")
    await settle(pilot)
    dialog = pilot.app.screen
    assert isinstance(dialog, SendInvoiceScreen)
    return dialog


def field_error(dialog: SendInvoiceScreen, field: str) -> str:
    return str(dialog.query_one(f"#field-{field} .field-error").render())


def patients_invoice(clinic: Clinic_, patient: Patient) -> Invoice:
    draft = create_draft(
        patient=patient,
        billing_company=clinic.company,
        provider=clinic.provider,
        lines=[LineInput("Consultation", Decimal(1), 8500, Decimal(0), "C01")],
    )
    return bill(draft, now=FROZEN_NOW)


async def test_send_queues_the_prefilled_email_and_confirms(
    make_app: Callable[..., object], billing: Billing
) -> None:
    app = make_app("clerk")
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        dialog = await open_send_dialog(pilot, billing.billed.id)
        assert dialog.query_one("#send-email", Input).value == "reclamations@beaulieu.example"
        assert dialog.query_one("#send-language", Select).value == "fr"
        message = dialog.query_one("#send-message", TextArea).text
        assert message == "Votre facture du 2026/03/12 est prête à être téléchargée."  # a secure link
        assert not dialog.query_one("#send-save", Checkbox).display  # a third party: nothing to save
        assert dialog.query_one("#send-phone", Input).value == ""  # the insurer has no cell phone
        dialog.query_one("#send-phone", Input).value = "514 555-9911"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, SendInvoiceScreen)  # type: ignore[attr-defined]
        queued = OutboxMessage.select().order_by(OutboxMessage.id.desc()).first()
        assert queued is not None and queued.invoice_id == billing.billed.id
        assert (queued.recipient_email, queued.language, queued.status) == (
            "reclamations@beaulieu.example",
            "fr",
            "pending",
        )
        assert queued.personal_message == message
        assert (queued.pin_mode, queued.recipient_phone, queued.attach_pdf) == ("sms", "+15145559911", False)
        assert queued.link_token and queued.pin_hash is None  # the agent draws the SMS PIN when it sends
        assert any("is queued for reclamations@beaulieu.example" in text for text in messages(app))  # type: ignore[arg-type]


async def test_the_default_message_follows_the_language_until_staff_edit_it(
    make_app: Callable[..., object], billing: Billing
) -> None:
    app = make_app("clerk")
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        dialog = await open_send_dialog(pilot, billing.billed.id)
        dialog.query_one("#send-language", Select).value = "en"
        await pilot.pause()
        area = dialog.query_one("#send-message", TextArea)
        assert area.text == "Your invoice of 2026/03/12 is ready to download."
        area.text = "Merci de votre visite."
        dialog.query_one("#send-language", Select).value = "fr"
        await pilot.pause()
        assert area.text == "Merci de votre visite."  # their own words are kept
        dialog.query_one("#send-phone", Input).value = "+15145559911"
        await pilot.press("ctrl+s")
        await settle(pilot)
        queued = OutboxMessage.select().order_by(OutboxMessage.id.desc()).get()
        assert (queued.language, queued.personal_message) == ("fr", "Merci de votre visite.")


async def test_a_bad_address_is_marked_and_nothing_is_queued(
    make_app: Callable[..., object], billing: Billing
) -> None:
    before = OutboxMessage.select().count()
    app = make_app("clerk")
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        dialog = await open_send_dialog(pilot, billing.billed.id)
        dialog.query_one("#send-email", Input).value = "reclamations@"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is dialog  # type: ignore[attr-defined]
        assert "is not a valid email address" in field_error(dialog, "email")
        assert "no cell phone number for Assurances Beaulieu" in field_error(dialog, "phone")  # all at once
        assert dialog.query_one("#send-email", Input).value == "reclamations@"  # what was typed stays
        assert OutboxMessage.select().count() == before
        dialog.query_one("#send-email", Input).value = "claims@beaulieu.example"
        dialog.query_one("#send-phone", Input).value = "+15145559911"
        await pilot.pause()
        assert field_error(dialog, "email") == "" and field_error(dialog, "phone") == ""
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert OutboxMessage.select().count() == before + 1


async def test_a_new_address_is_saved_on_the_patient_only_when_asked(
    make_app: Callable[..., object], clinic: Clinic_, billing: Billing
) -> None:
    patient = billing.patients[2]
    invoice = patients_invoice(clinic, patient)
    app = make_app("clerk")
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        for save, address in ((False, "olivia.once@example.org"), (True, "olivia.new@example.org")):
            dialog = await open_send_dialog(pilot, invoice.id)
            assert dialog.query_one("#send-language", Select).value == "en"
            save_box = dialog.query_one("#send-save", Checkbox)
            assert not save_box.display  # same address as the record
            dialog.query_one("#send-email", Input).value = address
            await pilot.pause()
            assert save_box.display
            save_box.value = save
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert Patient.get_by_id(patient.id).email == (
                "olivia.new@example.org" if save else "olivia@example.org"
            )
            await pilot.press("escape")  # back from the detail
            await settle(pilot)
    assert [m.recipient_email for m in OutboxMessage.select().where(OutboxMessage.invoice == invoice)] == [
        "olivia.once@example.org",
        "olivia.new@example.org",
    ]


async def test_a_draft_or_void_invoice_is_refused_with_the_reason(
    make_app: Callable[..., object], billing: Billing
) -> None:
    app = make_app("clerk")
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        await pilot.pause()
        app.send_invoice(billing.draft.id)  # type: ignore[attr-defined]
        await settle(pilot)
        assert not isinstance(app.screen, SendInvoiceScreen)  # type: ignore[attr-defined]
        assert any("is a draft: bill it before sending it" in text for text in messages(app))  # type: ignore[arg-type]
    assert not OutboxMessage.select().where(OutboxMessage.invoice == billing.draft).exists()


async def test_sending_needs_the_billing_role(make_app: Callable[..., object], billing: Billing) -> None:
    app = make_app("dr.roy")
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        await pilot.pause()
        app.send_invoice(billing.billed.id)  # type: ignore[attr-defined]
        await settle(pilot)
        assert not isinstance(app.screen, SendInvoiceScreen)  # type: ignore[attr-defined]
        assert any("rôle facturation" in text for text in messages(app))  # type: ignore[arg-type]

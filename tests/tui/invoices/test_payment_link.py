"""Payment links in the TUI: the send dialog's option (offered, or disabled with the reason) and
the invoice's link (its state and address; a new link, removing it: queued for the agent)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import pytest
from textual.widgets import Checkbox

from models.billing.invoice import Invoice
from models.core.config import Config, StripeSettings
from models.core.enums import LinkAction, OutboxStatus
from models.database.base import utcnow
from models.links.tables import PaymentLink
from models.messaging.agent_state import beat
from models.messaging.tables import OutboxMessage
from tui.screens.invoice_detail import InvoiceDetailScreen
from tui.screens.send_invoice import SendInvoiceScreen
from tui.widgets.invoice_payment_link import PaymentLinkPanel

from ..conftest import Clinic_
from .conftest import Billing, messages, open_screen, settle, until

KEY_VARIABLE = "FACTEUR_TUI_TEST_STRIPE_KEY"


@pytest.fixture
def stripe_config(tui_config: Config, monkeypatch: pytest.MonkeyPatch) -> Config:
    """The TUI's own environment has no key unless a test sets it."""
    monkeypatch.delenv(KEY_VARIABLE, raising=False)
    return replace(tui_config, stripe=StripeSettings(api_key_env=KEY_VARIABLE))


def with_account(clinic: Clinic_) -> None:
    clinic.company.stripe_account_id = "acct_1ClinicParc01"
    clinic.company.save()


async def send_dialog(pilot, invoice_id: int) -> SendInvoiceScreen:  # type: ignore[no-untyped-def]
    await open_screen(pilot, InvoiceDetailScreen(pilot.app.session, invoice_id))
    await pilot.press("s")
    await settle(pilot)
    dialog = pilot.app.screen
    assert isinstance(dialog, SendInvoiceScreen)
    await until(pilot, lambda: dialog.draft is not None)
    return dialog


def note(dialog: SendInvoiceScreen) -> str:
    return str(dialog.query_one("#send-link-note").render())


async def test_without_a_stripe_key_the_option_is_disabled_with_the_reason(
    make_app: Callable[..., object], clinic: Clinic_, billing: Billing, stripe_config: Config
) -> None:
    with_account(clinic)
    app = make_app("clerk", stripe=stripe_config.stripe)
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        dialog = await send_dialog(pilot, billing.billed.id)
        assert dialog.query_one("#send-link", Checkbox).disabled
        assert note(dialog) == (
            f"payment links are off: no Stripe key is configured (the {KEY_VARIABLE} variable of the agent)"
        )


async def test_without_the_company_s_account_the_option_is_disabled_with_the_reason(
    make_app: Callable[..., object], clinic: Clinic_, billing: Billing, stripe_config: Config
) -> None:
    beat("clinic-pc:1", "clinic-pc", 1, online=True, channels="email,stripe")  # the agent has a key
    app = make_app("clerk", stripe=stripe_config.stripe)
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        dialog = await send_dialog(pilot, billing.billed.id)
        assert dialog.query_one("#send-link", Checkbox).disabled
        assert note(dialog).startswith(
            "payment links are off for Clinique du Parc inc.: it has no Stripe account"
        )


async def test_the_option_queues_the_email_with_its_payment_link(
    make_app: Callable[..., object],
    clinic: Clinic_,
    billing: Billing,
    stripe_config: Config,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with_account(clinic)
    # the clinic's default PIN mode texts the PIN: the billed-to payer has a cell phone to prefill
    Invoice.update(billed_to_phone="+15145551234").where(Invoice.id == billing.billed.id).execute()
    monkeypatch.setenv(KEY_VARIABLE, "sk_test_in_the_tui_environment")  # as with `make run`
    app = make_app("clerk", stripe=stripe_config.stripe)
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        dialog = await send_dialog(pilot, billing.billed.id)
        box = dialog.query_one("#send-link", Checkbox)
        assert not box.disabled and not box.value
        assert note(dialog).startswith('A "Pay invoice" button for the balance')
        box.value = True
        await pilot.press("ctrl+s")
        await until(pilot, lambda: not isinstance(app.screen, SendInvoiceScreen))  # type: ignore[attr-defined]
        queued = OutboxMessage.select().order_by(OutboxMessage.id.desc()).get()
        assert queued.payment_link and queued.link_action is None and queued.status == OutboxStatus.PENDING


async def test_the_invoice_shows_its_open_link_and_queues_its_removal(
    make_app: Callable[..., object], clinic: Clinic_, billing: Billing, stripe_config: Config
) -> None:
    with_account(clinic)
    PaymentLink.create(
        invoice=billing.billed,
        session_id="cs_test_tui",
        account="acct_1ClinicParc01",
        url="https://checkout.stripe.com/c/pay/cs_test_tui",
        amount_cents=billing.billed.balance_cents,
        currency="CAD",
        expires_at=utcnow() + timedelta(hours=20),
    )
    app = make_app("clerk", stripe=stripe_config.stripe)
    async with app.run_test(size=(100, 40)) as pilot:  # type: ignore[attr-defined]
        detail = InvoiceDetailScreen(app.session, billing.billed.id)  # type: ignore[attr-defined]
        await open_screen(pilot, detail)
        panel = detail.query_one(PaymentLinkPanel)
        await until(pilot, lambda: panel.panel is not None)
        shown = str(panel.render())
        assert shown.startswith("Open until ") and "https://checkout.stripe.com/c/pay/cs_test_tui" in shown
        assert detail.check_action("remove_link", ())
        await pilot.press("x")
        await until(
            pilot, lambda: OutboxMessage.select().where(OutboxMessage.link_action.is_null(False)).exists()
        )
        task = OutboxMessage.get(OutboxMessage.link_action == LinkAction.REMOVE)
        assert (task.recipient_email, task.attach_pdf, task.created_by.login) == (None, False, "clerk")
        await until(pilot, lambda: "being removed" in str(panel.render()))
        assert any("will be removed as soon as the agent is online" in m for m in messages(app))  # type: ignore[arg-type]


async def test_a_new_link_is_refused_with_the_reason_when_none_can_be_made(
    make_app: Callable[..., object], clinic: Clinic_, billing: Billing, stripe_config: Config
) -> None:
    with_account(clinic)
    app = make_app("clerk", stripe=stripe_config.stripe)
    async with app.run_test(size=(100, 40)) as pilot:  # type: ignore[attr-defined]
        detail = InvoiceDetailScreen(app.session, billing.billed.id)  # type: ignore[attr-defined]
        await open_screen(pilot, detail)
        panel = detail.query_one(PaymentLinkPanel)
        await until(pilot, lambda: panel.panel is not None)
        assert "no Stripe key is configured" in str(panel.render())
        assert not detail.check_action("remove_link", ())  # no link open
        await pilot.press("l")
        await until(pilot, lambda: any("no Stripe key" in m for m in messages(app)))  # type: ignore[arg-type]
        assert not OutboxMessage.select().where(OutboxMessage.link_action.is_null(False)).exists()

        beat("clinic-pc:1", "clinic-pc", 1, online=True, channels="email,stripe")
        await pilot.press("l")
        await until(
            pilot, lambda: OutboxMessage.select().where(OutboxMessage.link_action == "create").exists()
        )
        await until(pilot, lambda: "on its way" in str(panel.render()))


async def test_a_provider_without_billing_is_told_why(
    make_app: Callable[..., object], clinic: Clinic_, billing: Billing, stripe_config: Config
) -> None:
    app = make_app("dr.roy", stripe=stripe_config.stripe)
    async with app.run_test(size=(100, 40)) as pilot:  # type: ignore[attr-defined]
        await open_screen(pilot, InvoiceDetailScreen(app.session, billing.billed.id))  # type: ignore[attr-defined]
        await pilot.press("l")
        await settle(pilot)
        assert any("Dre Julie Roy" in m and "facturation" in m for m in messages(app))  # type: ignore[arg-type]
        assert not OutboxMessage.select().where(OutboxMessage.link_action.is_null(False)).exists()


async def test_the_payment_link_goes_by_text_with_ctrl_t_only_where_a_text_may_go(
    make_app: Callable[..., object],
    clinic: Clinic_,
    billing: Billing,
    stripe_config: Config,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from decimal import Decimal

    from textual.widgets import Button

    from models.billing.invoicing import LineInput, create_draft
    from models.core.enums import ConsentChannel, ConsentMethod
    from models.messaging.tables import Template
    from models.people.consent import record_consent
    from models.people.patient import Patient
    from models.workflow.lifecycle import bill

    with_account(clinic)
    monkeypatch.setenv(KEY_VARIABLE, "sk_test_in_the_tui_environment")
    Template.update(active=True).where(Template.system_key == "payment_sms").execute()
    patient = Patient.create(last_name="Gagnon", first_name="Léa", cell_phone="+15145551234", language="fr")
    lines = [LineInput("Consultation", Decimal(1), 8500)]
    invoice = bill(create_draft(patient=patient, billing_company=clinic.company, lines=lines))
    app = make_app("clerk", stripe=stripe_config.stripe)
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        dialog = await send_dialog(pilot, invoice.id)
        button = dialog.query_one("#send-text", Button)
        assert button.disabled and "has not consented to text messages" in str(button.tooltip)
        await pilot.press("escape")
        await settle(pilot)
        record_consent(patient.id, ConsentChannel.SMS, True, ConsentMethod.FORM, staff=clinic.admin)
        await pilot.press("escape")
        await settle(pilot)
        dialog = await send_dialog(pilot, invoice.id)
        assert not dialog.query_one("#send-text", Button).disabled
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert not isinstance(app.screen, SendInvoiceScreen)  # type: ignore[attr-defined]
        text = OutboxMessage.get(OutboxMessage.invoice == invoice.id)
        assert (text.medium, text.recipient_phone, text.payment_link, text.recipient_email) == (
            "sms",
            "+15145551234",
            True,
            None,
        )
        assert any("is queued for +15145551234" in m for m in messages(app))  # type: ignore[arg-type]

"""Paper that pays: the printed invoice's QR code, rendered to an image and decoded (Debian's
zbar-tools), opens the invoice's Pay page on a real portal on loopback; a Swiss clinic's invoice
carries a QR-bill whose decoded payload is what ``qrbill`` generated for it."""

from __future__ import annotations

import io
import shutil
import subprocess
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pikepdf
import pytest
from qrbill import QRBill

from agent.channels.portal import PortalClient
from agent.pdf import InvoicePdfs, render_invoice_pdf
from agent.pdf.document import pay_target
from agent.pdf.pay_code import swiss_bill_payload
from agent.stripe.doors import PayDoorsJob
from models.billing.invoice import Invoice
from models.billing.swiss_bill import creditor_reference, qr_reference, swiss_bill
from models.core.enums import InvoiceStatus, PaymentMethod
from models.links.pay_doors import pay_expiry
from models.links.tables import PayDoor
from models.people.clinic import BillingCompany, Clinic
from models.workflow.lifecycle import record_payment, void
from tests.agent.pdf_helpers import make_invoice, pdf_pages
from tests.agent.test_pdf_archival import assert_archival
from tests.conftest import Setup
from tests.portal.conftest import API_TOKEN, Clock, RunningPortal, StartPortal, start_portal

__all__ = ["start_portal"]  # fixtures

ZBARIMG, PDFTOPPM = shutil.which("zbarimg"), shutil.which("pdftoppm")
pytestmark = pytest.mark.skipif(
    not (ZBARIMG and PDFTOPPM), reason="zbarimg (Debian's zbar-tools) and pdftoppm (poppler-utils) are needed"
)
T = TypeVar("T")
QR_IBAN = "CH44 3199 9123 0008 8901 2"  # SIX's sample QR-IBAN (institution id 31999)
IBAN = "CH93 0076 2011 6238 5295 7"


def decoded(pdf: bytes, page: int, tmp_path: Path) -> str:
    """The QR code of one page of ``pdf`` as zbarimg reads them from the page printed at 150 dpi, or
    finer where it read none (as a phone is brought closer: zbar misses some codes with the Swiss
    cross at their center at one resolution and reads them at another)."""
    assert ZBARIMG and PDFTOPPM
    source = tmp_path / "scan.pdf"
    source.write_bytes(pdf)
    for dpi in (150, 200, 250, 300):
        image = tmp_path / f"scan-{page}-{dpi}"
        subprocess.run(
            [
                PDFTOPPM,
                "-r",
                str(dpi),
                "-png",
                "-singlefile",
                "-f",
                str(page),
                "-l",
                str(page),
                source,
                image,
            ],
            check=True,
        )
        read = subprocess.run(
            [ZBARIMG, "--raw", "-q", "-Sdisable", "-Sqrcode.enable", f"{image}.png"],
            capture_output=True,
            check=False,
        )
        if read.returncode == 0 and read.stdout:
            return read.stdout.decode("utf-8").removesuffix("\n")  # its CR LF kept, as printed
    return ""


async def _on_this_thread(function: Any, /, *args: Any, **kwargs: Any) -> Any:
    return function(*args, **kwargs)


async def push(portal: RunningPortal) -> None:
    """One round of the agent's Pay pages job against the portal."""
    job = PayDoorsJob(PortalClient(portal.url, API_TOKEN))
    await job.run(_on_this_thread)
    await job.close()


def figures_alt(pdf: bytes) -> list[str]:
    """The alternative texts of the tagged PDF's figures."""
    document = pikepdf.open(io.BytesIO(pdf))
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, pikepdf.Dictionary):
            if node.get("/S") == "/Figure" and "/Alt" in node:
                found.append(str(node.Alt))
            kids = node.get("/K")
            if kids is not None:
                walk(kids)
        elif isinstance(node, pikepdf.Array):
            for kid in node:
                walk(kid)

    walk(document.Root.StructTreeRoot)
    return found


async def test_the_printed_code_opens_the_pay_page_then_says_paid(
    setup: Setup, start_portal: StartPortal, tmp_path: Path
) -> None:
    portal = start_portal(clock=Clock())
    invoice = make_invoice(setup)  # billed: its Pay page is opened with it
    pdf = render_invoice_pdf(invoice, "en", portal.url)
    url = decoded(pdf, 1, tmp_path)
    door = PayDoor.get(PayDoor.invoice == invoice.id)
    assert url == f"{portal.url}/pay/{door.token}"
    assert "Scan to pay online" in pdf_pages(pdf)[0] and url in pdf_pages(pdf)[0]
    assert "QR code to pay invoice CDP-2026-00001 online" in figures_alt(pdf)
    assert_archival(pdf, "Invoice CDP-2026-00001", "en")

    await push(portal)
    page = httpx.get(url, params={"lang": "en"})  # no Stripe account: what is due, and who to ask
    assert page.status_code == 200
    assert "Invoice CDP-2026-00001: $85.00 to pay." in page.text
    assert "does not take payments online" in page.text and "Clinique du Parc" in page.text
    assert "<form" not in page.text and "<button" not in page.text
    assert not any(word in page.text for word in ("Tremblay", "Élise", "Massothérapie", "Roy"))
    assert "Facture CDP-2026-00001" in httpx.get(url).text  # the patient's language by default

    record_payment(Invoice.get_by_id(invoice.id), 8500, PaymentMethod.CASH)
    await push(portal)
    assert "Invoice CDP-2026-00001 is paid" in httpx.get(url, params={"lang": "en"}).text
    paid = render_invoice_pdf(Invoice.get_by_id(invoice.id), "en", portal.url)
    assert "Scan to pay online" not in pdf_pages(paid)[0]
    assert not pay_target(Invoice.get_by_id(invoice.id), portal.url)


@pytest.mark.parametrize("ending", ["void", "credited"])
async def test_a_cancelled_invoice_says_so(
    setup: Setup, start_portal: StartPortal, tmp_path: Path, ending: str
) -> None:
    portal = start_portal(clock=Clock())
    invoice = make_invoice(setup)
    url = pay_target(invoice, portal.url)
    await push(portal)
    if ending == "void":
        void(invoice, "wrong patient")
    else:  # credit notes cancelled all of it (models.billing.credit_notes sets this status)
        Invoice.update(status=InvoiceStatus.CREDITED.value).where(Invoice.id == invoice.id).execute()
    await push(portal)
    page = httpx.get(url, params={"lang": "en"})
    assert page.status_code == 200 and "Invoice CDP-2026-00001 was cancelled" in page.text
    assert "There is nothing to pay on it." in page.text


async def test_a_year_after_the_issue_date_the_page_has_expired_without_the_agent(
    setup: Setup, start_portal: StartPortal
) -> None:
    clock = Clock()
    portal = start_portal(clock=clock)
    invoice = make_invoice(setup)  # issued 2026-01-15 (Toronto)
    url = pay_target(invoice, portal.url, today=date(2026, 11, 22))
    await push(portal)
    assert "to pay." in httpx.get(url, params={"lang": "en"}).text
    assert invoice.issue_date is not None
    end = pay_expiry(invoice.issue_date, "America/Toronto")
    assert end.isoformat() == "2027-01-15T05:00:00+00:00"
    clock.now = end - timedelta(seconds=1)
    assert "to pay." in httpx.get(url, params={"lang": "en"}).text
    clock.now = end  # the agent said nothing more: the portal knows the date itself
    page = httpx.get(url, params={"lang": "en"})
    assert page.status_code == 200 and "This payment page has expired" in page.text
    assert "Please contact the clinic about invoice CDP-2026-00001" in page.text
    assert pay_target(invoice, portal.url, today=date(2027, 1, 15)) == ""  # paper printed since: no code


def test_a_pdf_whose_code_leads_elsewhere_renders_again(setup: Setup, tmp_path: Path) -> None:
    invoice = make_invoice(setup)
    here = InvoicePdfs(tmp_path, pay_base="https://portal.example").path(invoice, "fr")
    moved = InvoicePdfs(tmp_path, pay_base="https://pay.clinic.example").path(invoice, "fr")
    none = InvoicePdfs(tmp_path).path(invoice, "fr")
    assert len({here, moved, none}) == 3
    door = PayDoor.get(PayDoor.invoice == invoice.id)
    PayDoor.update(token="another-token-" + "x" * 29).where(PayDoor.id == door.id).execute()
    assert InvoicePdfs(tmp_path, pay_base="https://portal.example").path(invoice, "fr") != here
    draft = make_invoice(setup, billed=False)
    assert pay_target(draft, "https://portal.example") == ""  # a draft has no Pay page


def swiss(setup: Setup, account: str, reference: str, **changes: Any) -> Setup:
    """The setup's clinic moved to Lausanne, its first company billing in CHF to ``account``."""
    Clinic.update(country="CH", region="", timezone="Europe/Zurich").execute()
    values = {
        "currency": "CHF",
        "qr_account": account.replace(" ", ""),
        "qr_reference": reference,
        "qr_street": "Rue du Lac",
        "qr_house_number": "12",
        "qr_postal_code": "1003",
        "qr_city": "Lausanne",
        "qr_country": "CH",
    }
    BillingCompany.update(**(values | changes)).where(BillingCompany.id == setup.company.id).execute()
    return replace(setup, company=BillingCompany.get_by_id(setup.company.id))


@pytest.mark.parametrize(("account", "reference", "kind"), [(QR_IBAN, "qrr", "QRR"), (IBAN, "scor", "SCOR")])
def test_a_swiss_invoice_carries_the_qr_bill_qrbill_made(
    setup: Setup, tmp_path: Path, account: str, reference: str, kind: str
) -> None:
    setup = swiss(setup, account, reference)
    company = setup.company
    invoice = make_invoice(setup)
    pdf = render_invoice_pdf(invoice, "fr", "https://portal.example")
    pages = pdf_pages(pdf)
    assert len(pages) == 2 and "Section paiement" in pages[1] and "Récépissé" in pages[1]
    payload = decoded(pdf, 2, tmp_path)
    number = str(invoice.number)
    made = QRBill(
        account=account,
        creditor={
            "name": company.name,
            "street": "Rue du Lac",
            "house_num": "12",
            "pcode": "1003",
            "city": "Lausanne",
            "country": "CH",
        },
        amount="85.00",
        currency="CHF",
        reference_number=qr_reference(company.id, number) if kind == "QRR" else creditor_reference(number),
        language="fr",
        additional_information=f"Facture {number}",
    )
    assert payload == made.qr_data()
    bill = swiss_bill(invoice, "fr")
    assert bill is not None and payload == swiss_bill_payload(bill)
    assert payload.split("\r\n")[27] == kind  # the reference type, after the 27 fields before it
    assert (payload.splitlines()[3], payload.splitlines()[18]) == (account.replace(" ", ""), "85.00")
    assert not any(word in payload for word in ("Tremblay", "Massothérapie", "Roy"))
    assert decoded(pdf, 1, tmp_path) == pay_target(invoice, "https://portal.example")  # the pay code too
    assert_archival(pdf, f"Facture {number}", "fr")
    assert f"Section paiement de la QR-facture suisse de la facture {number}" in figures_alt(pdf)


def test_incomplete_swiss_details_print_the_invoice_without_a_payment_part(setup: Setup) -> None:
    invoice = make_invoice(swiss(setup, QR_IBAN, "qrr", qr_city=""))  # around Settings, which refuse it
    assert swiss_bill(invoice, "fr") is None
    assert len(pdf_pages(render_invoice_pdf(invoice, "fr"))) == 1
    swiss(setup, QR_IBAN, "scor")  # a QR-IBAN with a creditor reference: refused too
    assert swiss_bill(Invoice.get_by_id(invoice.id), "fr") is None
    cad = swiss(setup, QR_IBAN, "qrr", currency="CAD")  # neither francs nor euros
    assert swiss_bill(make_invoice(cad, first_name="Léa"), "fr") is None
